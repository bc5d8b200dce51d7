package identity

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// dnAttr is an attribute keyword strongSwan's atodn accepts, with the
// string type it prefers for the value.
type dnAttr struct {
	name string
	oid  string
	ia5  bool // IA5String; else PrintableString where the value allows
}

// dnAttrs is the keyword table of strongSwan 5.9.8's atodn (x501rdns),
// in its order; keywords are matched ignoring case.
var dnAttrs = []dnAttr{
	{"ND", "\x02\x82\x06\x01\x0a\x07\x14", false},
	{"UID", "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", false},
	{"DC", "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", false},
	{"CN", "\x55\x04\x03", false},
	{"SN", "\x55\x04\x04", false},
	{"serialNumber", "\x55\x04\x05", false},
	{"C", "\x55\x04\x06", false},
	{"L", "\x55\x04\x07", false},
	{"ST", "\x55\x04\x08", false},
	{"STREET", "\x55\x04\x09", false},
	{"O", "\x55\x04\x0a", false},
	{"OU", "\x55\x04\x0b", false},
	{"T", "\x55\x04\x0c", false},
	{"D", "\x55\x04\x0d", false},
	{"postalAddress", "\x55\x04\x10", false},
	{"postalCode", "\x55\x04\x11", false},
	{"N", "\x55\x04\x29", false},
	{"G", "\x55\x04\x2a", false},
	{"I", "\x55\x04\x2b", false},
	{"dnQualifier", "\x55\x04\x2e", false},
	{"dmdName", "\x55\x04\x36", false},
	{"pseudonym", "\x55\x04\x41", false},
	{"ID", "\x55\x04\x2d", false},
	{"EN", "\x60\x86\x48\x01\x86\xf8\x42\x03\x01\x03", false},
	{"employeeNumber", "\x60\x86\x48\x01\x86\xf8\x42\x03\x01\x03", false},
	{"E", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", true},
	{"Email", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", true},
	{"emailAddress", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", true},
	{"UN", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x02", true},
	{"unstructuredName", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x02", true},
	{"UA", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x08", false},
	{"unstructuredAddress", "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x08", false},
	{"TCGID", "\x2b\x06\x01\x04\x01\x89\x31\x01\x01\x02\x02\x4b", false},
}

// maxRDNs is atodn's RDN_MAX.
const maxRDNs = 20

// Errors of DN parsing; Parse wraps them in a *FallbackError.
var (
	ErrUnknownAttribute = errors.New("unknown DN attribute keyword")
	ErrTooManyRDNs      = errors.New("more than 20 RDNs")
	ErrUnterminated     = errors.New("DN attribute keyword without '=' and value")
)

const printableChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"

func isPrintableString(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(printableChars, s[i]) < 0 {
			return false
		}
	}
	return true
}

// atodn converts an LDAP or OpenSSL style DN ("C=CH, O=strongSwan
// Project, CN=moon.strongswan.org" or "/C=CH/O=.../CN=...") to DER with the
// state machine of strongSwan's atodn: RDNs separated by ',' (or by '/' if
// the first non-blank character is one), blanks around keywords and
// values dropped, each value a PrintableString if its characters allow and
// the keyword is not an IA5String one, else a UTF8String, one
// AttributeTypeAndValue per SET.
func atodn(src string) ([]byte, error) {
	const (
		searchOID = iota
		readOID
		searchName
		readName
		unknownOID
	)
	state := searchOID
	var sep byte
	var err error
	var attr *dnAttr
	oidStart, oidLen := 0, 0
	nameStart, nameLen, blanks := 0, 0, 0
	var rdns [][]byte
	for i := 0; ; i++ {
		c := byte(0)
		if i < len(src) {
			c = src[i]
		}
		switch state {
		case searchOID:
			if sep == 0 && c == '/' {
				sep = '/'
				break
			}
			if c != ' ' && c != 0 {
				if sep == 0 {
					sep = ','
				}
				oidStart, oidLen = i, 1
				state = readOID
			}
		case readOID:
			if c != ' ' && c != '=' {
				oidLen++
				break
			}
			kw := src[oidStart : oidStart+oidLen]
			attr = nil
			for j := range dnAttrs {
				if strings.EqualFold(dnAttrs[j].name, kw) {
					attr = &dnAttrs[j]
					break
				}
			}
			if attr == nil {
				err = fmt.Errorf("%w %q", ErrUnknownAttribute, kw)
				state = unknownOID
				break
			}
			state = searchName
		case searchName, readName:
			if state == searchName {
				if c == ' ' || c == '=' {
					break
				}
				state = readName
				blanks = 0
				if c != sep && c != 0 {
					nameStart, nameLen = i, 1
					break
				}
				nameStart, nameLen = i, 0
			}
			if c != sep && c != 0 {
				nameLen++
				if c == ' ' {
					blanks++
				} else {
					blanks = 0
				}
				break
			}
			name := src[nameStart : nameStart+nameLen-blanks]
			tag := byte(tagPrintableString)
			if attr.ia5 {
				tag = tagIA5String
			} else if !isPrintableString(name) {
				tag = tagUTF8String
			}
			if len(rdns) < maxRDNs {
				seq := appendTLV(nil, tagOID, []byte(attr.oid))
				seq = appendTLV(seq, tag, []byte(name))
				rdns = append(rdns, appendTLV(nil, tagSet, appendTLV(nil, tagSequence, seq)))
			} else if err == nil {
				err = ErrTooManyRDNs
			}
			state = searchOID
		}
		if c == 0 {
			break
		}
	}
	if state == readOID && err == nil {
		err = ErrUnterminated
	}
	if err != nil {
		return nil, err
	}
	var body []byte
	for _, r := range rdns {
		body = append(body, r...)
	}
	return appendTLV(nil, tagSequence, body), nil
}

// limitedBuf models the fixed buffer (BUF_LEN = 512 octets including the
// terminating NUL) that charon's %Y hook prints into with snprintf.
type limitedBuf struct {
	b []byte
}

const bufLen = 512

// write appends s if it fits entirely; otherwise it leaves the truncated
// text in place (as snprintf would, for a later overwrite) and reports
// false.
func (l *limitedBuf) write(s string) bool {
	room := bufLen - len(l.b)
	if len(s) < room {
		l.b = append(l.b, s...)
		return true
	}
	return false
}

// overwrite writes s at the current position, truncated to the room left.
func (l *limitedBuf) overwrite(s string) {
	room := bufLen - 1 - len(l.b)
	if len(s) > room {
		s = s[:room]
	}
	l.b = append(l.b, s...)
}

// printable replaces the octets C's isprint rejects by '?', as
// chunk_printable does.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] < 0x20 || b[j] > 0x7e {
					b[j] = '?'
				}
			}
			return string(b)
		}
	}
	return s
}

