package identity

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseTypes(t *testing.T) {
	for _, tc := range []struct {
		in       string
		typ      Type
		data     string // hex; "-" to skip the check
		str      string
		fallback bool
	}{
		{"carol@strongswan.org", RFC822, hex.EncodeToString([]byte("carol@strongswan.org")), "carol@strongswan.org", false},
		{"@moon.strongswan.org", FQDN, hex.EncodeToString([]byte("moon.strongswan.org")), "moon.strongswan.org", false},
		{"moon.strongswan.org", FQDN, hex.EncodeToString([]byte("moon.strongswan.org")), "moon.strongswan.org", false},
		{"carol", FQDN, "6361726f6c", "carol", false},
		{"192.168.0.1", IPv4, "c0a80001", "192.168.0.1", false},
		{"fec0::1", IPv6, "fec00000000000000000000000000001", "fec0::1", false},
		{"::1.2.3.4", IPv6, "00000000000000000000000001020304", "::1.2.3.4", false},
		{"%any", Any, "", "%any", false},
		{"%any6", Any, "", "%any", false},
		{"", Any, "", "%any", false},
		{"*", Any, "", "%any", false},
		{"0.0.0.0", Any, "", "%any", false},
		{"::", Any, "", "%any", false},
		{"0::0", Any, "", "%any", false},
		{"*@strongswan.org", RFC822, "-", "*@strongswan.org", false},
		{"@*.strongswan.org", FQDN, "-", "*.strongswan.org", false},
		{"*.strongswan.org", FQDN, "-", "*.strongswan.org", false},
		{"@@carol", RFC822, "6361726f6c", "carol", false},
		{"@#0102a0", KeyID, "0102a0", "01:02:a0", false},
		{"@#0x102", KeyID, "0102", "01:02", false},
		{"@#01:02:a0", KeyID, "0102a0", "01:02:a0", false},
		{"@#zz", KeyID, "00", "00", true},
		{"@#6162", KeyID, "6162", "ab", false},
		{"@#" + strings.Repeat("61", 20), KeyID, strings.Repeat("61", 20), strings.TrimSuffix(strings.Repeat("61:", 20), ":"), false},
		{"10.1.0.0/16", IPv4Subnet, "0a010000ffff0000", "10.1.0.0/16", false},
		{"10.1.2.3/16", IPv4Subnet, "0a010000ffff0000", "10.1.0.0/16", false},
		{"10.1.2.3/33", FQDN, "-", "10.1.2.3/33", false},
		{"10.1.2.3/x", IPv4Subnet, "0000000000000000", "0.0.0.0/0", false},
		{"10.1.0.1-10.1.0.5", IPv4Range, "0a0100010a010005", "10.1.0.1-10.1.0.5", false},
		{"10.1.0.5-10.1.0.1", FQDN, "-", "10.1.0.5-10.1.0.1", false},
		{"fec0::/16", IPv6Subnet, "fec00000000000000000000000000000ffff0000000000000000000000000000", "fec0::/16", false},
		{"fec0::1-fec0::5", IPv6Range, "-", "fec0::1-fec0::5", false},
		{"fec0::1/200", KeyID, "-", "fec0::1/200", true},
		{"de:ad", KeyID, hex.EncodeToString([]byte("de:ad")), "de:ad", true},
		{"fqdn:sun.strongswan.org", FQDN, "-", "sun.strongswan.org", false},
		{"FQDN:sun", FQDN, "73756e", "sun", false},
		{"dns:sun", FQDN, "73756e", "sun", false},
		{"email:a@b", RFC822, "614062", "a@b", false},
		{"rfc822:a@b", RFC822, "614062", "a@b", false},
		{"userfqdn:a@b", RFC822, "614062", "a@b", false},
		{"keyid:#0102", KeyID, "0102", "01:02", false},
		{"keyid:abc", KeyID, "616263", "abc", false},
		{"ipv4:#c0a80001", IPv4, "c0a80001", "192.168.0.1", false},
		// strongSwan takes the text literally after a prefix without '#'
		{"ipv4:1.2.3.4", IPv4, hex.EncodeToString([]byte("1.2.3.4")), "49.46.50.46", false},
		{"ipv4net:#0a000000ff000000", IPv4Subnet, "0a000000ff000000", "10.0.0.0/8", false},
		{"ipv6range:#00", IPv6Range, "00", "(invalid ID_IPV6_ADDR_RANGE)", false},
		{"asn1dn:#300d310b300906035504061302434820", DN, "300d310b300906035504061302434820", "C=CH, (invalid ID_DER_ASN1_DN)", false},
		{"asn1gn:#8203616263", GN, "8203616263", "(ASN.1 general name)", false},
		{"xmppaddr:me@jabber", GN, "a01706082b06010505070805a00b0c096d65406a6162626572", "(ASN.1 general name)", false},
		{"{2}:abc", FQDN, "616263", "abc", false},
		{"{0x0b}:#0102", KeyID, "0102", "01:02", false},
		{"{013}:x", KeyID, "78", "x", false},
		{"{011}:#3000", DN, "3000", "", false},
		{"{300}:x", KeyID, "-", "{300}:x", true},
		{"{77}:x", Type(77), "78", "(unknown ID type: 77)", false},
		{"C=CH, O=strongSwan Project, CN=moon.strongswan.org", DN, "-", "C=CH, O=strongSwan Project, CN=moon.strongswan.org", false},
		{"C=CH, X=y", KeyID, hex.EncodeToString([]byte("C=CH, X=y")), "C=CH, X=y", true},
		{"CN", FQDN, "434e", "CN", false},
		{"CN=x, O", KeyID, "-", "CN=x, O", true},
		{"foo=bar", KeyID, "-", "foo=bar", true},
		{"@moon=x", KeyID, "-", "@moon=x", true},
		{"CN=a\x00ignored", DN, "300c310a300806035504031301" + "61", "CN=a", false},
		{"CN=tab\there", DN, "-", "CN=tab?here", false},
		{"CN=" + strings.Repeat("x, CN=", 20) + "x", KeyID, "-", "-", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			id, err := Parse(tc.in)
			var fe *FallbackError
			if tc.fallback != errors.As(err, &fe) || (err != nil && !tc.fallback) {
				t.Errorf("err = %v, want fallback %v", err, tc.fallback)
			}
			if id.Type() != tc.typ {
				t.Errorf("type %s, want %s", id.Type(), tc.typ)
			}
			if tc.data != "-" && hex.EncodeToString(id.Data()) != tc.data {
				t.Errorf("data %x, want %s", id.Data(), tc.data)
			}
			if tc.str != "-" && id.String() != tc.str {
				t.Errorf("String %q, want %q", id.String(), tc.str)
			}
			if id.IsZero() {
				t.Error("zero ID")
			}
		})
	}
}

