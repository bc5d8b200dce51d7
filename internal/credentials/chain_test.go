package credentials

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/identity"
)

const (
	rootDN  = "C=CH, O=strongSwan Project, CN=strongSwan Root CA"
	imDN    = "C=CH, O=strongSwan Project, CN=strongSwan Intermediate CA"
	otherDN = "C=CH, O=strongSwan Project, CN=Other CA"
	carolDN = "C=CH, O=strongSwan Project, CN=carol@strongswan.org"
)

func q(dn string) string { return "\"" + dn + "\"" }

func TestVerifyChain(t *testing.T) {
	root := issue(t, "strongSwan Root CA", true, "rsa", nil)
	im := issue(t, "strongSwan Intermediate CA", true, "ed25519", root)
	other := issue(t, "Other CA", true, "p256", nil)
	tight := issue(t, "Tight CA", true, "p256", nil, pathLen(0))
	tightIM := issue(t, "Tight Intermediate", true, "p256", tight)
	const cdp = "http://crl.strongswan.org/strongswan.crl"

	type tc struct {
		name    string
		leaf    *tcert
		ims     []*tcert
		crls    map[string][]byte
		conn    []*tcert // certificates loaded for conns (trusted)
		cas     []*tcert // more CA certificates in cacerts
		c       Constraints
		wantErr error
		log     []string // expected Log (nil: don't check)
		clog    []string
		crl     []Validation
		chain   int
	}
	leaf := issue(t, "carol@strongswan.org", false, "p256", root)
	leafCDP := issue(t, "carol@strongswan.org", false, "p256", root, withCDP(cdp))
	leafIM := issue(t, "carol@strongswan.org", false, "rsa", im)
	leafPSS := func() *tcert {
		c := issue(t, "carol@strongswan.org", false, "p256", root, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.SHA256WithRSAPSS })
		if c.cert.SignatureAlgorithm != x509.SHA256WithRSAPSS {
			t.Fatal("no PSS signature")
		}
		return c
	}()
	leafOther := issue(t, "carol@strongswan.org", false, "p256", other)
	leafTight := issue(t, "carol@strongswan.org", false, "p256", tightIM)
	expired := issue(t, "carol@strongswan.org", false, "p256", root, validity(testNow.AddDate(-2, 0, 0), testNow.AddDate(0, 0, -1)))
	selfSigned := issue(t, "carol@strongswan.org", false, "p256", nil)
	t0 := formatTime(testNow.AddDate(-2, 0, 0), false, time.UTC)
	t1 := formatTime(testNow.AddDate(0, 0, -1), false, time.UTC)
	good := revoke(t, root, 1, testNow.Add(-time.Hour), testNow.AddDate(0, 0, 7))
	revoked := revoke(t, root, 2, testNow.Add(-time.Hour), testNow.AddDate(0, 0, 7), leaf)
	stale := revoke(t, root, 3, testNow.AddDate(0, 0, -20), testNow.AddDate(0, 0, -10))
	revokedAt := formatTime(testNow.Add(-2*time.Hour), true, nil)
	until := formatTime(testNow.AddDate(0, 0, 7), false, time.UTC)

	for _, c := range []tc{
		{name: "chain ok", leaf: leaf, chain: 2, crl: []Validation{ValidationSkipped}, log: []string{
			"  using certificate " + q(carolDN),
			"  using trusted ca certificate " + q(rootDN),
			"  reached self-signed root ca with a path length of 0",
			"checking certificate status of " + q(carolDN),
			"certificate status is not available",
		}},
		{name: "RSA-PSS signed", leaf: leafPSS, chain: 2},
		{name: "untrusted CA", leaf: leafOther, wantErr: ErrUntrusted, chain: 1, log: []string{
			"  using certificate " + q(carolDN),
			"no issuer certificate found for " + q(carolDN),
			"  issuer is " + q(otherDN),
		}},
		{name: "untrusted CA sent along", leaf: leafOther, ims: []*tcert{other}, wantErr: ErrUntrusted, chain: 2, log: []string{
			"  using certificate " + q(carolDN),
			"  using untrusted intermediate certificate " + q(otherDN),
			"  self-signed certificate " + q(otherDN) + " is not trusted",
		}},
		{name: "self-signed leaf", leaf: selfSigned, wantErr: ErrUntrusted, chain: 1, log: []string{
			"  using certificate " + q(carolDN),
			"  self-signed certificate " + q(carolDN) + " is not trusted",
		}},
		{name: "expired", leaf: expired, wantErr: ErrUntrusted, chain: 1, log: []string{
			"  using certificate " + q(carolDN),
			"  using trusted ca certificate " + q(rootDN),
			"subject certificate invalid (valid from " + t0 + " to " + t1 + ")",
		}},
		{name: "intermediate via CERT payload", leaf: leafIM, ims: []*tcert{im}, chain: 3,
			crl: []Validation{ValidationSkipped, ValidationSkipped}, log: []string{
				"  using certificate " + q(carolDN),
				"  using untrusted intermediate certificate " + q(imDN),
				"  using trusted ca certificate " + q(rootDN),
				"  reached self-signed root ca with a path length of 1",
				"checking certificate status of " + q(carolDN),
				"certificate status is not available",
				"checking certificate status of " + q(imDN),
				"certificate status is not available",
			}},
		{name: "intermediate missing", leaf: leafIM, wantErr: ErrUntrusted, chain: 1, log: []string{
			"  using certificate " + q(carolDN),
			"no issuer certificate found for " + q(carolDN),
			"  issuer is " + q(imDN),
		}},
		{name: "path length", leaf: leafTight, ims: []*tcert{tightIM}, wantErr: ErrUntrusted, chain: 2, log: []string{
			"  using certificate " + q(carolDN),
			"  using untrusted intermediate certificate \"C=CH, O=strongSwan Project, CN=Tight Intermediate\"",
			"  using trusted ca certificate \"C=CH, O=strongSwan Project, CN=Tight CA\"",
			"path length of 1 violates constraint of 0",
		}},
		{name: "revoked", leaf: leaf, crls: map[string][]byte{"root.crl": revoked}, wantErr: ErrRevoked, chain: 2,
			crl: []Validation{ValidationRevoked}, log: []string{
				"  using certificate " + q(carolDN),
				"  using trusted ca certificate " + q(rootDN),
				"  reached self-signed root ca with a path length of 0",
				"checking certificate status of " + q(carolDN),
				"  using trusted certificate " + q(rootDN),
				"  crl correctly signed by " + q(rootDN),
				"  crl is valid: until " + until,
				"certificate was revoked on " + revokedAt + ", reason: key compromise",
				"  using cached crl",
			}},
		{name: "CRL good", leaf: leaf, crls: map[string][]byte{"root.crl": good}, chain: 2,
			c: Constraints{CRL: CRLPolicyYes}, crl: []Validation{ValidationGood}, log: []string{
				"  using certificate " + q(carolDN),
				"  using trusted ca certificate " + q(rootDN),
				"  reached self-signed root ca with a path length of 0",
				"checking certificate status of " + q(carolDN),
				"  using trusted certificate " + q(rootDN),
				"  crl correctly signed by " + q(rootDN),
				"  crl is valid: until " + until,
				"  using cached crl",
				"certificate status is good",
			}},
		{name: "newer CRL wins", leaf: leaf, crls: map[string][]byte{"a.crl": revoked, "b.crl": good}, wantErr: ErrRevoked,
			chain: 2, crl: []Validation{ValidationRevoked}},
		{name: "stale CRL", leaf: leaf, crls: map[string][]byte{"root.crl": stale}, chain: 2, crl: []Validation{ValidationStale}},
		{name: "stale CRL strict", leaf: leaf, crls: map[string][]byte{"root.crl": stale}, chain: 2, c: Constraints{CRL: CRLPolicyYes},
			wantErr: ErrConstraint, crl: []Validation{ValidationStale},
			clog: []string{"constraint check failed: RULE_CRL_VALIDATION is STALE, but requires at least GOOD"}},
		{name: "no CRL, ifuri, no CDP", leaf: leaf, chain: 2, c: Constraints{CRL: CRLPolicyIfURI}, crl: []Validation{ValidationSkipped}},
		{name: "no CRL, ifuri, CDP", leaf: leafCDP, chain: 2, c: Constraints{CRL: CRLPolicyIfURI}, wantErr: ErrConstraint,
			crl:  []Validation{ValidationFailed},
			clog: []string{"constraint check failed: RULE_CRL_VALIDATION is FAILED, but requires at least SKIPPED"},
			log: []string{
				"  using certificate " + q(carolDN),
				"  using trusted ca certificate " + q(rootDN),
				"  reached self-signed root ca with a path length of 0",
				"checking certificate status of " + q(carolDN),
				"  not fetching crl from '" + cdp + "': fetching CRLs is not supported",
				"certificate status is not available",
			}},
		{name: "CA constraint met", leaf: leaf, chain: 2, c: Constraints{CA: root.cert}},
		{name: "wrong CA constraint", leaf: leaf, chain: 2, c: Constraints{CA: other.cert}, wantErr: ErrConstraint, cas: []*tcert{other},
			clog: []string{"constraint check failed: peer not authenticated by CA '" + otherDN + "'"}},
		{name: "trusted peer certificate", leaf: leafOther, conn: []*tcert{leafOther}, chain: 1, log: []string{
			"  using trusted certificate " + q(carolDN),
			"no issuer certificate found for " + q(carolDN),
			"  issuer is " + q(otherDN),
			"  reached end of incomplete trust chain for trusted certificate " + q(carolDN),
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newIPsecD(t)
			d.cert("cacerts/root.pem", root)
			d.cert("cacerts/tight.pem", tight)
			for i, ca := range c.cas {
				d.cert(fmt.Sprintf("cacerts/ca%d.pem", i), ca)
			}
			for name, der := range c.crls {
				d.write("crls/"+name, der)
			}
			var files []string
			for i, cc := range c.conn {
				name := fmt.Sprintf("conn%d.pem", i)
				d.cert("certs/"+name, cc)
				files = append(files, name)
			}
			s := d.store(nil, files...)
			var ims []*x509.Certificate
			for _, im := range c.ims {
				ims = append(ims, im.cert)
			}
			ch, err := s.VerifyChain(c.leaf.cert, ims, testNow, c.c)
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
			if err != ch.Err {
				t.Error("returned error is not Chain.Err")
			}
			if ch.Trusted != (c.wantErr == nil || errors.Is(c.wantErr, ErrConstraint)) {
				t.Errorf("Trusted = %v", ch.Trusted)
			}
			if c.chain != 0 && len(ch.Certs) != c.chain {
				t.Errorf("chain of %d certificates, want %d", len(ch.Certs), c.chain)
			}
			if c.log != nil && strings.Join(ch.Log, "\n") != strings.Join(c.log, "\n") {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(ch.Log, "\n"), strings.Join(c.log, "\n"))
			}
			if strings.Join(ch.ConstraintLog, "\n") != strings.Join(c.clog, "\n") {
				t.Errorf("constraint log %q, want %q", ch.ConstraintLog, c.clog)
			}
			if c.crl != nil && fmt.Sprint(ch.CRL) != fmt.Sprint(c.crl) {
				t.Errorf("CRL status %v, want %v", ch.CRL, c.crl)
			}
			if ch.Trusted && !certEqual(ch.Leaf(), c.leaf.cert) {
				t.Error("leaf")
			}
		})
	}
}

