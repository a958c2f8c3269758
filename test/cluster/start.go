package cluster

import (
	"context"
	"path/filepath"
	"strconv"
)

// Stop tiers: a tier is stopped only after every later tier has stopped.
const (
	tierStorage     = iota // etcd, Prometheus
	tierAPI                // kube-apiserver, istio-webhook
	tierControllers        // kube-controller-manager, kube-scheduler, kwok, istiod
)

// ports are the loopback ports the cluster's servers listen on.
type ports struct {
	etcd, etcdPeer, apiserver, webhook int
}

func pickPorts() (ports, error) {
	var p ports
	for _, port := range []*int{&p.etcd, &p.etcdPeer, &p.apiserver, &p.webhook} {
		free, err := FreePort()
		if err != nil {
			return ports{}, err
		}
		*port = free
	}
	return p, nil
}

// start runs the whole start sequence; on error the caller stops what was started.
func (c *Cluster) start(ctx context.Context, opts Options, bins binaries, root string) error {
	pk, err := newPKI(filepath.Join(c.RunDir, "pki"))
	if err != nil {
		return err
	}
	c.pki = pk
	crt, err := issueCerts(pk)
	if err != nil {
		return err
	}
	port, err := pickPorts()
	if err != nil {
		return err
	}
	if opts.Prometheus != nil {
		if err := c.startPrometheus(bins.prometheus, *opts.Prometheus); err != nil {
			return err
		}
	}
	if err := c.startEtcd(ctx, bins.etcd, port); err != nil {
		return err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port.apiserver)
	if _, err := c.run(tierAPI, "kube-apiserver", bins.apiserver, apiserverArgs(port, crt, c.pki.caFile)...); err != nil {
		return err
	}
	webhookURL := "https://127.0.0.1:" + strconv.Itoa(port.webhook)
	if _, err := c.run(tierAPI, "istio-webhook", bins.istioWebhook,
		"--listen=127.0.0.1:"+strconv.Itoa(port.webhook),
		"--tls-cert-file="+crt.webhook.Cert, "--tls-key-file="+crt.webhook.Key); err != nil {
		return err
	}
	c.admin = c.clientConfig(server, crt.admin)
	if c.Kubeconfig, err = c.writeKubeconfig("admin", server, crt.admin); err != nil {
		return err
	}
	if err := c.waitFor(ctx, "kube-apiserver ready", c.apiserverReady); err != nil {
		return err
	}
	if err := c.startControllers(server, crt, bins); err != nil {
		return err
	}
	if err := c.installIstio(ctx, root, webhookURL); err != nil {
		return err
	}
	if opts.Istiod {
		if err := c.startIstiod(ctx, bins.istiod); err != nil {
			return err
		}
	}
	if err := c.createNodes(ctx, opts.Nodes); err != nil {
		return err
	}
	return c.waitReady(ctx, opts)
}

func apiserverArgs(port ports, crt certs, caFile string) []string {
	return []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(port.etcd),
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port.apiserver),
		"--tls-cert-file=" + crt.apiserver.Cert,
		"--tls-private-key-file=" + crt.apiserver.Key,
		"--client-ca-file=" + caFile,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + crt.serviceAccount.Cert,
		"--service-account-signing-key-file=" + crt.serviceAccount.Key,
		"--authorization-mode=Node,RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		// Nothing runs the node lifecycle controller, so nothing would lift the
		// not-ready taint this plugin puts on every new node.
		"--disable-admission-plugins=TaintNodesByCondition",
	}
}

// startEtcd starts etcd with its storage in the temporary folder and waits until
// it answers its health check.
func (c *Cluster) startEtcd(ctx context.Context, bin string, port ports) error {
	client := "http://127.0.0.1:" + strconv.Itoa(port.etcd)
	if _, err := c.run(tierStorage, "etcd", bin,
		"--data-dir="+filepath.Join(c.dataDir, "etcd"),
		"--listen-client-urls="+client,
		"--advertise-client-urls="+client,
		"--listen-peer-urls=http://127.0.0.1:"+strconv.Itoa(port.etcdPeer),
		"--unsafe-no-fsync",
		"--log-level=warn"); err != nil {
		return err
	}
	return c.waitFor(ctx, "etcd healthy", func(ctx context.Context) error {
		return httpOK(ctx, nil, client+"/health")
	})
}

// startControllers starts kube-controller-manager, kube-scheduler and kwok, each
// with its own kubeconfig.
func (c *Cluster) startControllers(server string, crt certs, bins binaries) error {
	kcm, err := c.writeKubeconfig("kube-controller-manager", server, crt.controllerManager)
	if err != nil {
		return err
	}
	scheduler, err := c.writeKubeconfig("kube-scheduler", server, crt.scheduler)
	if err != nil {
		return err
	}
	if _, err := c.run(tierControllers, "kube-controller-manager", bins.controllerManager,
		"--kubeconfig="+kcm,
		"--service-account-private-key-file="+crt.serviceAccount.Key,
		"--root-ca-file="+c.pki.caFile,
		"--use-service-account-credentials=true",
		"--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false",
		"--controllers=*,-nodeipam,-nodelifecycle"); err != nil {
		return err
	}
	if _, err := c.run(tierControllers, "kube-scheduler", bins.scheduler,
		"--kubeconfig="+scheduler,
		"--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false"); err != nil {
		return err
	}
	_, err = c.run(tierControllers, "kwok", bins.kwok,
		"--kubeconfig="+c.Kubeconfig,
		"--manage-all-nodes=true",
		"--server-address=127.0.0.1:0",
		"--config="+bins.kwokStages)
	return err
}
