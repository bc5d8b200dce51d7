package message

import (
	"encoding/binary"
	"net/netip"
)

// Notify is the Notify payload (RFC 7296 section 3.10).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Protocol ID  |   SPI Size    |      Notify Message Type      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                Security Parameter Index (SPI)                 ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                       Notification Data                       ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type Notify struct {
	Protocol   ProtocolID
	SPI        []byte // SPI Size is len(SPI)
	NotifyType NotifyType
	Data       []byte
}

// Type returns PayloadNotify.
func (*Notify) Type() PayloadType { return PayloadNotify }

// Parse parses a Notify payload body.
func (n *Notify) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "Notify payload needs 4 octets")
	}
	n.Protocol = ProtocolID(b[0])
	spi := int(b[1])
	n.NotifyType = NotifyType(binary.BigEndian.Uint16(b[2:]))
	if len(b)-4 < spi {
		return perr(1, ErrTruncated, "SPI size %d exceeds payload", spi)
	}
	n.SPI = b[4 : 4+spi]
	n.Data = b[4+spi:]
	return nil
}

// AppendMarshal appends the body.
func (n *Notify) AppendMarshal(dst []byte) ([]byte, error) {
	if len(n.SPI) > 0xff {
		return dst, perr(len(dst), ErrTooLarge, "SPI of %d octets", len(n.SPI))
	}
	dst = append(dst, byte(n.Protocol), byte(len(n.SPI)),
		byte(n.NotifyType>>8), byte(n.NotifyType))
	dst = append(dst, n.SPI...)
	return append(dst, n.Data...), nil
}

// SPI32 returns a 4-octet SPI (AH/ESP) as a number.
func (n *Notify) SPI32() (uint32, bool) {
	if len(n.SPI) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(n.SPI), true
}

// Uint16s decodes the data as a list of 16-bit values, as carried by
// SIGNATURE_HASH_ALGORITHMS (RFC 7427) and INVALID_KE_PAYLOAD (one group);
// a trailing odd octet is ignored.
func (n *Notify) Uint16s() []uint16 {
	if len(n.Data) < 2 {
		return nil
	}
	out := make([]uint16, len(n.Data)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(n.Data[2*i:])
	}
	return out
}

// Addr decodes ADDITIONAL_IP4_ADDRESS / ADDITIONAL_IP6_ADDRESS data (RFC 4555).
func (n *Notify) Addr() (netip.Addr, bool) {
	switch len(n.Data) {
	case 4:
		return netip.AddrFrom4([4]byte(n.Data)), true
	case 16:
		return netip.AddrFrom16([16]byte(n.Data)), true
	}
	return netip.Addr{}, false
}

// Gateway identity types of REDIRECT and REDIRECTED_FROM (RFC 5685 section 10).
const (
	GatewayIPv4 uint8 = 1
	GatewayIPv6 uint8 = 2
	GatewayFQDN uint8 = 3
)

// Redirect decodes REDIRECT / REDIRECTED_FROM data (RFC 5685 section 10):
// the gateway identity type, the identity, and (REDIRECT in IKE_SA_INIT)
// the nonce data that follows it.
func (n *Notify) Redirect() (gwType uint8, gwID, nonce []byte, ok bool) {
	if len(n.Data) < 2 {
		return 0, nil, nil, false
	}
	l := int(n.Data[1])
	if len(n.Data)-2 < l {
		return 0, nil, nil, false
	}
	return n.Data[0], n.Data[2 : 2+l], n.Data[2+l:], true
}

// AppendRedirectData appends REDIRECT / REDIRECTED_FROM notification data.
func AppendRedirectData(dst []byte, gwType uint8, gwID, nonce []byte) ([]byte, error) {
	if len(gwID) > 0xff {
		return dst, perr(len(dst), ErrTooLarge, "gateway identity of %d octets", len(gwID))
	}
	dst = append(dst, gwType, byte(len(gwID)))
	dst = append(dst, gwID...)
	return append(dst, nonce...), nil
}
