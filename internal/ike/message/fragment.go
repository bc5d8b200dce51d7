package message

import "encoding/binary"

// MaxFragments is the largest Total Fragments value charon accepts when
// reassembling (message.c MAX_FRAGMENTS).
const MaxFragments = 255

// EncryptedFragment is the Encrypted and Authenticated Fragment payload, SKF
// (RFC 7383 section 2.5).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Next Payload  |C|  RESERVED   |         Payload Length        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|        Fragment Number        |        Total Fragments        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                     Initialization Vector                     |
//	~                      Encrypted content                        ~
//	~                    Integrity Checksum Data                    ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// NextPayload is the first inner payload type in fragment 1 and 0 in the
// others. Body (IV, ciphertext, ICV) is opaque here. The associated data of
// a fragment includes Fragment Number and Total Fragments.
type EncryptedFragment struct {
	NextPayload PayloadType
	Number      uint16
	Total       uint16
	Body        []byte
}

// Type returns PayloadSKF.
func (*EncryptedFragment) Type() PayloadType { return PayloadSKF }

// Parse parses an SKF body; NextPayload is set by the chain parser.
func (f *EncryptedFragment) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "SKF payload needs 4 octets")
	}
	f.Number = binary.BigEndian.Uint16(b)
	f.Total = binary.BigEndian.Uint16(b[2:])
	f.Body = b[4:]
	return nil
}

// AppendMarshal appends the body.
func (f *EncryptedFragment) AppendMarshal(dst []byte) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, f.Number)
	dst = binary.BigEndian.AppendUint16(dst, f.Total)
	return append(dst, f.Body...), nil
}
