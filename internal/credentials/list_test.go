package credentials

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
)

// goldenStore builds the store of testdata/listcerts (see its README.md).
func goldenStore(t *testing.T) (*Store, time.Time) {
	t.Helper()
	dir := "testdata/listcerts"
	secrets, diags := config.LoadSecrets(nil, filepath.Join(dir, "ipsec.secrets"), filepath.Join(dir, "ipsec.d", "private"))
	if config.HasErrors(diags) {
		t.Fatal(diags)
	}
	s, ds := NewStore(Options{
		IPsecDir:  filepath.Join(dir, "ipsec.d"),
		Secrets:   secrets,
		CertFiles: []string{"moonCert.pem", "moonCert.pem", "carolCert.pem", "venusEcCert.pem", "edCert.pem"},
	})
	for _, d := range ds {
		if d.Err != nil {
			t.Errorf("%s", d)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "now"))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return s, time.Unix(sec, 0).In(time.UTC)
}

func TestListGolden(t *testing.T) {
	s, now := goldenStore(t)
	for _, tc := range []struct {
		golden string
		opts   ListOptions
	}{
		{"listcerts.golden", ListOptions{Now: now, Certs: true}},
		{"listcacerts.golden", ListOptions{Now: now, CACerts: true}},
		{"listcrls.golden", ListOptions{Now: now, CRLs: true}},
		{"listcerts-utc.golden", ListOptions{Now: now, Certs: true, UTC: true}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata/listcerts", tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := s.WriteList(&got, tc.opts); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("output differs from strongSwan's:\n%s", diffLines(string(want), got.String()))
			}
		})
	}
	var a, b bytes.Buffer
	if err := s.WriteListCerts(&a, now); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteList(&b, ListOptions{Now: now, Certs: true}); err != nil || a.String() != b.String() {
		t.Error("WriteListCerts differs from WriteList with Certs")
	}
}

// diffLines shows the first differing lines of two texts.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	n := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			sb.WriteString("line " + strconv.Itoa(i+1) + ":\n  strongSwan: " + strconv.Quote(a) + "\n  ours:       " + strconv.Quote(b) + "\n")
			if n++; n > 10 {
				break
			}
		}
	}
	return sb.String()
}

// TestChainLogsGolden compares our chain verification lines with those
// strongSwan logged for the same certificates and store (see
// testdata/listcerts/README.md).
func TestChainLogsGolden(t *testing.T) {
	s, now := goldenStore(t)
	read := func(name string) []string {
		b, err := os.ReadFile(filepath.Join("testdata/listcerts", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	dave, err := LoadCertificate("testdata/listcerts/daveCert.pem")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.VerifyChain(dave, nil, now, Constraints{})
	if !errors.Is(err, ErrRevoked) {
		t.Errorf("dave: %v", err)
	}
	if want := read("chain-dave.log"); strings.Join(ch.Log, "\n") != strings.Join(want, "\n") {
		t.Errorf("dave:\n%s", diffLines(strings.Join(want, "\n"), strings.Join(ch.Log, "\n")))
	}
	carol, _ := s.Cert("carolCert.pem")
	var chains []*Chain
	for ch := range s.PeerCerts(identity.MustParse("carol@strongswan.org"), KeyRSA, []*x509.Certificate{carol}, now, Constraints{}) {
		chains = append(chains, ch)
	}
	if len(chains) != 1 || !chains[0].Trusted || chains[0].Err != nil {
		t.Fatalf("carol: %d chains", len(chains))
	}
	if want := read("chain-carol.log"); strings.Join(chains[0].Log, "\n") != strings.Join(want, "\n") {
		t.Errorf("carol:\n%s", diffLines(strings.Join(want, "\n"), strings.Join(chains[0].Log, "\n")))
	}
}
