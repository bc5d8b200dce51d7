package identity

import (
	"strings"
	"testing"
)

// roundTrips reports whether strongSwan prints the identity parsed from s
// as a string it parses back to the same identity: plain (unprefixed)
// addresses, subnets and ranges, %any, RFC822 names and bare host names
// that print without replacement characters, and DNs written with ','
// separators whose values are printable ASCII.
func roundTrips(s string, id ID) bool {
	if strings.IndexByte(s, 0) >= 0 || strings.HasPrefix(s, "{") || len(id.String()) >= bufLen-1 {
		return false
	}
	for _, p := range prefixes {
		if len(s) >= len(p.s) && strings.EqualFold(s[:len(p.s)], p.s) {
			return false
		}
	}
	switch id.Type() {
	case Any:
		return true
	case IPv4, IPv6, IPv4Subnet, IPv6Subnet, IPv4Range, IPv6Range:
		// ::, 0.0.0.0 print as what strongSwan reads as %any
		str := id.String()
		return str != "::" && str != "0.0.0.0"
	case RFC822:
		return !strings.HasPrefix(s, "@") && printable(s) == s
	case FQDN:
		return !strings.HasPrefix(s, "@") && printable(s) == s
	case DN:
		// long DNs are cut when printed (up to 20 short keywords may grow
		// to "employeeNumber", "unstructuredName"...)
		if len(s) > 200 || strings.HasPrefix(strings.TrimLeft(s, " "), "/") {
			return false
		}
		for r := range rdnSeq(id.enc) {
			if printable(r.value) != r.value {
				return false
			}
		}
		return true
	}
	return false
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"carol@strongswan.org", "@moon.strongswan.org", "moon.strongswan.org", "192.168.0.1",
		"C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org", "*@strongswan.org",
		"C=CH, O=strongSwan Project, OU=*, CN=*", "/C=CH/CN=x", "@#0102", "@@x", "fec0::1/64",
		"10.0.0.1-10.0.0.9", "{2}:x", "keyid:#aa:bb", "xmppaddr:a@b", "%any", "CN=Müller", "a=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if id.IsZero() {
			t.Fatalf("%q: zero ID", s)
		}
		str := id.String()
		_ = id.Key()
		_ = id.ContainsWildcards()
		if id.Matches(id) == MatchNone && id.Equal(id) && id.Type() != Any {
			t.Fatalf("%q: equal to itself but does not match itself", s)
		}
		if id.Equal(id) && id.Key() == "" {
			t.Fatalf("%q: empty key", s)
		}
		if err != nil || !roundTrips(s, id) {
			return
		}
		again, err := Parse(str)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse cleanly: %v", s, str, err)
		}
		if !again.Equal(id) || again.Type() != id.Type() {
			t.Fatalf("%q (%s %x) printed as %q parses to %s %x", s, id.Type(), id.Data(), str, again.Type(), again.Data())
		}
	})
}

// FuzzPayload feeds arbitrary ID payload data of every type to the
// printing, comparison and matching code.
func FuzzPayload(f *testing.F) {
	f.Add(uint8(9), MustParse("C=CH, O=strongSwan Project, CN=moon").Data())
	f.Add(uint8(9), []byte{0x30, 0x81, 0x0a, 0x31, 0x08, 0x30, 0x06, 0x06, 0x01, 0x55, 0x13, 0x01, 'a'})
	f.Add(uint8(2), []byte("moon.strongswan.org"))
	f.Add(uint8(11), []byte{1, 2, 3})
	f.Add(uint8(4), []byte{10, 0, 0, 0, 255, 0, 0, 0})
	cfgs := []ID{AnyID, MustParse("C=CH, O=strongSwan Project, CN=*"), MustParse("*@strongswan.org"),
		MustParse("10.0.0.0/8"), MustParse("fec0::1-fec0::9"), MustParse("@#01")}
	f.Fuzz(func(t *testing.T, typ uint8, data []byte) {
		id := FromPayload(typ, data)
		_ = id.String()
		_ = id.Key()
		_ = id.ContainsWildcards()
		_, _ = id.Addr()
		for _, c := range cfgs {
			_ = c.Matches(id)
			_ = c.MatchesRDN(id, RDNReordered)
			_ = c.MatchesRDN(id, RDNRelaxed)
			_ = id.Matches(c)
			_ = id.Equal(c)
		}
		if len(id.String()) > 511 {
			t.Fatalf("printed %d octets", len(id.String()))
		}
	})
}
