package message

import (
	"encoding/binary"
	"strconv"
)

// EAPCode is the code of an EAP packet (RFC 3748 section 4).
type EAPCode uint8

// EAP codes.
const (
	EAPRequest  EAPCode = 1
	EAPResponse EAPCode = 2
	EAPSuccess  EAPCode = 3
	EAPFailure  EAPCode = 4
)

// ShortName returns charon's eap_code_short_names entry, e.g. "REQ".
func (c EAPCode) ShortName() string {
	switch c {
	case EAPRequest:
		return "REQ"
	case EAPResponse:
		return "RES"
	case EAPSuccess:
		return "SUCC"
	case EAPFailure:
		return "FAIL"
	}
	return unknownName(int(c))
}

// String returns charon's eap_code_names entry, e.g. "EAP_REQUEST".
func (c EAPCode) String() string {
	switch c {
	case EAPRequest:
		return "EAP_REQUEST"
	case EAPResponse:
		return "EAP_RESPONSE"
	case EAPSuccess:
		return "EAP_SUCCESS"
	case EAPFailure:
		return "EAP_FAILURE"
	}
	return unknownName(int(c))
}

// EAPType is an EAP method type (RFC 3748 section 5). Expanded types
// (RFC 3748 section 5.7) carry a 32-bit vendor type, hence uint32.
type EAPType uint32

// EAP method types charon names.
const (
	EAPIdentity     EAPType = 1
	EAPNotification EAPType = 2
	EAPNak          EAPType = 3
	EAPMD5          EAPType = 4
	EAPOTP          EAPType = 5
	EAPGTC          EAPType = 6
	EAPTLS          EAPType = 13
	EAPSIM          EAPType = 18
	EAPTTLS         EAPType = 21
	EAPAKA          EAPType = 23
	EAPPEAP         EAPType = 25
	EAPMSCHAPv2     EAPType = 26
	EAPMSTLV        EAPType = 33
	EAPTNC          EAPType = 38
	EAPPTEAP        EAPType = 54
	EAPExpanded     EAPType = 254
	EAPExperimental EAPType = 255
	EAPRADIUS       EAPType = 256 // strongSwan internal: forwarded to RADIUS
	EAPDynamic      EAPType = 257 // strongSwan internal: chosen dynamically
)

// ShortName returns charon's eap_type_short_names entry, e.g. "ID" or
// "MSCHAPV2".
func (t EAPType) ShortName() string {
	switch t {
	case EAPIdentity:
		return "ID"
	case EAPNotification:
		return "NTF"
	case EAPNak:
		return "NAK"
	case EAPMD5:
		return "MD5"
	case EAPOTP:
		return "OTP"
	case EAPGTC:
		return "GTC"
	case EAPTLS:
		return "TLS"
	case EAPSIM:
		return "SIM"
	case EAPTTLS:
		return "TTLS"
	case EAPAKA:
		return "AKA"
	case EAPPEAP:
		return "PEAP"
	case EAPMSCHAPv2:
		return "MSCHAPV2"
	case EAPMSTLV:
		return "MSTLV"
	case EAPTNC:
		return "TNC"
	case EAPPTEAP:
		return "PT"
	case EAPExpanded:
		return "EXP"
	case EAPExperimental:
		return "XP"
	case EAPRADIUS:
		return "RAD"
	case EAPDynamic:
		return "DYN"
	}
	return unknownName(int(int32(t)))
}

// penShortName is strongSwan's pen_short_names (private enterprise numbers).
func penShortName(v uint32) string {
	switch v {
	case 0:
		return "IETF"
	case 2:
		return "IBM"
	case 311:
		return "MS"
	case 2312:
		return "RH"
	case 2699:
		return "PWG"
	case 3076:
		return "ALT"
	case 9048:
		return "OSC"
	case 9586:
		return "DEB"
	case 11129:
		return "GOO"
	case 21911:
		return "TCG"
	case 28978:
		return "CAN"
	case 30401:
		return "FED"
	case 32939:
		return "FHH"
	case 36906:
		return "ITA"
	case 38158:
		return "PTS"
	case 0xfffffe:
		return "UNAS"
	case 0xffffff:
		return "RES"
	}
	return unknownName(int(v))
}

// EAP is the EAP payload (RFC 7296 section 3.16): one complete EAP packet,
// kept raw in Data (code, identifier, length, type, type-data) so that any
// packet round-trips. The accessors decode it without panicking on short
// data; NewEAP builds one. Check verifies it as charon does (length field
// equal to the payload, known code, no data on Success/Failure).
type EAP struct {
	Data []byte
}

// Type returns PayloadEAP.
func (*EAP) Type() PayloadType { return PayloadEAP }

// Parse keeps the body.
func (e *EAP) Parse(b []byte) error { e.Data = b; return nil }

// AppendMarshal appends the EAP packet.
func (e *EAP) AppendMarshal(dst []byte) ([]byte, error) { return append(dst, e.Data...), nil }

// NewEAP builds an EAP payload. For Success and Failure method and
// typeData are ignored (the packet is 4 octets).
func NewEAP(code EAPCode, identifier uint8, method EAPType, typeData []byte) *EAP {
	n := 4
	if code == EAPRequest || code == EAPResponse {
		n += 1 + len(typeData)
	}
	d := make([]byte, 4, n)
	d[0], d[1] = byte(code), identifier
	binary.BigEndian.PutUint16(d[2:], uint16(n))
	if n > 4 {
		d = append(d, byte(method))
		d = append(d, typeData...)
	}
	return &EAP{Data: d}
}

// Code returns the EAP code (0 when the packet is empty).
func (e *EAP) Code() EAPCode {
	if len(e.Data) > 0 {
		return EAPCode(e.Data[0])
	}
	return 0
}

// Identifier returns the EAP identifier.
func (e *EAP) Identifier() uint8 {
	if len(e.Data) > 1 {
		return e.Data[1]
	}
	return 0
}

// Method returns the EAP method type and, for an expanded type, the vendor
// (a 24-bit private enterprise number) and the 32-bit vendor type, as
// charon's eap_payload get_type does: type 0 when there is none.
func (e *EAP) Method() (t EAPType, vendor uint32) {
	if len(e.Data) <= 4 {
		return 0, 0
	}
	if e.Data[4] != byte(EAPExpanded) {
		return EAPType(e.Data[4]), 0
	}
	if len(e.Data) < 12 {
		return 0, 0
	}
	return EAPType(binary.BigEndian.Uint32(e.Data[8:])),
		binary.BigEndian.Uint32(e.Data[4:]) & 0x00ffffff
}

// TypeData returns the octets after the type field (after the 8-octet
// expanded type for type 254).
func (e *EAP) TypeData() []byte {
	if len(e.Data) <= 5 {
		return nil
	}
	if e.Data[4] == byte(EAPExpanded) {
		if len(e.Data) < 12 {
			return nil
		}
		return e.Data[12:]
	}
	return e.Data[5:]
}

// summary renders "/CODE[/METHOD]" as message.c does after "EAP".
func (e *EAP) summary(dst []byte) []byte {
	dst = append(dst, '/')
	dst = append(dst, e.Code().ShortName()...)
	t, vendor := e.Method()
	if t == 0 {
		return dst
	}
	dst = append(dst, '/')
	if vendor != 0 {
		dst = strconv.AppendInt(dst, int64(int32(t)), 10)
		dst = append(dst, '-')
		return append(dst, penShortName(vendor)...)
	}
	return append(dst, t.ShortName()...)
}