func TestPeerCerts(t *testing.T) {
	root := issue(t, "strongSwan Root CA", true, "p256", nil)
	other := issue(t, "Other CA", true, "p256", nil)
	a := issue(t, "carol@strongswan.org", false, "p256", other)
	b := issue(t, "carol@strongswan.org", false, "rsa", root)
	d := newIPsecD(t)
	d.cert("cacerts/root.pem", root)
	s := d.store(nil)
	id := identity.MustParse("carol@strongswan.org")
	var got []string
	for ch := range s.PeerCerts(id, KeyAny, []*x509.Certificate{a.cert, b.cert}, testNow, Constraints{}) {
		got = append(got, fmt.Sprintf("%v %d", ch.Trusted, len(ch.Certs)))
	}
	if strings.Join(got, ",") != "false 1,true 2" {
		t.Errorf("attempts %q", got)
	}
	got = nil
	for ch := range s.PeerCerts(id, KeyRSA, []*x509.Certificate{a.cert, b.cert}, testNow, Constraints{}) {
		got = append(got, ch.Log[0])
	}
	if len(got) != 1 || got[0] != "  using certificate "+q(carolDN) {
		t.Errorf("RSA only: %q", got)
	}
	for range s.PeerCerts(identity.MustParse("dave@strongswan.org"), KeyAny, []*x509.Certificate{a.cert, b.cert}, testNow, Constraints{}) {
		t.Error("a certificate for dave")
	}
	// stop early
	for range s.PeerCerts(id, KeyAny, []*x509.Certificate{a.cert, b.cert}, testNow, Constraints{}) {
		break
	}
	// a trusted conn certificate comes first
	d.cert("certs/b.pem", b)
	s = d.store(nil, "b.pem")
	got = nil
	for ch := range s.PeerCerts(id, KeyAny, []*x509.Certificate{a.cert}, testNow, Constraints{}) {
		got = append(got, ch.Log[0])
	}
	if len(got) != 2 || got[0] != "  using trusted certificate "+q(carolDN) {
		t.Errorf("with conn certificate: %q", got)
	}
}

