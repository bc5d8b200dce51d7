package message

import "encoding/binary"

// KE is the Key Exchange payload (RFC 7296 section 3.4).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|   Key Exchange Method Num     |           RESERVED            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                       Key Exchange Data                       ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type KE struct {
	Group uint16 // Key Exchange Method (transform ID of type 4 or 6..12)
	Data  []byte
}

// Type returns PayloadKE.
func (*KE) Type() PayloadType { return PayloadKE }

// Parse parses a KE payload body.
func (k *KE) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "KE payload needs 4 octets")
	}
	k.Group = binary.BigEndian.Uint16(b)
	k.Data = b[4:]
	return nil
}

// AppendMarshal appends the body.
func (k *KE) AppendMarshal(dst []byte) ([]byte, error) {
	dst = append(dst, byte(k.Group>>8), byte(k.Group), 0, 0)
	return append(dst, k.Data...), nil
}
