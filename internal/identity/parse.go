package identity

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// FallbackError reports an identity string that strongSwan accepts but
// not as what it looks like: a DN with an unknown attribute keyword
// becomes an ID_KEY_ID of the text, an IPv6-looking string that is no
// address becomes an ID_KEY_ID, a malformed hex string decodes its bad
// digits as zero. Parse still returns strongSwan's identity with it.
type FallbackError struct {
	Input string
	As    Type
	Err   error
}

func (e *FallbackError) Error() string {
	return fmt.Sprintf("identity %q is taken as %s: %v", e.Input, e.As, e.Err)
}

func (e *FallbackError) Unwrap() error { return e.Err }

// Errors wrapped by FallbackError.
var (
	ErrNotIPv6 = errors.New("contains ':' but is no IPv6 address, subnet or range")
	ErrBadHex  = errors.New("invalid hex digits read as 0")
)

// prefixes are the explicit type prefixes of
// identification_create_from_string, checked in this order, ignoring case.
// The rest is taken literally, or as hex after '#'.
var prefixes = []struct {
	s string
	t Type
}{
	{"ipv4:", IPv4}, {"ipv6:", IPv6}, {"ipv4net:", IPv4Subnet}, {"ipv6net:", IPv6Subnet},
	{"ipv4range:", IPv4Range}, {"ipv6range:", IPv6Range}, {"rfc822:", RFC822},
	{"email:", RFC822}, {"userfqdn:", RFC822}, {"fqdn:", FQDN}, {"dns:", FQDN},
	{"asn1dn:", DN}, {"asn1gn:", GN}, {"xmppaddr:", GN}, {"keyid:", KeyID},
}

// oidXMPPAddr is id-on-xmppAddr (RFC 6120), as a DER OBJECT IDENTIFIER.
const oidXMPPAddr = "\x06\x08\x2b\x06\x01\x05\x05\x07\x08\x05"

// Parse turns an identity string of ipsec.conf or ipsec.secrets into an ID,
// deciding the type exactly as strongSwan's
// identification_create_from_string:
//
//   - a prefix "ipv4:", "ipv6:", "ipv4net:", "ipv6net:", "ipv4range:",
//     "ipv6range:", "rfc822:", "email:", "userfqdn:", "fqdn:", "dns:",
//     "asn1dn:", "asn1gn:", "xmppaddr:" or "keyid:" (any case) forces the
//     type and takes the rest literally, or as hex after '#' (so
//     "ipv4:#c0a80001", "asn1dn:#30..."; "ipv4:192.168.0.1" is 11 octets of
//     text, as in strongSwan); "{N}:" forces the numeric type N;
//   - a string with '=' is a DN ("C=CH, O=strongSwan Project,
//     CN=moon.strongswan.org" or "/C=CH/O=.../CN=..."), encoded as atodn
//     does; if it does not parse it becomes an ID_KEY_ID of the text;
//   - without '@': "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0" are
//     %any; an IPv4 address, subnet (a.b.c.d/n) or range (a.b.c.d-e.f.g.h)
//     without ':', else an FQDN ("moon.strongswan.org", "carol"); with ':'
//     an IPv6 address, subnet or range, else an ID_KEY_ID of the text;
//   - with '@': "@#hex" is an ID_KEY_ID, "@@user" an RFC822 name "user",
//     "@fqdn" an FQDN without the '@', anything else ("carol@strongswan.org",
//     "*@strongswan.org") an RFC822 name.
//
// The ID is always usable; a non-nil error (a *FallbackError) reports
// where strongSwan silently takes the string as something other than it
// looks like. A NUL character ends the string, as in C.
func Parse(s string) (ID, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	for _, p := range prefixes {
		if len(s) >= len(p.s) && strings.EqualFold(s[:len(p.s)], p.s) {
			return withPrefix(s, p.t, s[len(p.s):], p.s == "xmppaddr:")
		}
	}
	if id, ok, err := parseNumType(s); ok {
		return id, err
	}
	if strings.IndexByte(s, '=') >= 0 {
		der, err := atodn(s)
		if err != nil {
			return New(KeyID, []byte(s)), &FallbackError{s, KeyID, err}
		}
		return New(DN, der), nil
	}
	if strings.IndexByte(s, '@') < 0 {
		switch s {
		case "", "%any", "%any6", "0.0.0.0", "*", "::", "0::0":
			return AnyID, nil
		}
		if strings.IndexByte(s, ':') < 0 {
			if id, ok := parseIP(s, false); ok {
				return id, nil
			}
			return New(FQDN, []byte(s)), nil
		}
		if id, ok := parseIP(s, true); ok {
			return id, nil
		}
		return New(KeyID, []byte(s)), &FallbackError{s, KeyID, ErrNotIPv6}
	}
	if strings.HasPrefix(s, "@#") {
		b, err := fromHex(s[2:])
		return New(KeyID, b), fallback(s, KeyID, err)
	}
	if strings.HasPrefix(s, "@@") {
		return New(RFC822, []byte(s[2:])), nil
	}
	if strings.HasPrefix(s, "@") {
		return New(FQDN, []byte(s[1:])), nil
	}
	return New(RFC822, []byte(s)), nil
}

// MustParse is Parse for constants in tests and tables; it panics if
// strongSwan would take s as something other than it looks like.
func MustParse(s string) ID {
	id, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return id
}