// TestStrongSwanVectors checks Parse, String and SubjectAltNames against
// certificates strongSwan's pki made from the same strings (see
// testdata/mkvectors.sh).
func TestStrongSwanVectors(t *testing.T) {
	f, err := os.Open("testdata/strongswan-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 {
			t.Fatalf("line %q: %d fields", sc.Text(), len(fields))
		}
		in, der, alt, subj := fields[0], fields[1], fields[2], fields[3]
		n++
		b, err := hex.DecodeString(der)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(b)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		sans := SubjectAltNames(cert)
		if len(sans) != 1 {
			t.Errorf("%q: %d SANs", in, len(sans))
			continue
		}
		id, err := Parse(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
		}
		if !bytes.Equal(id.Data(), sans[0].Data()) || id.Type() != sans[0].Type() {
			t.Errorf("%q: ours %s %x, strongSwan %s %x", in, id.Type(), id.Data(), sans[0].Type(), sans[0].Data())
		}
		if got := sans[0].String(); got != alt {
			t.Errorf("%q: SAN prints %q, strongSwan %q", in, got, alt)
		}
		if got := FromCertSubject(cert).String(); got != subj {
			t.Errorf("%q: subject prints %q, strongSwan %q", in, got, subj)
		}
		if strings.Contains(in, "=") && !bytes.Equal(id.Data(), cert.RawSubject) {
			t.Errorf("%q: DN %x, strongSwan %x", in, id.Data(), cert.RawSubject)
		}
	}
	if n < 40 {
		t.Fatalf("only %d vectors", n)
	}
}

// tlv builds DER for the DN tests.
func tlv(tag byte, parts ...[]byte) []byte { return appendTLV(nil, tag, bytes.Join(parts, nil)) }

func atv(oid string, tag byte, v string) []byte {
	return tlv(tagSequence, tlv(tagOID, []byte(oid)), tlv(tag, []byte(v)))
}

