package main

import (
	"fmt"

	"github.com/spf13/pflag"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

// kubeFlags are kubectl's connection flags.
type kubeFlags struct {
	kubeconfig string
	context    string
	namespace  string
}

func (k *kubeFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config; in-cluster when neither exists)")
	fs.StringVar(&k.context, "context", "", "kubeconfig context to use")
}

// addNamespace adds kubectl's --namespace/-n, for the commands that act in
// one namespace.
func (k *kubeFlags) addNamespace(fs *pflag.FlagSet) {
	fs.StringVarP(&k.namespace, "namespace", "n", "", "namespace (default: the kubeconfig context's namespace)")
}

func (k *kubeFlags) loader() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if k.kubeconfig != "" {
		rules.ExplicitPath = k.kubeconfig
	}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: k.context, Context: clientcmdapi.Context{Namespace: k.namespace}})
}

func (k *kubeFlags) restConfig() (*rest.Config, error) {
	cfg, err := k.loader().ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	return cfg, nil
}

// client returns a Kubernetes client and the namespace to act in: the flag's,
// else the kubeconfig context's, else "default".
func (k *kubeFlags) client() (kubernetes.Interface, string, error) {
	loader := k.loader()
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = "meshcanary-cli"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", fmt.Errorf("creating Kubernetes client: %w", err)
	}
	ns, _, err := loader.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("reading the kubeconfig's namespace: %w", err)
	}
	return kube, ns, nil
}

// clients returns the Kubernetes and Istio clients of the kubeconfig and
// its namespace: the status of a canary is read from its VirtualService.
func (k *kubeFlags) clients() (cli.Clients, string, error) {
	kube, ns, err := k.client()
	if err != nil {
		return cli.Clients{}, "", err
	}
	cfg, err := k.loader().ClientConfig()
	if err != nil {
		return cli.Clients{}, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg.UserAgent = "meshcanary-cli"
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return cli.Clients{}, "", fmt.Errorf("creating Istio client: %w", err)
	}
	return cli.Clients{Kube: kube, Istio: istio}, ns, nil
}
