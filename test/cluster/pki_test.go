package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
)

func TestIssuedCertificatesVerifyAgainstTheCA(t *testing.T) {
	p, err := newPKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	crt, err := issueCerts(p)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(p.ca)
	cases := map[string]struct {
		pair    keyPair
		usage   x509.ExtKeyUsage
		dnsName string
		ip      net.IP
		subject string
	}{
		"the apiserver serves kubernetes.default.svc": {
			pair: crt.apiserver, usage: x509.ExtKeyUsageServerAuth, dnsName: "kubernetes.default.svc"},
		"the apiserver serves 127.0.0.1": {
			pair: crt.apiserver, usage: x509.ExtKeyUsageServerAuth, ip: net.IPv4(127, 0, 0, 1)},
		"the webhook serves 127.0.0.1": {
			pair: crt.webhook, usage: x509.ExtKeyUsageServerAuth, ip: net.IPv4(127, 0, 0, 1)},
		"the admin is in system:masters": {
			pair: crt.admin, usage: x509.ExtKeyUsageClientAuth, subject: "CN=meshcanary-e2e-admin,O=system:masters"},
		"the controller manager is system:kube-controller-manager": {
			pair: crt.controllerManager, usage: x509.ExtKeyUsageClientAuth, subject: "CN=system:kube-controller-manager"},
		"the scheduler is system:kube-scheduler": {
			pair: crt.scheduler, usage: x509.ExtKeyUsageClientAuth, subject: "CN=system:kube-scheduler"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pair, err := tls.LoadX509KeyPair(tc.pair.Cert, tc.pair.Key)
			if err != nil {
				t.Fatal(err)
			}
			leaf := pair.Leaf
			opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{tc.usage}, DNSName: tc.dnsName}
			if _, err := leaf.Verify(opts); err != nil {
				t.Errorf("verify: %v", err)
			}
			if tc.ip != nil {
				if err := leaf.VerifyHostname(tc.ip.String()); err != nil {
					t.Errorf("verify IP: %v", err)
				}
			}
			if tc.subject != "" && leaf.Subject.String() != tc.subject {
				t.Errorf("subject %q, want %q", leaf.Subject, tc.subject)
			}
		})
	}
}