func TestDNString(t *testing.T) {
	cn := "\x55\x04\x03"
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"empty", nil, ""},
		{"empty sequence", tlv(tagSequence), ""},
		{"truncated", []byte{0x30}, ""},
		{"unknown OID", tlv(tagSequence, tlv(tagSet, atv("\x2a\x03\x04", tagIA5String, "hi"))), "2a:03:04=hi"},
		{"below the CN leaf", tlv(tagSequence, tlv(tagSet, atv(cn+"\x01", tagPrintableString, "a"))), "CN=a"},
		{"X.509 node", tlv(tagSequence, tlv(tagSet, atv("\x55\x04", tagPrintableString, "a"))), "X.509=a"},
		{"multi-valued RDN", tlv(tagSequence, tlv(tagSet, atv("\x55\x04\x06", tagPrintableString, "CH"), atv("\x55\x04\x0a", tagPrintableString, ""))), "C=CH, O="},
		{"garbage after", append(tlv(tagSequence, tlv(tagSet, atv(cn, tagPrintableString, "a"))), 0xff), "CN=a, (invalid ID_DER_ASN1_DN)"},
		{"truncated RDN", tlv(tagSequence, tlv(tagSet, atv(cn, tagPrintableString, "a")), tlv(tagSet, []byte{0x30})), "CN=a, (invalid ID_DER_ASN1_DN)"},
		{"unprintable", tlv(tagSequence, tlv(tagSet, atv(cn, tagUTF8String, "\xc3\xbc\x00"))), "CN=???"},
		{"long form length", []byte{0x30, 0x81, 0x0a, 0x31, 0x08, 0x30, 0x06, 0x06, 0x01, 0x55, 0x13, 0x01, 'a'}, "X.500=a"},
	} {
		if got := New(DN, tc.der).String(); got != tc.want {
			t.Errorf("%s (%x): %q, want %q", tc.name, tc.der, got, tc.want)
		}
	}
}

func TestStringTruncated(t *testing.T) {
	long := strings.Repeat("a", 600)
	if got := MustParse("@" + long).String(); len(got) != 511 {
		t.Errorf("FQDN printed with %d octets", len(got))
	}
	dn := MustParse("CN=" + strings.Repeat("x", 300) + ", O=" + strings.Repeat("y", 300))
	if got, want := dn.String(), "CN="+strings.Repeat("x", 300)+", O=(invalid ID_DER_ASN1_DN)"; got != want {
		t.Errorf("long DN printed as %q", got)
	}
	dn = MustParse("CN=" + strings.Repeat("x", 500) + ", O=yyyyy")
	if got, want := dn.String(), "CN="+strings.Repeat("x", 500)+", O=(inv"; got != want {
		t.Errorf("long DN printed as %q", got)
	}
	if (ID{}).String() != "(null)" {
		t.Error("zero ID")
	}
}