func fallback(s string, t Type, err error) error {
	if err == nil {
		return nil
	}
	return &FallbackError{s, t, err}
}

func withPrefix(s string, t Type, rest string, xmpp bool) (ID, error) {
	data := []byte(rest)
	var err error
	if strings.HasPrefix(rest, "#") {
		data, err = fromHex(rest[1:])
	}
	if xmpp {
		inner := appendTLV(nil, 0xa0, appendTLV(nil, tagUTF8String, data))
		data = appendTLV(nil, 0xa0, append([]byte(oidXMPPAddr), inner...))
	}
	return New(t, data), fallback(s, t, err)
}

// parseNumType handles "{N}:rest" with N read as C's strtoul with base 0
// (decimal, 0x hex or 0 octal); ok is false if s has no such prefix or N
// does not fit an ID type octet.
func parseNumType(s string) (ID, bool, error) {
	if !strings.HasPrefix(s, "{") {
		return ID{}, false, nil
	}
	r := strings.TrimLeft(s[1:], " \t\n\v\f\r")
	neg := false
	if r != "" && (r[0] == '+' || r[0] == '-') {
		neg = r[0] == '-'
		r = r[1:]
	}
	base := 10
	switch {
	case len(r) > 2 && r[0] == '0' && (r[1] == 'x' || r[1] == 'X') && isDigit(r[2], 16):
		base, r = 16, r[2:]
	case len(r) > 0 && r[0] == '0':
		base = 8
	}
	var n uint64
	i := 0
	for ; i < len(r) && isDigit(r[i], base); i++ {
		n = n*uint64(base) + uint64(digitVal(r[i]))
		if n > 0xff {
			return ID{}, false, nil
		}
	}
	r = r[i:]
	if neg && n != 0 {
		return ID{}, false, nil
	}
	if !strings.HasPrefix(r, "}:") {
		return ID{}, false, nil
	}
	id, err := withPrefix(s, Type(n), r[2:], false)
	return id, true, err
}

func isDigit(c byte, base int) bool {
	v := digitVal(c)
	return v >= 0 && v < base
}

func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// fromHex decodes hex as strongSwan's chunk_from_hex: an optional "0x",
// ':' separators ignored, an odd digit count padded with a leading zero
// nibble, invalid digits read as 0 (reported by the error).
func fromHex(s string) ([]byte, error) {
	if len(s) > 1 && s[0] == '0' && s[1] == 'x' {
		s = s[2:]
	}
	n := len(s) - strings.Count(s, ":")
	odd := n%2 == 1
	if odd {
		n++
	}
	out := make([]byte, n/2)
	var err error
	p := len(s)
	nibble := func() byte {
		p--
		if p < 0 {
			return 0
		}
		v := digitVal(s[p])
		if v < 0 {
			if s[p] != ':' {
				err = ErrBadHex
			}
			return 0
		}
		return byte(v)
	}
	for i := len(out) - 1; i >= 0; i-- {
		if p > 0 && s[p-1] == ':' {
			p--
		}
		out[i] = nibble()
		if i > 0 || !odd {
			out[i] |= nibble() << 4
		}
	}
	return out, err
}

// parseIP is create_ip_address_from_string: an address, "addr/bits" (the
// address masked) or "from-to" (from <= to).
func parseIP(s string, v6 bool) (ID, bool) {
	size := 4
	host, sub, rng := IPv4, IPv4Subnet, IPv4Range
	if v6 {
		size, host, sub, rng = 16, IPv6, IPv6Subnet, IPv6Range
	}
	addrPart, rest, kind := s, "", byte(0)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		addrPart, rest, kind = s[:i], s[i+1:], '/'
	} else if i := strings.IndexByte(s, '-'); i >= 0 {
		addrPart, rest, kind = s[:i], s[i+1:], '-'
	}
	addr, ok := ptonAddr(addrPart, v6)
	if !ok {
		return ID{}, false
	}
	switch kind {
	case '/':
		bits, ok := atoi(rest)
		if !ok || bits > 8*size {
			return ID{}, false
		}
		enc := make([]byte, 2*size)
		copy(enc, addr)
		for i := 0; i < size; i++ {
			var m byte
			switch {
			case bits >= 8:
				m = 0xff
				bits -= 8
			case bits > 0:
				m = 0xff << (8 - bits)
				bits = 0
			}
			enc[size+i] = m
			enc[i] &= m
		}
		return New(sub, enc), true
	case '-':
		to, ok := ptonAddr(rest, v6)
		if !ok || string(addr) > string(to) {
			return ID{}, false
		}
		return New(rng, append(addr, to...)), true
	}
	return New(host, addr), true
}

// ptonAddr is inet_pton: dotted-quad IPv4, or IPv6 (no zone).
func ptonAddr(s string, v6 bool) ([]byte, bool) {
	if strings.IndexByte(s, '%') >= 0 {
		return nil, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, false
	}
	if !v6 {
		if !a.Is4() {
			return nil, false
		}
		b := a.As4()
		return b[:], true
	}
	if a.Is4() {
		return nil, false
	}
	b := a.As16()
	return b[:], true
}

// atoi is C's atoi for the mask length: leading blanks, a sign, digits up
// to the first other character (none: 0). Negative lengths give an empty
// mask, as the C shift does; ok is false only for absurdly large numbers.
func atoi(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<20 {
			return 0, false
		}
	}
	if neg {
		return 0, true
	}
	return n, true
}
