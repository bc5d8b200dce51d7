package credentials

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const pass = "nH5ZQEWtku0RJEZ6"

func TestLoadPrivateKey(t *testing.T) {
	rsaKey, err := LoadPrivateKey("testdata/rsa.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		check func(any) bool
	}{
		{"rsa.pem", isRSA},
		{"rsa.der", isRSA},
		{"rsa-legacy-des3.pem", isRSA},
		{"rsa-pkcs8-aes128-sha512.pem", func(k any) bool { return k.(*rsa.PrivateKey).Equal(rsaKey) }},
		{"ec-legacy-aes128.pem", curve(elliptic.P256())},
		{"ec384-pkcs8-aes256.pem", curve(elliptic.P384())},
		{"ed25519.pem", func(k any) bool { _, ok := k.(ed25519.PrivateKey); return ok }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			// a wrong passphrase first: the right one must still be found
			k, err := LoadPrivateKey(filepath.Join("testdata", tc.file), []byte("wrong"), []byte(pass))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(k) {
				t.Fatalf("got %T", k)
			}
		})
	}
}

func isRSA(k any) bool { _, ok := k.(*rsa.PrivateKey); return ok }

func curve(c elliptic.Curve) func(any) bool {
	return func(k any) bool { e, ok := k.(*ecdsa.PrivateKey); return ok && e.Curve == c }
}

func TestEncryptedKeyWithoutRightPassphrase(t *testing.T) {
	for _, f := range []string{"rsa-legacy-des3.pem", "ec-legacy-aes128.pem", "ec384-pkcs8-aes256.pem", "rsa-pkcs8-aes128-sha512.pem"} {
		for _, pp := range [][][]byte{nil, {[]byte("wrong")}, {[]byte(pass + "x")}} {
			if _, err := LoadPrivateKey(filepath.Join("testdata", f), pp...); !errors.Is(err, ErrPassphrase) {
				t.Errorf("%s with %q: err %v, want ErrPassphrase", f, pp, err)
			}
		}
	}
}

func TestMalformedKeys(t *testing.T) {
	legacy, _ := os.ReadFile("testdata/ec-legacy-aes128.pem")
	for name, data := range map[string][]byte{
		"empty":          nil,
		"garbage":        []byte("not a key"),
		"certificate":    mustRead(t, "testdata/cert.pem"),
		"truncated":      legacy[:len(legacy)/2],
		"bad DEK-Info":   []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,XYZ\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
		"unknown cipher": []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: RC2-CBC,0011223344556677\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
	} {
		if _, err := ParsePrivateKey(data, []byte(pass)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestLoadCertificate(t *testing.T) {
	a, err := LoadCertificate("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadCertificate("testdata/cert.der")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) || a.Subject.CommonName != "test" {
		t.Fatalf("PEM and DER differ or wrong subject %q", a.Subject)
	}
	if _, err := LoadCertificate("testdata/rsa.pem"); err == nil {
		t.Fatal("a key loaded as a certificate")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParsePrivateKey(f *testing.F) {
	for _, p := range []string{"rsa.pem", "rsa.der", "ec-legacy-aes128.pem", "ec384-pkcs8-aes256.pem", "ed25519.pem"} {
		b, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ParsePrivateKey(b, []byte(pass)) // must not panic
	})
}
