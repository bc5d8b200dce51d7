package identity

import "iter"

// DER tags used here.
const (
	tagOID             = 0x06
	tagUTF8String      = 0x0c
	tagPrintableString = 0x13
	tagIA5String       = 0x16
	tagSequence        = 0x30
	tagSet             = 0x31
)

// unwrap splits the TLV at b[off:end] as strongSwan's asn1_unwrap does: a
// single tag octet, a short or long form length of up to eight octets (not
// required to be minimal), and contents that must fit into the rest. It
// returns the tag, the contents b[start:stop] and the offset after them.
func unwrap(b string, off, end int) (tag byte, start, stop, next int, ok bool) {
	if end-off < 2 {
		return 0, 0, 0, 0, false
	}
	tag, l := b[off], b[off+1]
	off += 2
	var n uint64
	if l&0x80 == 0 {
		n = uint64(l)
	} else {
		k := int(l & 0x7f)
		if k == 0 || k > end-off || k > 8 {
			return 0, 0, 0, 0, false
		}
		for i := 0; i < k; i++ {
			n = n<<8 | uint64(b[off])
			off++
		}
	}
	if n > uint64(end-off) {
		return 0, 0, 0, 0, false
	}
	return tag, off, off + int(n), off + int(n), true
}

// rdn is one AttributeTypeAndValue of a DN.
type rdn struct {
	oid   string // contents octets of the OBJECT IDENTIFIER
	tag   byte   // tag of the value (the string type)
	value string // contents octets of the value
	end   int    // offset in the DN just after the value
}

// rdnSeq enumerates the RDNs of a DER DN as strongSwan's rdn enumerator
// does: a SEQUENCE of SETs of SEQUENCEs { OID, value }, several
// AttributeTypeAndValues of one SET in turn, stopping silently at the
// first malformed element.
func rdnSeq(dn string) iter.Seq[rdn] {
	return func(yield func(rdn) bool) {
		tag, sets, setsEnd, _, ok := unwrap(dn, 0, len(dn))
		if !ok || tag != tagSequence {
			return
		}
		seqs, seqsEnd := 0, 0
		for {
			if seqs == seqsEnd {
				var t byte
				t, seqs, seqsEnd, sets, ok = unwrap(dn, sets, setsEnd)
				if !ok || t != tagSet {
					return
				}
			}
			t, r, rEnd, next, ok := unwrap(dn, seqs, seqsEnd)
			if !ok || t != tagSequence {
				return
			}
			seqs = next
			t, o, oEnd, r, ok := unwrap(dn, r, rEnd)
			if !ok || t != tagOID {
				return
			}
			t, v, vEnd, _, ok := unwrap(dn, r, rEnd)
			if !ok {
				return
			}
			if !yield(rdn{oid: dn[o:oEnd], tag: t, value: dn[v:vEnd], end: vEnd}) {
				return
			}
		}
	}
}

// parseRDNs returns the RDNs of dn and whether dn is a valid DN in
// strongSwan's sense (is_valid_dn): the last RDN enumerated ends exactly
// at the end of the encoding.
func parseRDNs(dn string) ([]rdn, bool) {
	var out []rdn
	finished := false
	for r := range rdnSeq(dn) {
		out = append(out, r)
		if r.end == len(dn) {
			finished = true
		}
	}
	return out, finished
}

// oidInfo is what strongSwan's OID table (asn1/oid.txt) says about an OID
// that may appear in a DN.
type oidInfo struct {
	name  string // oid_names[].name, printed by dntoa
	leaf  bool   // no children in the table: longer OIDs below it match it
	part  bool   // enumerated as an id_part_t (wildcard-capable)
	email bool   // OID_EMAIL_ADDRESS: IA5String compared case-insensitively
}

