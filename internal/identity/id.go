package identity

import (
	"net/netip"
	"strconv"
	"strings"
)

// Type is an identity type: the ID Type field of the IKEv2 ID payload
// (RFC 7296 section 3.5, IANA "IKEv2 Identification Payload ID Types") and
// strongSwan's private types (Any, GNURI). The values are strongSwan's
// id_type_t.
type Type uint8

// Identity types.
const (
	Any        Type = 0  // ID_ANY: %any, matches every identity (strongSwan private)
	IPv4       Type = 1  // ID_IPV4_ADDR
	FQDN       Type = 2  // ID_FQDN
	RFC822     Type = 3  // ID_RFC822_ADDR (ID_USER_FQDN in IKEv1)
	IPv4Subnet Type = 4  // ID_IPV4_ADDR_SUBNET (IKEv1)
	IPv6       Type = 5  // ID_IPV6_ADDR
	IPv6Subnet Type = 6  // ID_IPV6_ADDR_SUBNET (IKEv1)
	IPv4Range  Type = 7  // ID_IPV4_ADDR_RANGE (IKEv1)
	IPv6Range  Type = 8  // ID_IPV6_ADDR_RANGE (IKEv1)
	DN         Type = 9  // ID_DER_ASN1_DN: DER X.501 distinguished name
	GN         Type = 10 // ID_DER_ASN1_GN: DER X.509 GeneralName
	KeyID      Type = 11 // ID_KEY_ID: opaque octets
	GNURI      Type = 201
)

var typeNames = map[Type]string{
	Any: "ID_ANY", IPv4: "ID_IPV4_ADDR", FQDN: "ID_FQDN", RFC822: "ID_RFC822_ADDR",
	IPv4Subnet: "ID_IPV4_ADDR_SUBNET", IPv6: "ID_IPV6_ADDR", IPv6Subnet: "ID_IPV6_ADDR_SUBNET",
	IPv4Range: "ID_IPV4_ADDR_RANGE", IPv6Range: "ID_IPV6_ADDR_RANGE", DN: "ID_DER_ASN1_DN",
	GN: "ID_DER_ASN1_GN", KeyID: "ID_KEY_ID", GNURI: "ID_DER_ASN1_GN_URI",
}

// String returns strongSwan's id_type_names entry, e.g. "ID_FQDN", or
// "(N)" for an unknown type.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// ID is an identity: a type and its encoding (the ID payload data for the
// IKEv2 types, the address and mask or range for the IKEv1 ones, nothing
// for Any). IDs are immutable values; the == operator compares them
// binarily, Equal as strongSwan does.
type ID struct {
	t   Type
	set bool
	enc string
}

// AnyID is %any.
var AnyID = ID{t: Any, set: true}

// New returns the identity of type t with encoding data, as
// identification_create_from_encoding does (the data of an Any identity is
// dropped). It never fails: malformed data (a DN that does not parse, an
// address of the wrong length) is kept and printed as strongSwan prints it.
func New(t Type, data []byte) ID {
	if t == Any {
		return AnyID
	}
	return ID{t: t, set: true, enc: string(data)}
}

// FromPayload returns the identity of an IKE ID payload (ID Type octet and
// Identification Data).
func FromPayload(idType uint8, data []byte) ID { return New(Type(idType), data) }

// FromAddr returns an ID_IPV4_ADDR or ID_IPV6_ADDR identity (IPv4-mapped
// IPv6 addresses are unmapped first); an invalid address gives %any, as
// identification_create_from_sockaddr does for an unknown family.
func FromAddr(a netip.Addr) ID {
	switch {
	case !a.IsValid():
		return AnyID
	case a.Unmap().Is4():
		b := a.Unmap().As4()
		return New(IPv4, b[:])
	default:
		b := a.As16()
		return New(IPv6, b[:])
	}
}

// IsZero reports whether id is the zero ID ("no identity").
func (id ID) IsZero() bool { return !id.set }

// Type returns the identity type (Any for the zero ID).
func (id ID) Type() Type { return id.t }

