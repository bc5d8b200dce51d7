package pki

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	once    sync.Once
	shared  *PKI
	dir     string
	initErr error
)

// testPKI generates one PKI (at the default key size, as the lab uses it)
// and writes it to a directory shared by the tests of this package.
func testPKI(t *testing.T) (*PKI, string) {
	t.Helper()
	once.Do(func() {
		start := time.Now()
		shared, initErr = Generate(Options{})
		if initErr != nil {
			return
		}
		t.Logf("generated in %v", time.Since(start).Round(time.Millisecond))
		dir, initErr = os.MkdirTemp("", "pki-test-")
		if initErr == nil {
			initErr = shared.WriteDir(filepath.Join(dir, "pki"))
		}
	})
	if initErr != nil {
		t.Fatal(initErr)
	}
	return shared, filepath.Join(dir, "pki")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func TestCA(t *testing.T) {
	p, _ := testPKI(t)
	ca := p.CA
	if got, want := ca.Subject.String(), "CN=strongSwan Root CA,O=strongSwan Project,C=CH"; got != want {
		t.Errorf("CA subject %q, want %q", got, want)
	}
	if !ca.IsCA || ca.MaxPathLen != 1 || ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA constraints: isCA %v pathlen %d usage %v", ca.IsCA, ca.MaxPathLen, ca.KeyUsage)
	}
	if n := p.CAKey.N.BitLen(); n != DefaultBits {
		t.Errorf("CA key %d bits, want %d", n, DefaultBits)
	}
	if ca.NotAfter.Sub(ca.NotBefore) < 15*365*24*time.Hour {
		t.Errorf("CA validity too short: %v .. %v", ca.NotBefore, ca.NotAfter)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA not self-signed: %v", err)
	}
}

func TestEndEntities(t *testing.T) {
	p, _ := testPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(p.CA)
	if len(p.Creds) != len(Entities) {
		t.Fatalf("%d credentials, want %d", len(p.Creds), len(Entities))
	}
	want := map[string]struct {
		subject string
		serial  int64
		email   bool
		server  bool
	}{
		"carol":    {"CN=carol@strongswan.org,OU=Research,O=strongSwan Project,C=CH", 1, true, false},
		"dave":     {"CN=dave@strongswan.org,OU=Accounting,O=strongSwan Project,C=CH", 2, true, false},
		"moon":     {"CN=moon.strongswan.org,O=strongSwan Project,C=CH", 3, false, false},
		"sun":      {"CN=sun.strongswan.org,O=strongSwan Project,C=CH", 4, false, false},
		"alice":    {"CN=alice@strongswan.org,OU=Sales,O=strongSwan Project,C=CH", 5, true, false},
		"venus":    {"CN=venus.strongswan.org,O=strongSwan Project,C=CH", 6, false, false},
		"bob":      {"CN=bob@strongswan.org,OU=Research,O=strongSwan Project,C=CH", 7, true, false},
		"winnetou": {"CN=winnetou.strongswan.org,O=strongSwan Project,C=CH", 0x15, false, true},
		"aaa":      {"CN=aaa.strongswan.org,O=strongSwan Project,C=CH", 0x16, false, true},
	}
	for _, c := range p.Creds {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected credential %s", c.Name)
			continue
		}
		cert := c.Cert
		if got := cert.Subject.String(); got != w.subject {
			t.Errorf("%s: subject %q, want %q", c.Name, got, w.subject)
		}
		if cert.SerialNumber.Int64() != w.serial {
			t.Errorf("%s: serial %v, want %d", c.Name, cert.SerialNumber, w.serial)
		}
		id := cert.Subject.CommonName
		if w.email {
			if len(cert.EmailAddresses) != 1 || cert.EmailAddresses[0] != id || len(cert.DNSNames) != 0 {
				t.Errorf("%s: SAN email %v dns %v, want email %s", c.Name, cert.EmailAddresses, cert.DNSNames, id)
			}
		} else if len(cert.DNSNames) != 1 || cert.DNSNames[0] != id || len(cert.EmailAddresses) != 0 {
			t.Errorf("%s: SAN dns %v email %v, want dns %s", c.Name, cert.DNSNames, cert.EmailAddresses, id)
		}
		if len(cert.CRLDistributionPoints) != 1 || cert.CRLDistributionPoints[0] != CRLURI {
			t.Errorf("%s: CDP %v", c.Name, cert.CRLDistributionPoints)
		}
		hasServer := len(cert.ExtKeyUsage) == 1 && cert.ExtKeyUsage[0] == x509.ExtKeyUsageServerAuth
		if hasServer != w.server || (!w.server && len(cert.ExtKeyUsage) != 0) {
			t.Errorf("%s: extKeyUsage %v, serverAuth wanted %v", c.Name, cert.ExtKeyUsage, w.server)
		}
		if cert.IsCA {
			t.Errorf("%s: is a CA", c.Name)
		}
		if !bytes.Equal(cert.AuthorityKeyId, p.CA.SubjectKeyId) || len(cert.AuthorityKeyId) == 0 {
			t.Errorf("%s: authorityKeyId does not name the CA", c.Name)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: does not verify: %v", c.Name, err)
		}
		if !cert.NotAfter.Before(p.CA.NotAfter) || cert.NotBefore.After(time.Now()) {
			t.Errorf("%s: validity %v .. %v outside CA's or in the future", c.Name, cert.NotBefore, cert.NotAfter)
		}
		if !c.Key.PublicKey.Equal(cert.PublicKey) {
			t.Errorf("%s: key does not match certificate", c.Name)
		}
		if n := c.Key.N.BitLen(); n != DefaultBits {
			t.Errorf("%s: %d bit key", c.Name, n)
		}
	}
}

