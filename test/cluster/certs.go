package cluster

import "net"

// certs are the files of the cluster's certificates and keys.
type certs struct {
	apiserver, webhook                  keyPair // serving
	admin, controllerManager, scheduler keyPair // clients
	serviceAccount                      keyPair // token signing
}

// issueCerts issues every certificate the control plane needs from p's CA.
func issueCerts(p *pki) (certs, error) {
	loopback := net.IPv4(127, 0, 0, 1)
	var c certs
	issued := []struct {
		name string
		spec certSpec
		out  *keyPair
	}{
		{"apiserver", certSpec{
			commonName: "kube-apiserver", server: true,
			ips: []net.IP{loopback, net.IPv4(10, 96, 0, 1)},
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default",
				"kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		}, &c.apiserver},
		{"istio-webhook", certSpec{
			commonName: "istio-webhook", server: true,
			ips: []net.IP{loopback}, dnsNames: []string{"localhost"},
		}, &c.webhook},
		{"admin", certSpec{commonName: "meshcanary-e2e-admin", organizations: []string{"system:masters"}}, &c.admin},
		{"kube-controller-manager", certSpec{commonName: "system:kube-controller-manager"}, &c.controllerManager},
		{"kube-scheduler", certSpec{commonName: "system:kube-scheduler"}, &c.scheduler},
	}
	for _, i := range issued {
		pair, err := p.issue(i.name, i.spec)
		if err != nil {
			return certs{}, err
		}
		*i.out = pair
	}
	sa, err := p.serviceAccountKeys()
	if err != nil {
		return certs{}, err
	}
	c.serviceAccount = sa
	return c, nil
}