func TestCACertAndCertReq(t *testing.T) {
	root := issue(t, "strongSwan Root CA", true, "p256", nil)
	im := issue(t, "strongSwan Intermediate CA", true, "p256", root)
	moon := issue(t, "moon.strongswan.org", false, "p256", im)
	d := newIPsecD(t)
	d.cert("cacerts/root.pem", root)
	d.cert("cacerts/im.pem", im)
	d.cert("certs/moon.pem", moon)
	s := d.store(nil, "moon.pem")
	if c, line := s.CACert(rootDN); c == nil || !certEqual(c, root.cert) || line != "" {
		t.Errorf("CACert(root) = %v, %q", c, line)
	}
	if c, line := s.CACert("C=CH, CN=nobody"); c != nil || line != "CA certificate \"C=CH, CN=nobody\" not found, discarding CA constraint" {
		t.Errorf("CACert(nobody) = %v, %q", c, line)
	}
	ids := s.CertReqKeyIDs()
	if len(ids) != 2 {
		t.Fatalf("%d CERTREQ hashes", len(ids))
	}
	for _, id := range ids {
		c, ok := s.TrustAnchorByKeyID(id)
		if !ok || !c.IsCA {
			t.Errorf("CERTREQ %x: %v", id, c)
		}
	}
	if _, ok := s.TrustAnchorByKeyID([]byte("nope")); ok {
		t.Error("unknown key ID found")
	}
	kid, line, ok := CertReqFor(root.cert)
	if !ok || line != "sending cert request for "+q(rootDN) || len(kid) != 20 {
		t.Errorf("CertReqFor: %x %q %v", kid, line, ok)
	}
	if _, _, ok := CertReqFor(moon.cert); ok {
		t.Error("CERTREQ for an end entity")
	}
	// CertReqs is CertReqFor of every CA certificate, worked out at load
	kids, subjects := s.CertReqs()
	if len(kids) != len(s.CACerts()) || len(subjects) != len(kids) {
		t.Fatalf("CertReqs: %d hashes, %d subjects for %d CA certificates", len(kids), len(subjects), len(s.CACerts()))
	}
	for i, ca := range s.CACerts() {
		kid, line, _ := CertReqFor(ca)
		if !bytes.Equal(kid, kids[i]) || line != "sending cert request for "+q(subjects[i]) {
			t.Errorf("CertReqs[%d] = %x %q, CertReqFor: %x %q", i, kids[i], subjects[i], kid, line)
		}
	}
	if ims := s.Intermediates(moon.cert); len(ims) != 1 || !certEqual(ims[0], im.cert) {
		t.Errorf("intermediates %v", ims)
	}
}