func TestEqualAndKey(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		equal bool
	}{
		{"@moon.strongswan.org", "@MOON.strongswan.ORG", true},
		{"carol@strongswan.org", "Carol@StrongSwan.org", true},
		{"carol@strongswan.org", "@carol@strongswan.org", false}, // RFC822 vs FQDN
		{"C=CH, O=strongSwan Project, CN=moon", "c=ch, o=STRONGSWAN project, cn=MOON", true},
		{"C=CH, O=strongSwan Project, CN=moon", "O=strongSwan Project, C=CH, CN=moon", false},
		{"E=Carol@StrongSwan.org", "E=carol@strongswan.org", true},
		{"CN=Müller", "CN=müller", false}, // UTF8String: exact
		{"192.168.0.1", "192.168.0.1", true},
		{"192.168.0.1", "192.168.0.2", false},
		{"%any", "%any6", true},
		{"@#0102", "@#0102", true},
		{"@#0102", "@#0103", false},
	} {
		a, b := MustParse(tc.a), MustParse(tc.b)
		if a.Equal(b) != tc.equal || b.Equal(a) != tc.equal {
			t.Errorf("%q vs %q: Equal %v, want %v", tc.a, tc.b, a.Equal(b), tc.equal)
		}
		if (a.Key() == b.Key()) != tc.equal {
			t.Errorf("%q vs %q: keys %q %q", tc.a, tc.b, a.Key(), b.Key())
		}
	}
	// an FQDN with a NUL octet equals nothing, like strongSwan's strcasecmp
	n := New(FQDN, []byte("a\x00b"))
	if n.Equal(n) {
		t.Error("FQDN with NUL equals itself")
	}
	if (ID{}).Equal(AnyID) || !(ID{}).Equal(ID{}) {
		t.Error("zero ID equality")
	}
	// same octets in a PrintableString and a UTF8String are equal
	ps, _ := hex.DecodeString("300c310a30080603550403130161")
	us, _ := hex.DecodeString("300c310a300806035504030c0161")
	if !New(DN, ps).Equal(New(DN, us)) {
		t.Error("PrintableString and UTF8String with equal octets differ")
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		cfg, got string
		want     MatchLevel
	}{
		{"%any", "carol@strongswan.org", MatchAny},
		{"%any", "%any", MatchAny},
		{"carol@strongswan.org", "%any", MatchNone},
		{"carol@strongswan.org", "carol@strongswan.org", MatchPerfect},
		{"carol@strongswan.org", "CAROL@strongswan.org", MatchPerfect},
		{"*@strongswan.org", "carol@strongswan.org", MatchOneWildcard},
		{"*@strongswan.org", "carol@StrongSwan.ORG", MatchOneWildcard},
		{"*@strongswan.org", "carol@strongswan.net", MatchNone},
		{"*@strongswan.org", "@strongswan.org", MatchNone}, // FQDN vs RFC822
		{"@*.strongswan.org", "@moon.strongswan.org", MatchOneWildcard},
		{"@*", "@moon.strongswan.org", MatchAny},
		{"@*.strongswan.org", "@strongswan.org", MatchNone},
		{"carol@*", "carol@strongswan.org", MatchNone}, // only a leading wildcard
		{"@moon.strongswan.org", "moon.strongswan.org", MatchPerfect},
		{"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org",
			"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", MatchPerfect},
		{"C=CH, O=strongSwan Project, OU=*, CN=*",
			"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", MatchPerfect - 2},
		{"C=CH, O=strongSwan Project, OU=Research, CN=*",
			"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", MatchOneWildcard},
		{"C=CH, O=strongSwan Project, OU=*, CN=*",
			"C=CH, O=strongSwan Project, CN=moon.strongswan.org", MatchNone},
		{"C=CH, O=strongSwan Project, CN=*",
			"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", MatchNone},
		{"C=CH, O=strongswan project, CN=*", "C=CH, O=strongSwan Project, CN=x", MatchOneWildcard},
		{"CN=*, O=strongSwan Project, C=CH", "C=CH, O=strongSwan Project, CN=x", MatchNone},
		{"C=*, ST=*, L=*, O=*, OU=*, CN=*, T=*, N=*, G=*, I=*, SN=*, D=*, ID=*, E=*, dnQualifier=*, pseudonym=*, dmdName=*, employeeNumber=*, serialNumber=*, UID=*",
			"C=a, ST=b, L=c, O=d, OU=e, CN=f, T=g, N=h, G=i, I=j, SN=k, D=l, ID=m, E=n, dnQualifier=o, pseudonym=p, dmdName=q, employeeNumber=r, serialNumber=s, UID=t", MatchPerfect - 17},
		{"192.168.0.1", "192.168.0.1", MatchPerfect},
		{"192.168.0.0/24", "192.168.0.1", MatchOneWildcard},
		{"192.168.1.0/24", "192.168.0.1", MatchNone},
		{"0.0.0.0/0", "192.168.0.1", MatchMaxWildcards},
		{"192.168.0.1/32", "192.168.0.1", MatchPerfect},
		{"192.168.0.1-192.168.0.9", "192.168.0.5", MatchOneWildcard},
		{"192.168.0.1-192.168.0.9", "192.168.0.10", MatchNone},
		{"192.168.0.5-192.168.0.5", "192.168.0.5", MatchPerfect},
		{"fec0::/16", "fec0::1", MatchOneWildcard},
		{"fec0::/16", "192.168.0.1", MatchNone},
		{"@#0102", "@#0102", MatchPerfect},
		{"@#0102", "@#01", MatchNone},
	} {
		cfg, got := MustParse(tc.cfg), MustParse(tc.got)
		if m := cfg.Matches(got); m != tc.want {
			t.Errorf("%q.Matches(%q) = %v, want %v", tc.cfg, tc.got, m, tc.want)
		}
	}
	if (ID{}).Matches(AnyID) != MatchNone || AnyID.Matches(ID{}) != MatchNone {
		t.Error("zero ID matched")
	}
}

func TestMatchesRDN(t *testing.T) {
	cfg := MustParse("CN=*, O=strongSwan Project, C=CH")
	got := MustParse("C=CH, O=strongSwan Project, OU=Research, CN=carol")
	for _, tc := range []struct {
		mode RDNMatching
		want MatchLevel
	}{
		{RDNStrict, MatchNone},
		{RDNReordered, MatchNone}, // OU is not in cfg
		{RDNRelaxed, MatchPerfect - 2},
	} {
		if m := cfg.MatchesRDN(got, tc.mode); m != tc.want {
			t.Errorf("mode %d: %v, want %v", tc.mode, m, tc.want)
		}
	}
	cfg = MustParse("O=strongSwan Project, C=CH, OU=Research, CN=carol")
	if m := cfg.MatchesRDN(got, RDNReordered); m != MatchPerfect {
		t.Errorf("reordered: %v", m)
	}
}

func TestContainsWildcards(t *testing.T) {
	for in, want := range map[string]bool{
		"%any": true, "*@strongswan.org": true, "@*.org": true, "a*b@c": true,
		"carol@strongswan.org": false, "C=CH, CN=*": true, "C=CH, CN=a*": false,
		"C=CH, DC=*":     false, // DC is not one of strongSwan's ID parts
		"192.168.0.0/24": false, "@#2a": false,
	} {
		if got := MustParse(in).ContainsWildcards(); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestMatchLevelString(t *testing.T) {
	if MatchPerfect.String() != "MATCH_PERFECT" || MatchLevel(19).String() != "(19)" || Type(9).String() != "ID_DER_ASN1_DN" {
		t.Error("names")
	}
}
