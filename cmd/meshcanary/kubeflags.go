package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

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

// clients returns the Kubernetes and Istio clients of the kubeconfig (the
// status of a canary is read from its VirtualService) and the namespace to
// act in: the flag's, else the kubeconfig context's, else "default".
func (k *kubeFlags) clients() (cli.Clients, string, error) {
	cfg, err := k.restConfig()
	if err != nil {
		return cli.Clients{}, "", err
	}
	cfg.UserAgent = "meshcanary-cli"
	ns, _, err := k.loader().Namespace()
	if err != nil {
		return cli.Clients{}, "", fmt.Errorf("reading the kubeconfig's namespace: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return cli.Clients{}, "", fmt.Errorf("creating Kubernetes client: %w", err)
	}
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return cli.Clients{}, "", fmt.Errorf("creating Istio client: %w", err)
	}
	return cli.Clients{Kube: kube, Istio: istio}, ns, nil
}

// runE is the RunE of a command that acts on the cluster: run gets the
// clients and namespace of clients, and a context that ends at an
// interrupt or SIGTERM.
func (k *kubeFlags) runE(run func(ctx context.Context, cmd *cobra.Command, args []string, clients cli.Clients, ns string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		clients, ns, err := k.clients()
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return run(ctx, cmd, args, clients, ns)
	}
}