func TestCRL(t *testing.T) {
	p, _ := testPKI(t)
	crl, err := x509.ParseRevocationList(p.CRL)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(p.CA); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 0 || crl.Number.Int64() != 1 || !crl.NextUpdate.After(time.Now().AddDate(5, 0, 0)) {
		t.Errorf("CRL: %d entries, number %v, next update %v", len(crl.RevokedCertificateEntries), crl.Number, crl.NextUpdate)
	}
}

func TestLayout(t *testing.T) {
	_, d := testPKI(t)
	if !Complete(d) {
		t.Fatal("completion marker missing")
	}
	files := []string{
		"ca/strongswanCert.pem", "ca/strongswan.crl",
		"hosts/moon/ipsec.d/cacerts/strongswanCert.pem",
		"hosts/moon/ipsec.d/certs/moonCert.pem",
		"hosts/moon/ipsec.d/private/moonKey.pem",
		"hosts/carol/ipsec.d/private/carolKey.pem",
		"hosts/carol/swanctl/x509ca/strongswanCert.pem",
		"hosts/carol/swanctl/x509/carolCert.pem",
		"hosts/carol/swanctl/rsa/carolKey.pem",
		"hosts/dave/ipsec.d/certs/daveCert.pem",
		"hosts/bob/ipsec.d/private/bobKey.pem",
		"hosts/alice/raddb/certs/aaaCert.pem",
		"hosts/winnetou/ca/strongswan.crl",
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			t.Error(err)
		}
	}
	fi, err := os.Stat(filepath.Join(d, "hosts/moon/ipsec.d/private/moonKey.pem"))
	if err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("moonKey.pem mode %v", fi.Mode())
	}
	// only carol's ipsec.d key is encrypted
	for _, h := range []string{"moon", "dave", "sun"} {
		b, _ := os.ReadFile(filepath.Join(d, "hosts", h, "ipsec.d/private", h+"Key.pem"))
		if blk, _ := pem.Decode(b); blk == nil || len(blk.Headers) != 0 {
			t.Errorf("%sKey.pem: not a plain PEM key", h)
		}
	}
}

