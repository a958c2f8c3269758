package cluster

import (
	"fmt"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes RunDir/<name>.kubeconfig for a client authenticated by
// pair and returns its path.
func (c *Cluster) writeKubeconfig(name, server string, pair keyPair) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["local"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: c.pki.caFile}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificate: pair.Cert, ClientKey: pair.Key}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	cfg.CurrentContext = name
	path := filepath.Join(c.RunDir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("write %s kubeconfig: %w", name, err)
	}
	return path, nil
}

// clientConfig is a rest.Config for server trusting the cluster's CA and
// authenticated by pair.
func (c *Cluster) clientConfig(server string, pair keyPair) *rest.Config {
	return &rest.Config{
		Host: server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   c.pki.caPEM,
			CertFile: pair.Cert,
			KeyFile:  pair.Key,
		},
		QPS:   100,
		Burst: 200,
	}
}
