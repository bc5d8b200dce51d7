package credentials

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/identity"
)

// The shapes of the scenario secrets (ikev2-stroke/net2net-psk,
// rw-psk-ipv4, rw-eap-*), with other values.
const testSecrets = `# net2net-psk (moon)
@moon.strongswan.org @sun.strongswan.org : PSK 0sc2VjcmV0LW1vb24tc3Vu
@moon.strongswan.org %any : PSK 0x6d6f6f6e2d616e79
@sun.strongswan.org : PSK "sun only"
: PSK 'anyone "at all"'
192.168.0.1 : PSK   "moon's address"
# rw-psk-ipv4 (moon)
192.168.0.100 : PSK 0sY2Fyb2wtaXA=
192.168.0.200 : PSK 0sZGF2ZS1pcA==
# a duplicate of an earlier line: replaces it
192.168.0.100 : PSK 0sY2Fyb2wtaXA=
# rw-eap-*
carol@strongswan.org : EAP "carol-eap"
carol : EAP "carol-fqdn-eap"
dave@strongswan.org : XAUTH "dave-xauth"
carol@strongswan.org : NTLM 0x0102030405060708090a0b0c0d0e0f10
*@strongswan.org : EAP "wildcard-eap"
`

func TestSharedKey(t *testing.T) {
	d := newIPsecD(t)
	s := d.store(d.secrets(testSecrets))
	id := identity.MustParse
	for _, tc := range []struct {
		typ           SharedType
		local, remote string
		want          string // secret, "" for none
	}{
		{SharedIKE, "@moon.strongswan.org", "@sun.strongswan.org", "secret-moon-sun"},
		{SharedIKE, "@sun.strongswan.org", "@moon.strongswan.org", "secret-moon-sun"},
		{SharedIKE, "@moon.strongswan.org", "carol@strongswan.org", "moon-any"},
		{SharedIKE, "@venus.strongswan.org", "@sun.strongswan.org", "sun only"},
		{SharedIKE, "@venus.strongswan.org", "@alice.strongswan.org", `anyone "at all"`},
		{SharedIKE, "192.168.0.1", "192.168.0.100", "carol-ip"},
		{SharedIKE, "192.168.0.1", "192.168.0.200", "dave-ip"},
		// the remote match counts first: %any beats an entry for our address only
		{SharedIKE, "192.168.0.1", "192.168.0.5", `anyone "at all"`},
		{SharedEAP, "@moon.strongswan.org", "carol@strongswan.org", "carol-eap"},
		{SharedEAP, "@moon.strongswan.org", "carol", "carol-fqdn-eap"},
		{SharedEAP, "@moon.strongswan.org", "dave@strongswan.org", "dave-xauth"},
		{SharedEAP, "@moon.strongswan.org", "eve@strongswan.org", "wildcard-eap"},
		{SharedEAP, "@moon.strongswan.org", "eve@example.org", ""},
		{SharedNTHash, "@moon.strongswan.org", "carol@strongswan.org", "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"},
	} {
		m, ok := s.SharedKey(tc.typ, id(tc.local), id(tc.remote))
		got := ""
		if ok {
			got = string(m.Secret)
		}
		if got != tc.want {
			t.Errorf("SharedKey(%s, %s, %s) = %q, want %q", tc.typ, tc.local, tc.remote, got, tc.want)
		}
	}
	if _, ok := s.SharedKey(SharedIKE, identity.ID{}, identity.ID{}); ok {
		t.Error("a key for no identities")
	}
	// the remote identity alone (EAP-AKA style lookups)
	if m, ok := s.SharedKey(SharedEAP, id("carol@strongswan.org"), identity.ID{}); !ok || string(m.Secret) != "carol-eap" {
		t.Errorf("local only: %q %v", m.Secret, ok)
	}

	// all candidates for verification, last line of the file first
	var got []string
	for _, m := range s.SharedKeys(SharedIKE, id("192.168.0.1"), id("192.168.0.100")) {
		got = append(got, string(m.Secret))
	}
	if want := "carol-ip|moon's address|anyone \"at all\"|moon-any"; strings.Join(got, "|") != want {
		t.Errorf("SharedKeys = %q, want %q", strings.Join(got, "|"), want)
	}
	n := 0
	for _, ss := range s.SharedSecrets() {
		if string(ss.Secret) == "carol-ip" {
			n++
		}
	}
	if n != 1 || len(s.SharedSecrets()) != 12 {
		t.Errorf("%d carol-ip entries, %d in all", n, len(s.SharedSecrets()))
	}
	if SharedNTHash.String() != "NTLM" || SharedIKE.String() != "IKE" {
		t.Error("type names")
	}
}

func TestSecretsLoadLog(t *testing.T) {
	d := newIPsecD(t)
	moon := issue(t, "moon.strongswan.org", false, "rsa", nil)
	ec := issue(t, "ec.strongswan.org", false, "p256", nil)
	d.key("private/moonKey.pem", moon)
	d.key("private/ecKey.pem", ec)
	d.write("private/garbage.pem", []byte("garbage"))
	secrets := d.secrets(": RSA moonKey.pem\n: ECDSA ecKey.pem\n: RSA ecKey.pem\n: PKCS8 garbage.pem\n: RSA missing.pem\n: P12 x.p12\n@moon.strongswan.org : PSK \"x\"\n")
	s, diags := NewStore(Options{IPsecDir: d.dir(), Secrets: secrets})
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
		"loading crls from 'ROOT/ipsec.d/crls'",
		"loading secrets from 'ROOT/ipsec.secrets'",
		"  loaded RSA private key from 'ROOT/ipsec.d/private/moonKey.pem'",
		"  loaded ECDSA private key from 'ROOT/ipsec.d/private/ecKey.pem'",
		"  loading private key from 'ROOT/ipsec.d/private/ecKey.pem' failed [error]",
		"  loading private key from 'ROOT/ipsec.d/private/garbage.pem' failed [error]",
		"  loading private key from 'ROOT/ipsec.d/private/missing.pem' failed [error]",
		"line 6: P12 entry skipped [error]",
		"  loaded IKE secret for @moon.strongswan.org",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, dg := range diags {
		if dg.Err != nil && !strings.Contains(dg.String(), dg.Err.Error()) {
			t.Error("String lacks the error")
		}
	}
	if k, ok := s.PrivateKey(moon.key.Public()); !ok || KeyTypeOf(k) != KeyRSA {
		t.Error("moon's key not found")
	}
	if _, ok := s.PrivateKey(issue(t, "x", false, "p256", nil).key.Public()); ok {
		t.Error("a key found for an unknown public key")
	}
}
