package configtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/config"
)

const pass = "nH5ZQEWtku0RJEZ6" // of ../credentials/testdata/*-legacy-*.pem

// confdir builds a configuration directory from inline files plus copies of
// the credentials package's test keys and certificate.
func confdir(t *testing.T, files map[string]string, copies map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		write(t, filepath.Join(dir, name), []byte(content))
	}
	for dst, src := range copies {
		b, err := os.ReadFile(filepath.Join("../credentials/testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, dst), b)
	}
	return dir
}

func write(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

const goodConf = `config setup
	uniqueids=yes

conn home
	left=192.168.0.100
	leftcert=hostCert.pem
	leftid=carol@strongswan.org
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	ike=aes256-sha256-modp3072,aes128gcm16-prfsha256-ecp256!
	esp=aes128gcm16-ecp256
	auto=add
`

var goodCopies = map[string]string{
	"ipsec.d/certs/hostCert.pem":        "cert.pem",
	"ipsec.d/cacerts/caCert.pem":        "cert.der",
	"ipsec.d/private/hostKey.pem":       "rsa-legacy-des3.pem",
	"ipsec.d/private/ecKey.pem":         "ec-legacy-aes128.pem",
	"ipsec.d/private/pkcs8Key.pem":      "ec384-pkcs8-aes256.pem",
	"ipsec.d/private/plainKey.der":      "rsa.der",
	"ipsec.d/private/ed25519Key.pem":    "ed25519.pem",
	"ipsec.d/private/pkcs8RSAKey.pem":   "rsa-pkcs8-aes128-sha512.pem",
	"ipsec.d/private/unusedKeyFile.pem": "rsa.pem",
}

const goodSecrets = `: RSA hostKey.pem "` + pass + `"
: ECDSA ecKey.pem "` + pass + `"
: PKCS8 pkcs8Key.pem "` + pass + `"
: RSA plainKey.der
: PKCS8 ed25519Key.pem
: PKCS8 pkcs8RSAKey.pem "` + pass + `"
carol@strongswan.org : EAP "secret"
`

func check(t *testing.T, dir string) *Result {
	t.Helper()
	return Check(config.Options{ConfDir: dir, StrongswanConf: filepath.Join(dir, "strongswan.conf")})
}

func TestGoodConfiguration(t *testing.T) {
	dir := confdir(t, map[string]string{
		"ipsec.conf": goodConf, "ipsec.secrets": goodSecrets, "strongswan.conf": "charon {\n}\n",
	}, goodCopies)
	r := check(t, dir)
	var out bytes.Buffer
	if !r.Print(&out) || r.Errors() != 0 || r.Warnings() != 0 {
		t.Fatalf("want a clean configuration:\n%s", out.String())
	}
	if r.Conns != 1 || r.Secrets != 7 || r.Keys != 6 || r.Certs != 2 {
		t.Fatalf("counted %d conns, %d secrets, %d keys, %d certs", r.Conns, r.Secrets, r.Keys, r.Certs)
	}
	if !strings.Contains(out.String(), "configuration OK (0 warnings)") {
		t.Fatalf("summary:\n%s", out.String())
	}
}

func TestBrokenConfiguration(t *testing.T) {
	conf := strings.NewReplacer(
		"rightsubnet", "rihgtsubnet", // line 10: unknown keyword
		"ike=aes256-sha256-modp3072,", "ike=aes256-sha256-modp3071,", // line 11
		"esp=aes128gcm16-ecp256", "esp=aes128gcm16-blowfish", // line 12
	).Replace(goodConf)
	secrets := `: RSA hostKey.pem "wrong"
: ECDSA plainKey.der
: RSA ecKey.pem "` + pass + `"
: RSA unusedKeyFile.pem
: PKCS8 pkcs8Key.pem
`
	copies := map[string]string{}
	for k, v := range goodCopies {
		copies[k] = v
	}
	copies["ipsec.d/certs/hostCert.pem"] = "rsa.pem"     // a key where the certificate should be
	copies["ipsec.d/cacerts/broken.pem"] = "ed25519.pem" // no CA certificate
	dir := confdir(t, map[string]string{
		"ipsec.conf": conf, "ipsec.secrets": secrets, "strongswan.conf": "charon {\n}\n",
	}, copies)
	r := check(t, dir)
	want := []struct {
		file string
		line int
		msg  string
	}{
		{"ipsec.conf", 6, "loading certificate from"},
		{"ipsec.conf", 10, "unknown keyword 'rihgtsubnet'"},
		{"ipsec.conf", 11, "modp3071"},
		{"ipsec.conf", 12, "blowfish"},
		{"ipsec.secrets", 1, "wrong passphrase"},
		{"ipsec.secrets", 2, "not an ECDSA key"},
		{"ipsec.secrets", 3, "not an RSA key"},
		{"ipsec.secrets", 5, "no passphrase is given"},
		{"ipsec.d/cacerts/broken.pem", 0, "loading CA certificate failed"},
	}
	var out bytes.Buffer
	if r.Print(&out) {
		t.Fatal("broken configuration reported OK")
	}
	got := map[int]bool{}
	for _, w := range want {
		found := false
		for i, d := range r.Diagnostics {
			if d.Severity == config.SeverityError && d.File == filepath.Join(dir, w.file) && d.Line == w.line && strings.Contains(d.Msg, w.msg) {
				found, got[i] = true, true
			}
		}
		if !found {
			t.Errorf("missing error %s:%d: ...%s...", w.file, w.line, w.msg)
		}
	}
	for i, d := range r.Diagnostics {
		if !got[i] && d.Severity == config.SeverityError {
			t.Errorf("unexpected error %v", d)
		}
	}
	if r.Errors() != len(want) {
		t.Errorf("%d errors, want %d", r.Errors(), len(want))
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
