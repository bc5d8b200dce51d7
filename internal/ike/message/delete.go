package message

import "encoding/binary"

// Delete is the Delete payload (RFC 7296 section 3.11).
//
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Protocol ID   |   SPI Size    |          Num of SPIs          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~               Security Parameter Index(es) (SPI)              ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The SPIs are kept as they are on the wire: Count SPIs of SPISize octets
// each, concatenated in SPIs. Use DeleteIKE and DeleteSPIs to build one.
type Delete struct {
	Protocol ProtocolID
	SPISize  uint8
	Count    uint16
	SPIs     []byte // Count*SPISize octets
}

// Type returns PayloadDelete.
func (*Delete) Type() PayloadType { return PayloadDelete }

// Parse parses a Delete payload body; the SPI data must be exactly
// Count*SPISize octets.
func (d *Delete) Parse(b []byte) error {
	if len(b) < 4 {
		return perr(len(b), ErrTruncated, "Delete payload needs 4 octets")
	}
	d.Protocol = ProtocolID(b[0])
	d.SPISize = b[1]
	d.Count = binary.BigEndian.Uint16(b[2:])
	if len(b)-4 != int(d.Count)*int(d.SPISize) {
		return perr(2, ErrCount, "%d SPIs of %d octets but %d octets of data",
			d.Count, d.SPISize, len(b)-4)
	}
	d.SPIs = b[4:]
	return nil
}

// AppendMarshal appends the body.
func (d *Delete) AppendMarshal(dst []byte) ([]byte, error) {
	if len(d.SPIs) != int(d.Count)*int(d.SPISize) {
		return dst, perr(len(dst), ErrCount, "%d SPIs of %d octets but %d octets of data",
			d.Count, d.SPISize, len(d.SPIs))
	}
	dst = append(dst, byte(d.Protocol), d.SPISize, byte(d.Count>>8), byte(d.Count))
	return append(dst, d.SPIs...), nil
}

// SPI returns the i-th SPI.
func (d *Delete) SPI(i int) []byte {
	s := int(d.SPISize)
	if i < 0 || i >= int(d.Count) || (i+1)*s > len(d.SPIs) {
		return nil
	}
	return d.SPIs[i*s : (i+1)*s : (i+1)*s]
}

// SPIs32 returns the SPIs of an AH/ESP delete (SPI size 4) as numbers.
func (d *Delete) SPIs32() []uint32 {
	if d.SPISize != 4 || len(d.SPIs) != 4*int(d.Count) {
		return nil
	}
	out := make([]uint32, d.Count)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(d.SPIs[4*i:])
	}
	return out
}

// DeleteIKE returns the Delete payload that deletes the IKE SA.
func DeleteIKE() *Delete { return &Delete{Protocol: ProtoIKE} }

// DeleteSPIs returns a Delete payload for AH or ESP SPIs.
func DeleteSPIs(proto ProtocolID, spis ...uint32) *Delete {
	d := &Delete{Protocol: proto, SPISize: 4, Count: uint16(len(spis)),
		SPIs: make([]byte, 0, 4*len(spis))}
	for _, s := range spis {
		d.SPIs = binary.BigEndian.AppendUint32(d.SPIs, s)
	}
	return d
}
