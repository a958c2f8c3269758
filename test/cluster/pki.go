package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the cluster's certificate authority and the files it issued, kept in one
// folder. Keys are ECDSA P-256, certificates are valid for a day.
type pki struct {
	dir    string
	caFile string
	caPEM  []byte
	ca     *x509.Certificate
	caKey  crypto.Signer
}

// keyPair names a certificate file and its private key file.
type keyPair struct {
	Cert string
	Key  string
}

// certSpec is what a certificate says about its holder.
type certSpec struct {
	commonName    string
	organizations []string
	ips           []net.IP
	dnsNames      []string
	server        bool
}

// newPKI creates a self-signed CA in dir and writes its certificate to dir/ca.crt.
func newPKI(dir string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki folder: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := template(certSpec{commonName: "meshcanary-e2e-ca"})
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	p := &pki{dir: dir, caFile: filepath.Join(dir, "ca.crt"), ca: ca, caKey: key}
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(p.caFile, p.caPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write CA certificate: %w", err)
	}
	return p, nil
}

// issue signs a certificate for spec with the CA and writes it with a fresh key
// to dir/<name>.crt and dir/<name>.key.
func (p *pki) issue(name string, spec certSpec) (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate %s key: %w", name, err)
	}
	tmpl := template(spec)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if spec.server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, key.Public(), p.caKey)
	if err != nil {
		return keyPair{}, fmt.Errorf("sign %s certificate: %w", name, err)
	}
	pair := keyPair{Cert: filepath.Join(p.dir, name+".crt"), Key: filepath.Join(p.dir, name+".key")}
	if err := writePEM(pair.Cert, "CERTIFICATE", der); err != nil {
		return keyPair{}, err
	}
	if err := writePrivateKey(pair.Key, key); err != nil {
		return keyPair{}, err
	}
	return pair, nil
}

// serviceAccountKeys writes the key pair that signs service account tokens:
// dir/sa.pub (Cert holds the public key) and dir/sa.key.
func (p *pki) serviceAccountKeys() (keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generate service account key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return keyPair{}, fmt.Errorf("encode service account public key: %w", err)
	}
	pair := keyPair{Cert: filepath.Join(p.dir, "sa.pub"), Key: filepath.Join(p.dir, "sa.key")}
	if err := writePEM(pair.Cert, "PUBLIC KEY", der); err != nil {
		return keyPair{}, err
	}
	if err := writePrivateKey(pair.Key, key); err != nil {
		return keyPair{}, err
	}
	return pair, nil
}

func template(spec certSpec) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.commonName, Organization: spec.organizations},
		IPAddresses:  spec.ips,
		DNSNames:     spec.dnsNames,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
}

func writePrivateKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, blockType string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