func TestCarolKeyEncrypted(t *testing.T) {
	p, d := testPKI(t)
	b, err := os.ReadFile(filepath.Join(d, "hosts/carol/ipsec.d/private/carolKey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Headers["Proc-Type"] != "4,ENCRYPTED" || !strings.HasPrefix(blk.Headers["DEK-Info"], "AES-128-CBC,") {
		t.Fatalf("carolKey.pem is not traditional AES-128-CBC PEM: %v", blk)
	}
	k, err := DecryptPEMKey(b, []byte(CarolPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	carol, _ := p.Cred("carol")
	if !k.Equal(carol.Key) {
		t.Error("decrypted key differs from carol's")
	}
	if _, err := DecryptPEMKey(b, []byte("wrong")); !errors.Is(err, ErrBadPassphrase) {
		// 1 in 256 wrong passphrases yields valid-looking padding; the
		// key parse catches it
		t.Errorf("wrong passphrase: %v", err)
	}
}

func TestEncryptRoundTripSmall(t *testing.T) {
	p, _ := testPKI(t)
	for i := 0; i < 5; i++ {
		enc, err := EncryptPEMKey(p.CAKey, []byte("pw"), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		k, err := DecryptPEMKey(enc, []byte("pw"))
		if err != nil || !k.Equal(p.CAKey) {
			t.Fatalf("round trip %d: %v", i, err)
		}
	}
}

func TestEnsureCaches(t *testing.T) {
	_, d := testPKI(t)
	before, _ := os.ReadFile(filepath.Join(d, "ca/strongswanCert.pem"))
	gen, err := Ensure(d, Options{})
	if err != nil || gen {
		t.Fatalf("Ensure on a complete dir: generated=%v err=%v", gen, err)
	}
	after, _ := os.ReadFile(filepath.Join(d, "ca/strongswanCert.pem"))
	if !bytes.Equal(before, after) {
		t.Error("cached CA changed")
	}
}

// The real tools must accept the files: OpenSSL and strongSwan's pki.

func TestOpenSSLAccepts(t *testing.T) {
	_, d := testPKI(t)
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	ca := filepath.Join(d, "ca/strongswanCert.pem")
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	for _, e := range Entities {
		run("verify", "-CAfile", ca, filepath.Join(d, "ee", e.Name+"Cert.pem"))
	}
	run("verify", "-purpose", "sslserver", "-CAfile", ca, filepath.Join(d, "ee/aaaCert.pem"))
	run("rsa", "-in", filepath.Join(d, "hosts/carol/ipsec.d/private/carolKey.pem"), "-passin", "pass:"+CarolPassphrase, "-check", "-noout")
	run("crl", "-inform", "DER", "-in", filepath.Join(d, "ca/strongswan.crl"), "-CAfile", ca, "-noout")
	out := run("x509", "-in", filepath.Join(d, "ee/carolCert.pem"), "-noout", "-subject", "-ext", "subjectAltName,crlDistributionPoints")
	for _, w := range []string{"C = CH, O = strongSwan Project, OU = Research, CN = carol@strongswan.org", "email:carol@strongswan.org", CRLURI} {
		if !strings.Contains(out, w) {
			t.Errorf("openssl x509 output lacks %q:\n%s", w, out)
		}
	}
}

func TestStrongSwanPKIAccepts(t *testing.T) {
	_, d := testPKI(t)
	tool, err := exec.LookPath("pki")
	if err != nil {
		if _, err := os.Stat("/usr/bin/pki"); err != nil {
			t.Skip("strongSwan pki not installed")
		}
		tool = "/usr/bin/pki"
	}
	conf := filepath.Join(t.TempDir(), "strongswan.conf")
	// only plugins Debian ships and that need no hardware (no tpm)
	os.WriteFile(conf, []byte("pki {\n  load = random nonce pem pkcs1 pkcs8 openssl x509 gmp sha1 sha2 revocation constraints pubkey\n}\n"), 0o644)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tool, args...)
		cmd.Env = append(os.Environ(), "STRONGSWAN_CONF="+conf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("pki %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	ca := filepath.Join(d, "ca/strongswanCert.pem")
	out := run("--print", "--in", ca)
	if !strings.Contains(out, `subject:  "C=CH, O=strongSwan Project, CN=strongSwan Root CA"`) || !strings.Contains(out, "CA") {
		t.Errorf("pki --print CA:\n%s", out)
	}
	out = run("--print", "--in", filepath.Join(d, "ee/moonCert.pem"))
	for _, w := range []string{`subject:  "C=CH, O=strongSwan Project, CN=moon.strongswan.org"`, "altNames:  moon.strongswan.org", "serial:    03", CRLURI} {
		if !strings.Contains(out, w) {
			t.Errorf("pki --print moon lacks %q:\n%s", w, out)
		}
	}
	for _, e := range Entities {
		run("--verify", "--in", filepath.Join(d, "ee", e.Name+"Cert.pem"), "--cacert", ca)
	}
	run("--print", "--type", "crl", "--in", filepath.Join(d, "ca/strongswan.crl"))
	run("--print", "--type", "rsa", "--in", filepath.Join(d, "hosts/moon/ipsec.d/private/moonKey.pem"))
}

func TestDN(t *testing.T) {
	p, _ := testPKI(t)
	carol, _ := p.Cred("carol")
	if got, want := DN(carol.Cert.Subject), "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org"; got != want {
		t.Errorf("DN = %q, want %q", got, want)
	}
	if got, want := DN(p.CA.Subject), "C=CH, O=strongSwan Project, CN=strongSwan Root CA"; got != want {
		t.Errorf("CA DN = %q, want %q", got, want)
	}
}