// Data returns a copy of the encoding: the ID payload data for the IKEv2
// types.
func (id ID) Data() []byte {
	if id.enc == "" {
		return nil
	}
	return []byte(id.enc)
}

// Len returns the length of the encoding.
func (id ID) Len() int { return len(id.enc) }

// Addr returns the address of an ID_IPV4_ADDR or ID_IPV6_ADDR identity.
func (id ID) Addr() (netip.Addr, bool) {
	switch {
	case id.t == IPv4 && len(id.enc) == 4:
		return netip.AddrFrom4([4]byte([]byte(id.enc))), true
	case id.t == IPv6 && len(id.enc) == 16:
		return netip.AddrFrom16([16]byte([]byte(id.enc))), true
	}
	return netip.Addr{}, false
}

// Equal reports whether id and other denote the same identity as
// strongSwan's equals(): binary for addresses and key IDs, ASCII
// case-insensitive for FQDN and RFC822 names (which must not contain a NUL
// octet), RDN by RDN for DNs (PrintableString and emailAddress values
// case-insensitive, RDN order significant). Unlike strongSwan, a DN never
// equals an ID of another type.
func (id ID) Equal(other ID) bool {
	if id.set != other.set || id.t != other.t {
		return false
	}
	switch id.t {
	case Any:
		return true
	case FQDN, RFC822:
		return equalFold(id.enc, other.enc)
	case DN:
		return compareDN(id.enc, other.enc, nil)
	default:
		return id.enc == other.enc
	}
}

// equalFold is strongSwan's equals_strcasecmp: same length, no NUL octets,
// equal ignoring ASCII case.
func equalFold(a, b string) bool {
	return len(a) == len(b) && !strings.ContainsRune(a, 0) && !strings.ContainsRune(b, 0) &&
		asciiEqualFold(a, b)
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Key returns a string usable as a map key: IDs that are Equal have the
// same key, with one exception inherited from strongSwan's DN equality
// (which is not transitive): an RDN value encoded with two different
// string types is Equal when the octets are identical, but the keys
// differ. The zero ID has the key "".
func (id ID) Key() string {
	if !id.set {
		return ""
	}
	var sb strings.Builder
	sb.WriteByte(byte(id.t))
	switch id.t {
	case Any:
	case FQDN, RFC822:
		if strings.ContainsRune(id.enc, 0) {
			// never Equal to anything, not even itself: keep it apart
			sb.WriteByte(0)
			sb.WriteString(id.enc)
			break
		}
		for i := 0; i < len(id.enc); i++ {
			sb.WriteByte(lower(id.enc[i]))
		}
	case DN:
		rdns, ok := parseRDNs(id.enc)
		if !ok {
			sb.WriteByte(0)
			sb.WriteString(id.enc)
			break
		}
		sb.WriteByte(1)
		for _, r := range rdns {
			sb.WriteString(strconv.Itoa(len(r.oid)))
			sb.WriteByte(':')
			sb.WriteString(r.oid)
			sb.WriteByte(r.tag)
			sb.WriteString(strconv.Itoa(len(r.value)))
			sb.WriteByte(':')
			if caseInsensitiveRDN(r.oid, r.tag) {
				for i := 0; i < len(r.value); i++ {
					sb.WriteByte(lower(r.value[i]))
				}
			} else {
				sb.WriteString(r.value)
			}
		}
	default:
		sb.WriteString(id.enc)
	}
	return sb.String()
}

// ContainsWildcards reports whether id is %any or contains wildcards: a
// '*' anywhere in an FQDN or RFC822 name, or an RDN value "*" of one of
// the attribute types strongSwan enumerates as ID parts (CN, SN,
// serialNumber, C, L, ST, O, OU, T, D, N, G, I, dnQualifier, dmdName,
// pseudonym, ID, E, employeeNumber).
func (id ID) ContainsWildcards() bool {
	if !id.set {
		return false
	}
	switch id.t {
	case Any:
		return true
	case FQDN, RFC822:
		return strings.IndexByte(id.enc, '*') >= 0
	case DN:
		for r := range rdnSeq(id.enc) {
			if r.value == "*" && isPartOID(r.oid) {
				return true
			}
		}
	}
	return false
}
