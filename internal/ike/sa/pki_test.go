package sa

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPKI is a small ECDSA PKI for the exchange tests: a root CA and one
// certificate per host, named as strongSwan's test hosts ("moonCert.pem"
// with SAN moon.strongswan.org, "carolCert.pem" with carol@strongswan.org).
type testPKI struct {
	mu     sync.Mutex
	caKey  *ecdsa.PrivateKey
	ca     *x509.Certificate
	serial int64
	// serials of the certificates issued, by host name (last one)
	serials map[string]int64
}

var (
	pkiOnce   sync.Once
	sharedPKI *testPKI
)

func newTestPKI(t testing.TB) *testPKI {
	pkiOnce.Do(func() {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1),
			Subject:   pkix.Name{Country: []string{"CH"}, Organization: []string{"strongSwan Project"}, CommonName: "strongSwan Root CA"},
			NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter:  time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
			IsCA:      true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		ca, _ := x509.ParseCertificate(der)
		sharedPKI = &testPKI{caKey: key, ca: ca, serial: 1, serials: map[string]int64{}}
	})
	return sharedPKI
}

// hostDirKey makes an /etc for a host: ipsec.d with the CA, the host's
// certificate (SAN <host>.strongswan.org, or <host>@strongswan.org for the
// roadwarriors carol and dave) and its unencrypted key.
// hostDirKey is hostDir with a key of the given type: "ecdsa" (P-256,
// the default), "rsa" (2048 bits) or "ed25519".
func (p *testPKI) hostDirKey(t testing.TB, name, keyType string) string {
	dir := t.TempDir()
	san := name + ".strongswan.org"
	tmpl := &x509.Certificate{
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
	if name == "carol" || name == "dave" {
		san = name + "@strongswan.org"
		tmpl.EmailAddresses = []string{san}
	} else {
		tmpl.DNSNames = []string{san}
	}
	tmpl.Subject = pkix.Name{Country: []string{"CH"}, Organization: []string{"strongSwan Project"}, CommonName: san}
	var signer crypto.Signer
	var kder []byte
	ktype := "EC PRIVATE KEY"
	switch keyType {
	case "rsa":
		k, _ := rsa.GenerateKey(rand.Reader, 2048)
		signer, kder, ktype = k, x509.MarshalPKCS1PrivateKey(k), "RSA PRIVATE KEY"
	case "ed25519":
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		signer, ktype = k, "PRIVATE KEY"
		kder, _ = x509.MarshalPKCS8PrivateKey(k)
	default:
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		signer = k
		kder, _ = x509.MarshalECPrivateKey(k)
	}
	p.mu.Lock()
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	p.serials[name] = p.serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, signer.Public(), p.caKey)
	p.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel, typ string, b []byte) {
		path := filepath.Join(dir, "ipsec.d", rel)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "ipsec.d", "crls"), 0o755)
	write("cacerts/strongswanCert.pem", "CERTIFICATE", p.ca.Raw)
	write("certs/"+name+"Cert.pem", "CERTIFICATE", der)
	write("private/"+name+"Key.pem", ktype, kder)
	return dir
}

// keySecret is the ipsec.secrets line for a host's key.
func keySecret(name string) string { return ": ECDSA " + name + "Key.pem\n" }

// keySecretType is the ipsec.secrets line for a key of the given type.
func keySecretType(name, keyType string) string {
	switch keyType {
	case "rsa":
		return ": RSA " + name + "Key.pem\n"
	case "ed25519":
		return ": PKCS8 " + name + "Key.pem\n"
	}
	return keySecret(name)
}

// revoke writes a CRL into dir that revokes the last certificates issued
// to the named hosts.
func (p *testPKI) revoke(t *testing.T, dir string, names ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var entries []x509.RevocationListEntry
	for _, n := range names {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(p.serials[n]),
			RevocationTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(1), ThisUpdate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NextUpdate: time.Date(2039, 1, 1, 0, 0, 0, 0, time.UTC), RevokedCertificateEntries: entries,
	}, p.ca, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ipsec.d", "crls", "test.crl"), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

var _ = strings.TrimSpace

func mustSelfSigned(t *testing.T) *x509.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(99),
		Subject:   pkix.Name{Country: []string{"CH"}, Organization: []string{"Other"}, CommonName: "Other Root CA"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:  time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:      true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// writeCA replaces the host's trust anchors by ca.
func writeCA(t *testing.T, dir string, ca *x509.Certificate) {
	p := filepath.Join(dir, "ipsec.d", "cacerts", "strongswanCert.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
}