// hexColon renders octets as strongSwan's %#B: lower-case hex pairs
// separated by ':'.
func hexColon(b string) string {
	if b == "" {
		return ""
	}
	var sb strings.Builder
	sb.Grow(3 * len(b))
	for i := 0; i < len(b); i++ {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{b[i]}))
	}
	return sb.String()
}

// dntoa renders a DER DN as strongSwan's dntoa: "K=V" joined by ", ",
// names from the OID table or the OID octets in hex, unprintable value
// octets as '?', "(invalid ID_DER_ASN1_DN)" after whatever could be
// printed when the DN does not parse to its end.
func dntoa(dn string) string {
	var buf limitedBuf
	empty, finished := true, false
	for r := range rdnSeq(dn) {
		empty = false
		finished = false
		name := hexColon(r.oid)
		if info, ok := lookupOID(r.oid); ok {
			name = info.name
		}
		if !buf.write(name + "=") {
			break
		}
		if !buf.write(printable(r.value)) {
			break
		}
		if r.end == len(dn) {
			finished = true
			break
		}
		if !buf.write(", ") {
			break
		}
	}
	if !empty && !finished {
		buf.overwrite("(invalid ID_DER_ASN1_DN)")
	}
	return string(buf.b)
}

// strncaseeq is C's strncasecmp(a, b, n) == 0 for n == len(a) == len(b):
// octets compared ignoring ASCII case up to the first NUL both share.
func strncaseeq(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
		if a[i] == 0 {
			return true
		}
	}
	return true
}

// rdnEquals is strongSwan's rdn_equals for values of equal length.
func rdnEquals(oid string, aTag byte, a string, bTag byte, b string) bool {
	if aTag == bTag && caseInsensitiveRDN(oid, aTag) {
		return strncaseeq(a, b)
	}
	return a == b
}

// compareDN is strongSwan's compare_dn: t is the concrete DN, o the
// (configured) other. With wc == nil it tests equality (equal lengths
// required); otherwise RDN values "*" in o match anything and are counted.
// The RDNs must agree in number, order and type.
func compareDN(t, o string, wc *int) bool {
	if wc != nil {
		*wc = 0
	} else if len(t) != len(o) {
		return false
	}
	if t == o {
		return true
	}
	trs, _ := parseRDNs(t)
	ors, _ := parseRDNs(o)
	finished := false
	for i := 0; ; i++ {
		tok, ook := i < len(trs), i < len(ors)
		if !tok && !ook {
			break
		}
		finished = false
		if tok != ook || trs[i].oid != ors[i].oid {
			break
		}
		tr, or := trs[i], ors[i]
		if wc != nil && or.value == "*" {
			*wc++
		} else if len(tr.value) != len(or.value) || !rdnEquals(tr.oid, tr.tag, tr.value, or.tag, or.value) {
			break
		}
		if tr.end == len(t) && or.end == len(o) {
			finished = true
		}
	}
	return finished
}

// matchDN is strongSwan's match_dn for rdn_matching = reordered (relaxed
// false) or relaxed (relaxed true): RDNs of o may appear in any order in
// t, wildcards in o are tried last; with relaxed, RDNs of t that o lacks
// count as wildcards.
func matchDN(t, o string, wc *int, relaxed bool) bool {
	*wc = 0
	if t == o {
		return true
	}
	type want struct {
		rdn
		matched bool
	}
	var regular, wild []*want
	finished := false
	for r := range rdnSeq(o) {
		w := &want{rdn: r}
		if r.value == "*" {
			wild = append(wild, w)
		} else {
			regular = append(regular, w)
		}
		if r.end == len(o) {
			finished = true
		}
	}
	if !finished {
		return false
	}
	wants := append(regular, wild...)
	finished = false
	for r := range rdnSeq(t) {
		var found *want
		for _, w := range wants {
			if w.matched || w.oid != r.oid {
				continue
			}
			if w.value == "*" {
				*wc++
			} else if len(r.value) != len(w.value) || !rdnEquals(r.oid, r.tag, r.value, w.tag, w.value) {
				continue
			}
			w.matched = true
			found = w
			break
		}
		if found == nil {
			if !relaxed {
				break
			}
			*wc++
		}
		if r.end == len(t) {
			finished = true
		}
	}
	if finished {
		for _, w := range wants {
			if !w.matched {
				return false
			}
		}
	}
	return finished
}
