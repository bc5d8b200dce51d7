package message

import "encoding/binary"

// HeaderLen is the length of the IKE header.
const HeaderLen = 28

// IKE header flag bits (RFC 7296 section 3.1).
const (
	FlagInitiator uint8 = 0x08 // I: sent by the original initiator
	FlagVersion   uint8 = 0x10 // V: sender can speak a higher major version
	FlagResponse  uint8 = 0x20 // R: this message is a response
)

// Major and minor version of IKEv2.
const (
	MajorVersion = 2
	MinorVersion = 0
)

// Header is the IKE header (RFC 7296 section 3.1).
//
//	                     1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       IKE SA Initiator's SPI                  |
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       IKE SA Responder's SPI                  |
//	|                                                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                          Message ID                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                            Length                             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// NextPayload and Length are filled in by Parse; AppendMarshal computes
// them from the payloads and ignores these fields. Flags is the whole flags
// octet, reserved bits included, so that it round-trips unchanged.
type Header struct {
	SPIi, SPIr   uint64
	NextPayload  PayloadType
	MajorVersion uint8 // 4 bits
	MinorVersion uint8 // 4 bits
	Exchange     ExchangeType
	Flags        uint8
	MessageID    uint32
	Length       uint32
}

// IsInitiator reports whether the I flag is set.
func (h *Header) IsInitiator() bool { return h.Flags&FlagInitiator != 0 }

// IsResponse reports whether the R flag is set.
func (h *Header) IsResponse() bool { return h.Flags&FlagResponse != 0 }

// IsRequest reports whether the R flag is clear.
func (h *Header) IsRequest() bool { return h.Flags&FlagResponse == 0 }

// HigherVersion reports whether the V flag is set.
func (h *Header) HigherVersion() bool { return h.Flags&FlagVersion != 0 }

// ParseHeader parses the 28-octet IKE header at the start of b without
// looking at the payloads, so that a caller can answer (or drop) a message
// whose body is bad. It returns the header together with a *VersionError
// when the major version is not 2, and a *ParseError (ErrZeroSPI) when the
// initiator's SPI is zero, which charon rejects in ike_header verify.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, &ParseError{Offset: len(b), Err: ErrTruncated,
			Reason: "IKE header needs 28 octets"}
	}
	h.SPIi = binary.BigEndian.Uint64(b[0:8])
	h.SPIr = binary.BigEndian.Uint64(b[8:16])
	h.NextPayload = PayloadType(b[16])
	h.MajorVersion = b[17] >> 4
	h.MinorVersion = b[17] & 0x0f
	h.Exchange = ExchangeType(b[18])
	h.Flags = b[19]
	h.MessageID = binary.BigEndian.Uint32(b[20:24])
	h.Length = binary.BigEndian.Uint32(b[24:28])
	if h.MajorVersion != MajorVersion {
		return h, &VersionError{Major: h.MajorVersion, Minor: h.MinorVersion}
	}
	if h.SPIi == 0 {
		return h, &ParseError{Offset: 0, Err: ErrZeroSPI}
	}
	return h, nil
}

// appendHeader appends h with the given next payload and length.
func appendHeader(dst []byte, h *Header, next PayloadType, length uint32) []byte {
	dst = binary.BigEndian.AppendUint64(dst, h.SPIi)
	dst = binary.BigEndian.AppendUint64(dst, h.SPIr)
	dst = append(dst, byte(next), h.MajorVersion<<4|h.MinorVersion&0x0f,
		byte(h.Exchange), h.Flags)
	dst = binary.BigEndian.AppendUint32(dst, h.MessageID)
	return binary.BigEndian.AppendUint32(dst, length)
}
