package credentials

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/identity"
)

func TestStoreLoading(t *testing.T) {
	root := issue(t, "strongSwan Root CA", true, "p256", nil)
	notCA := issue(t, "Not a CA", false, "p256", nil)
	moon := issue(t, "moon.strongswan.org", false, "rsa", root)
	sun := issue(t, "sun.strongswan.org", false, "ed25519", root)
	d := newIPsecD(t)
	d.cert("cacerts/root.pem", root)
	d.cert("cacerts/root-again.pem", root)
	d.cert("cacerts/notca.pem", notCA)
	d.write("cacerts/broken.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	d.cert("certs/moonCert.pem", moon)
	abs := d.cert("certs/sunCert.pem", sun)
	d.key("private/moonKey.pem", moon)
	d.write("crls/broken.crl", []byte("nope"))
	d.write("crls/a.crl", revoke(t, root, 1, testNow.Add(-time.Hour), testNow.Add(time.Hour)))
	d.write("crls/b.crl", revoke(t, root, 2, testNow.Add(-time.Hour), testNow.Add(time.Hour)))

	s, diags := NewStore(Options{IPsecDir: d.dir(), Secrets: d.secrets(": RSA moonKey.pem\n"),
		CertFiles: []string{"moonCert.pem", abs, "missing.pem", "%smartcard1@opensc:01"}})
	var lines []string
	for _, dg := range diags {
		l := strings.ReplaceAll(dg.Message, d.root, "ROOT")
		if dg.Err != nil {
			l += " [error]"
		}
		lines = append(lines, l)
	}
	want := []string{
		"loading ca certificates from 'ROOT/ipsec.d/cacerts'",
		"  loading ca certificate from 'ROOT/ipsec.d/cacerts/broken.pem' failed [error]",
		"  ca certificate \"C=CH, O=strongSwan Project, CN=Not a CA\" lacks ca basic constraint, discarded [error]",
		"  loaded ca certificate \"" + rootDN + "\" from 'ROOT/ipsec.d/cacerts/root-again.pem'",
		"  loaded ca certificate \"" + rootDN + "\" from 'ROOT/ipsec.d/cacerts/root.pem'",
		"loading crls from 'ROOT/ipsec.d/crls'",
		"  loaded crl from 'ROOT/ipsec.d/crls/a.crl'",
		"  loaded crl from 'ROOT/ipsec.d/crls/b.crl'",
		"  crl #02 is newer - existing crl #01 replaced",
		"  loading crl from 'ROOT/ipsec.d/crls/broken.crl' failed [error]",
		"loading secrets from 'ROOT/ipsec.secrets'",
		"  loaded RSA private key from 'ROOT/ipsec.d/private/moonKey.pem'",
		"  loaded certificate \"C=CH, O=strongSwan Project, CN=moon.strongswan.org\" from 'moonCert.pem'",
		"  loaded certificate \"C=CH, O=strongSwan Project, CN=sun.strongswan.org\" from 'ROOT/ipsec.d/certs/sunCert.pem'",
		"  loading certificate from 'missing.pem' failed [error]",
		"  loading certificate from '%smartcard1@opensc:01' failed [error]",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(s.CACerts()) != 1 || len(s.CRLs()) != 1 || s.CRLs()[0].Number.Int64() != 2 || len(s.Certs()) != 2 {
		t.Errorf("%d CA certs, %d CRLs, %d certs", len(s.CACerts()), len(s.CRLs()), len(s.Certs()))
	}
	if c, ok := s.Cert("moonCert.pem"); !ok || !certEqual(c, moon.cert) {
		t.Error("Cert(moonCert.pem)")
	}
	if _, ok := s.Cert("missing.pem"); ok {
		t.Error("Cert(missing.pem)")
	}

	// keys and certificates by identity
	k, c, ok := s.PrivateKeyForID(identity.MustParse("@moon.strongswan.org"))
	if !ok || c == nil || !certEqual(c, moon.cert) || KeyTypeOf(k) != KeyRSA {
		t.Error("PrivateKeyForID(moon)")
	}
	k2, c2, ok := s.PrivateKeyForID(identity.MustParse("C=CH, O=strongSwan Project, CN=moon.strongswan.org"))
	if !ok || c2 == nil || k2 != k {
		t.Error("PrivateKeyForID(moon's DN)")
	}
	ci := newCertInfo(moon.cert, "")
	for _, kid := range [][]byte{ci.keyID, ci.subjKey} {
		if k3, c3, ok := s.PrivateKeyForID(identity.New(identity.KeyID, kid)); !ok || k3 != k || c3 != nil {
			t.Errorf("PrivateKeyForID(keyid %x)", kid)
		}
	}
	if _, _, ok := s.PrivateKeyForID(identity.MustParse("@sun.strongswan.org")); ok {
		t.Error("a key for sun")
	}
	if _, _, ok := s.PrivateKeyForID(identity.ID{}); ok {
		t.Error("a key for no identity")
	}
	if got := s.CertsFor(identity.MustParse("@*.strongswan.org")); len(got) != 2 {
		t.Errorf("CertsFor(*.strongswan.org) = %d certificates", len(got))
	}
	if got := s.CertsFor(identity.MustParse(rootDN)); len(got) != 1 || !got[0].IsCA {
		t.Errorf("CertsFor(root) = %v", got)
	}
	if !s.HasPrivateKey(moon.cert) || s.HasPrivateKey(sun.cert) {
		t.Error("HasPrivateKey")
	}

	// WithCerts adds, leaves the original alone
	venus := issue(t, "venus.strongswan.org", false, "p384", root)
	d.cert("certs/venusCert.pem", venus)
	s2, d2 := s.WithCerts("venusCert.pem", "moonCert.pem")
	if len(d2) != 1 || len(s2.Certs()) != 3 || len(s.Certs()) != 2 {
		t.Errorf("WithCerts: %v, %d / %d certs", d2, len(s2.Certs()), len(s.Certs()))
	}
	if _, ok := s.Cert("venusCert.pem"); ok {
		t.Error("WithCerts changed the original store")
	}
	if len(s2.Diagnostics()) != len(s.Diagnostics())+1 {
		t.Error("diagnostics not carried over")
	}

	// ForceCA
	s3, _ := NewStore(Options{IPsecDir: d.dir(), ForceCA: true})
	if len(s3.CACerts()) != 2 {
		t.Errorf("ForceCA: %d CA certificates", len(s3.CACerts()))
	}
}

func TestKeyTypes(t *testing.T) {
	for _, tc := range []struct {
		kind string
		typ  KeyType
		bits int
	}{{"rsa", KeyRSA, 1024}, {"p256", KeyECDSA, 256}, {"p384", KeyECDSA, 384}, {"ed25519", KeyEd25519, 256}} {
		k := genKey(t, tc.kind)
		if KeyTypeOf(k) != tc.typ || KeyTypeOf(k.Public()) != tc.typ || KeySize(k.Public()) != tc.bits {
			t.Errorf("%s: %s %d", tc.kind, KeyTypeOf(k), KeySize(k.Public()))
		}
	}
	if KeyTypeOf("x") != KeyAny || KeySize("x") != 0 || KeyType(9).String() != "(9)" {
		t.Error("unknown key")
	}
}

func TestCertFlags(t *testing.T) {
	root := issue(t, "Root", true, "p256", nil, pathLen(2))
	ee := issue(t, "ee", false, "p256", root, withKeyUsage(x509.KeyUsageKeyEncipherment), func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageOCSPSigning}
	})
	rc := newCertInfo(root.cert, "")
	if !rc.is(flagCA) || !rc.is(flagSelfSigned) || !rc.is(flagCRLSign) || rc.is(flagIKECompliant) || rc.pathLen != 2 {
		t.Errorf("root flags %b pathlen %d", rc.flags, rc.pathLen)
	}
	ec := newCertInfo(ee.cert, "")
	if ec.is(flagCA) || ec.is(flagSelfSigned) || ec.is(flagIKECompliant) || !ec.is(flagServerAuth) || !ec.is(flagOCSPSigner) || !ec.isCA() {
		t.Errorf("ee flags %b", ec.flags)
	}
	if !ec.issuedBy(rc) || rc.issuedBy(ec) || ec.issuedBy(ec) {
		t.Error("issuedBy")
	}
	plain := newCertInfo(issue(t, "plain", false, "p256", root).cert, "")
	if !plain.is(flagIKECompliant) || IKECompliant(ee.cert) || !IKECompliant(plain.cert) {
		t.Error("IKE compliance")
	}
}

func TestFormatTime(t *testing.T) {
	tm := time.Date(2026, 11, 27, 15, 45, 12, 0, time.UTC)
	cet := time.FixedZone("CET", 3600)
	for _, tc := range []struct{ got, want string }{
		{formatTime(tm, false, cet), "Nov 27 16:45:12 2026"},
		{formatTime(tm.In(cet), true, nil), "Nov 27 15:45:12 UTC 2026"},
		{formatTime(time.Time{}, false, nil), "--- -- --:--:-- ----"},
		{formatDelta(tm, tm.Add(90*time.Second)), "90 seconds"},
		{formatDelta(tm, tm.Add(121*time.Second)), "2 minutes"},
		{formatDelta(tm, tm.Add(-3*time.Hour)), "3 hours"},
		{formatDelta(tm, tm.Add(48*time.Hour+time.Second)), "2 days"},
		{formatDelta(tm, tm.Add(time.Second)), "1 second"},
	} {
		if tc.got != tc.want {
			t.Errorf("%q, want %q", tc.got, tc.want)
		}
	}
}
