package credentials

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
	"testing"
	"time"

	"github.com/goswan/goswan/internal/config"
)

// testNow is the time the test PKI is valid at.
var testNow = time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)

// tcert is a certificate of the test PKI with its key.
type tcert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

type certOpt func(*x509.Certificate)

func validity(from, to time.Time) certOpt {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = from, to }
}

func pathLen(n int) certOpt {
	return func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = n, n == 0 }
}

func withCDP(uri string) certOpt {
	return func(c *x509.Certificate) { c.CRLDistributionPoints = []string{uri} }
}

func withKeyUsage(ku x509.KeyUsage) certOpt { return func(c *x509.Certificate) { c.KeyUsage = ku } }

var serial int64 = 100

func genKey(t *testing.T, kind string) crypto.Signer {
	t.Helper()
	switch kind {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		return k
	case "ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	case "p384":
		k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue creates a certificate for cn (a CA if ca) with a key of kind,
// signed by parent (self-signed if nil).
func issue(t *testing.T, cn string, ca bool, kind string, parent *tcert, opts ...certOpt) *tcert {
	t.Helper()
	key := genKey(t, kind)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{Country: []string{"CH"}, Organization: []string{"strongSwan Project"}, CommonName: cn},
		NotBefore:    testNow.AddDate(-1, 0, 0),
		NotAfter:     testNow.AddDate(1, 0, 0),
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.MaxPathLen = -1
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else if strings.Contains(cn, "@") {
		tmpl.EmailAddresses = []string{cn}
	} else {
		tmpl.DNSNames = []string{cn}
	}
	for _, o := range opts {
		o(tmpl)
	}
	signer, issuerCert := key, tmpl
	if parent != nil {
		signer, issuerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuerCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tcert{c, key}
}

// revoke creates a CRL of ca listing the given certificates.
func revoke(t *testing.T, ca *tcert, number int64, this, next time.Time, certs ...*tcert) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, c := range certs {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: this.Add(-time.Hour), ReasonCode: 1})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(number), ThisUpdate: this, NextUpdate: next, RevokedCertificateEntries: entries,
	}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// ipsecd is a temporary /etc: ipsec.d with its subdirectories and
// ipsec.secrets.
type ipsecd struct {
	t    *testing.T
	root string
}

func newIPsecD(t *testing.T) *ipsecd {
	d := &ipsecd{t: t, root: t.TempDir()}
	for _, sub := range []string{"cacerts", "certs", "crls", "private"} {
		if err := os.MkdirAll(filepath.Join(d.root, "ipsec.d", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d *ipsecd) dir() string { return filepath.Join(d.root, "ipsec.d") }

func (d *ipsecd) write(rel string, data []byte) string {
	p := filepath.Join(d.dir(), rel)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		d.t.Fatal(err)
	}
	return p
}

func (d *ipsecd) cert(rel string, c *tcert) string {
	return d.write(rel, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
}

func (d *ipsecd) key(rel string, c *tcert) string {
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		d.t.Fatal(err)
	}
	return d.write(rel, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// secrets writes ipsec.secrets and parses it.
func (d *ipsecd) secrets(text string) *config.Secrets {
	p := filepath.Join(d.root, "ipsec.secrets")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		d.t.Fatal(err)
	}
	s, diags := config.LoadSecrets(nil, p, filepath.Join(d.dir(), "private"))
	if config.HasErrors(diags) {
		d.t.Fatal(diags)
	}
	return s
}

func (d *ipsecd) store(secrets *config.Secrets, certFiles ...string) *Store {
	s, diags := NewStore(Options{IPsecDir: d.dir(), Secrets: secrets, CertFiles: certFiles})
	for _, dg := range diags {
		if dg.Err != nil {
			d.t.Errorf("%s", dg)
		}
	}
	return s
}