// knownOIDs holds the DN attribute branch of strongSwan 5.9.8's oid.txt,
// keyed by the OID contents octets.
var knownOIDs = map[string]oidInfo{
	"\x02\x82\x06\x01\x0a\x07\x14":             {name: "ND", leaf: true},
	"\x09\x92\x26\x89\x93\xf2\x2c\x64":         {name: "pilot"},
	"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01":     {name: "pilotAttributeType"},
	"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01": {name: "UID", leaf: true},
	"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19": {name: "DC", leaf: true},
	"\x55":                                 {name: "X.500"},
	"\x55\x04":                             {name: "X.509"},
	"\x55\x04\x03":                         {name: "CN", leaf: true, part: true},
	"\x55\x04\x04":                         {name: "SN", leaf: true, part: true},
	"\x55\x04\x05":                         {name: "serialNumber", leaf: true, part: true},
	"\x55\x04\x06":                         {name: "C", leaf: true, part: true},
	"\x55\x04\x07":                         {name: "L", leaf: true, part: true},
	"\x55\x04\x08":                         {name: "ST", leaf: true, part: true},
	"\x55\x04\x09":                         {name: "STREET", leaf: true},
	"\x55\x04\x0a":                         {name: "O", leaf: true, part: true},
	"\x55\x04\x0b":                         {name: "OU", leaf: true, part: true},
	"\x55\x04\x0c":                         {name: "T", leaf: true, part: true},
	"\x55\x04\x0d":                         {name: "D", leaf: true, part: true},
	"\x55\x04\x10":                         {name: "postalAddress", leaf: true},
	"\x55\x04\x11":                         {name: "postalCode", leaf: true},
	"\x55\x04\x24":                         {name: "userCertificate", leaf: true},
	"\x55\x04\x29":                         {name: "N", leaf: true, part: true},
	"\x55\x04\x2a":                         {name: "G", leaf: true, part: true},
	"\x55\x04\x2b":                         {name: "I", leaf: true, part: true},
	"\x55\x04\x2d":                         {name: "ID", leaf: true, part: true},
	"\x55\x04\x2e":                         {name: "dnQualifier", leaf: true, part: true},
	"\x55\x04\x36":                         {name: "dmdName", leaf: true, part: true},
	"\x55\x04\x41":                         {name: "pseudonym", leaf: true, part: true},
	"\x55\x04\x48":                         {name: "role", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09":     {name: "PKCS-9"},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01": {name: "E", leaf: true, part: true, email: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x02": {name: "unstructuredName", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03": {name: "contentType", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04": {name: "messageDigest", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05": {name: "signingTime", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x06": {name: "counterSignature", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x07": {name: "challengePassword", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x08": {name: "unstructuredAddress", leaf: true},
	"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x0e": {name: "extensionRequest", leaf: true},
	"\x2b\x06\x01\x04\x01\x89\x31\x01\x01\x02\x02\x4b": {name: "TCGID", leaf: true},
	"\x60\x86\x48\x01\x86\xf8\x42\x03\x01\x03":         {name: "employeeNumber", leaf: true, part: true},
}

// maxOIDLen is the longest key of knownOIDs.
const maxOIDLen = 12

// lookupOID finds oid as strongSwan's asn1_known_oid does: an exact
// match, or a leaf of the table that is a prefix of oid (the table walk
// stops at a node without children even if octets remain).
func lookupOID(oid string) (oidInfo, bool) {
	if info, ok := knownOIDs[oid]; ok {
		return info, true
	}
	for n := min(len(oid)-1, maxOIDLen); n > 0; n-- {
		if info, ok := knownOIDs[oid[:n]]; ok {
			return info, info.leaf
		}
	}
	return oidInfo{}, false
}

func isPartOID(oid string) bool {
	info, ok := lookupOID(oid)
	return ok && info.part
}

// caseInsensitiveRDN reports whether strongSwan compares values of this
// type ignoring case: PrintableStrings, and IA5String e-mail addresses.
func caseInsensitiveRDN(oid string, tag byte) bool {
	if tag == tagPrintableString {
		return true
	}
	if tag == tagIA5String {
		info, ok := lookupOID(oid)
		return ok && info.email
	}
	return false
}

// appendTLV appends a DER TLV with a minimal length.
func appendTLV(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	n := len(content)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}
