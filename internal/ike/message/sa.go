package message

import "encoding/binary"

// SA is the Security Association payload (RFC 7296 section 3.3): a list of
// proposals, in the order received.
type SA struct {
	Proposals []Proposal
}

// Proposal is a proposal substructure (RFC 7296 section 3.3.1).
//
//	                     1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Last Substruc |   RESERVED    |         Proposal Length       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	| Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                        SPI (variable)                         ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	~                        <Transforms>                           ~
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The Last Substruc octet is 2 on every proposal but the last, where it is
// 0; Parse enforces it and AppendMarshal writes it.
type Proposal struct {
	Number     uint8
	Protocol   ProtocolID
	SPI        []byte // any size up to 255 octets
	Transforms []Transform
}

// Transform is a transform substructure (RFC 7296 section 3.3.2). The Last
// Substruc octet is 3 except on the last transform of a proposal.
type Transform struct {
	Type       TransformType
	ID         uint16
	Attributes []TransformAttribute
}

// TransformAttribute is a data attribute (RFC 7296 section 3.3.5). TV is the
// AF bit: a TV attribute carries the 16-bit Value, a TLV one carries Data.
// The form is kept so that round trips are byte-exact.
type TransformAttribute struct {
	Type  uint16 // 15 bits
	TV    bool
	Value uint16 // TV form
	Data  []byte // TLV form
}

// Lengths of the fixed parts.
const (
	proposalHdrLen  = 8
	transformHdrLen = 8
	lastProposal    = 0
	moreProposals   = 2
	lastTransform   = 0
	moreTransforms  = 3
)

// Type returns PayloadSA.
func (*SA) Type() PayloadType { return PayloadSA }

// Parse parses the proposals of an SA payload body.
func (s *SA) Parse(b []byte) error {
	s.Proposals = s.Proposals[:0]
	if n := countSubstructs(b); n > 0 {
		s.Proposals = make([]Proposal, 0, n)
	}
	off := 0
	for off < len(b) {
		if len(b)-off < proposalHdrLen {
			return perr(len(b), ErrTruncated, "proposal header needs 8 octets")
		}
		marker := b[off]
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < proposalHdrLen {
			return perr(off+2, ErrLength, "proposal length %d < 8", l)
		}
		if l > len(b)-off {
			return perr(off+2, ErrTruncated, "proposal length %d exceeds SA payload", l)
		}
		isLast := off+l == len(b)
		if (isLast && marker != lastProposal) || (!isLast && marker != moreProposals) {
			return perr(off, ErrLastMarker, "proposal marker %d", marker)
		}
		var p Proposal
		if err := p.parse(b[off : off+l]); err != nil {
			err.Offset += off
			return err
		}
		s.Proposals = append(s.Proposals, p)
		off += l
	}
	return nil
}

// countSubstructs counts length-prefixed substructures (length at offset 2)
// for preallocation.
func countSubstructs(b []byte) int {
	n := 0
	for off := 0; len(b)-off >= 4; n++ {
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 4 {
			return n + 1
		}
		off += l
	}
	return n
}

// parse parses one proposal; b is the whole substructure.
func (p *Proposal) parse(b []byte) *ParseError {
	p.Number = b[4]
	p.Protocol = ProtocolID(b[5])
	spiSize := int(b[6])
	numTransforms := int(b[7])
	if len(b)-proposalHdrLen < spiSize {
		return perr(6, ErrTruncated, "SPI size %d exceeds proposal", spiSize)
	}
	p.SPI = b[proposalHdrLen : proposalHdrLen+spiSize]
	off := proposalHdrLen + spiSize
	if numTransforms > 0 {
		p.Transforms = make([]Transform, 0, numTransforms)
	}
	for off < len(b) {
		if len(b)-off < transformHdrLen {
			return perr(len(b), ErrTruncated, "transform header needs 8 octets")
		}
		marker := b[off]
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < transformHdrLen {
			return perr(off+2, ErrLength, "transform length %d < 8", l)
		}
		if l > len(b)-off {
			return perr(off+2, ErrTruncated, "transform length %d exceeds proposal", l)
		}
		isLast := off+l == len(b)
		if (isLast && marker != lastTransform) || (!isLast && marker != moreTransforms) {
			return perr(off, ErrLastMarker, "transform marker %d", marker)
		}
		t := Transform{
			Type: TransformType(b[off+4]),
			ID:   binary.BigEndian.Uint16(b[off+6:]),
		}
		if err := t.parseAttributes(b[off+transformHdrLen : off+l]); err != nil {
			err.Offset += off + transformHdrLen
			return err
		}
		p.Transforms = append(p.Transforms, t)
		off += l
	}
	if len(p.Transforms) != numTransforms {
		return perr(7, ErrCount, "%d transforms announced, %d present", numTransforms, len(p.Transforms))
	}
	return nil
}

func (t *Transform) parseAttributes(b []byte) *ParseError {
	off := 0
	for off < len(b) {
		if len(b)-off < 4 {
			return perr(len(b), ErrTruncated, "transform attribute needs 4 octets")
		}
		v := binary.BigEndian.Uint16(b[off:])
		a := TransformAttribute{Type: v & 0x7fff, TV: v&0x8000 != 0}
		lv := binary.BigEndian.Uint16(b[off+2:])
		off += 4
		if a.TV {
			a.Value = lv
		} else {
			if int(lv) > len(b)-off {
				return perr(off-2, ErrTruncated, "attribute length %d exceeds transform", lv)
			}
			a.Data = b[off : off+int(lv)]
			off += int(lv)
		}
		t.Attributes = append(t.Attributes, a)
	}
	return nil
}

// AppendMarshal appends the proposals.
func (s *SA) AppendMarshal(dst []byte) ([]byte, error) {
	for i := range s.Proposals {
		p := &s.Proposals[i]
		marker := byte(moreProposals)
		if i == len(s.Proposals)-1 {
			marker = lastProposal
		}
		if len(p.SPI) > 0xff {
			return dst, perr(len(dst), ErrTooLarge, "SPI of %d octets", len(p.SPI))
		}
		if len(p.Transforms) > 0xff {
			return dst, perr(len(dst), ErrTooLarge, "%d transforms", len(p.Transforms))
		}
		start := len(dst)
		dst = append(dst, marker, 0, 0, 0, p.Number, byte(p.Protocol),
			byte(len(p.SPI)), byte(len(p.Transforms)))
		dst = append(dst, p.SPI...)
		for j := range p.Transforms {
			t := &p.Transforms[j]
			tm := byte(moreTransforms)
			if j == len(p.Transforms)-1 {
				tm = lastTransform
			}
			tstart := len(dst)
			dst = append(dst, tm, 0, 0, 0, byte(t.Type), 0, byte(t.ID>>8), byte(t.ID))
			for _, a := range t.Attributes {
				if a.Type > 0x7fff {
					return dst, perr(len(dst), ErrInvalid, "attribute type %d", a.Type)
				}
				if a.TV {
					dst = binary.BigEndian.AppendUint16(dst, a.Type|0x8000)
					dst = binary.BigEndian.AppendUint16(dst, a.Value)
					continue
				}
				if len(a.Data) > 0xffff {
					return dst, perr(len(dst), ErrTooLarge, "attribute of %d octets", len(a.Data))
				}
				dst = binary.BigEndian.AppendUint16(dst, a.Type)
				dst = binary.BigEndian.AppendUint16(dst, uint16(len(a.Data)))
				dst = append(dst, a.Data...)
			}
			if err := putLen16(dst, tstart); err != nil {
				return dst, err
			}
		}
		if err := putLen16(dst, start); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// putLen16 writes len(dst)-start into the length field at start+2.
func putLen16(dst []byte, start int) *ParseError {
	l := len(dst) - start
	if l > 0xffff {
		return perr(start, ErrTooLarge, "substructure of %d octets", l)
	}
	binary.BigEndian.PutUint16(dst[start+2:], uint16(l))
	return nil
}

// KeyLength returns the value of the Key Length attribute, if present.
func (t *Transform) KeyLength() (uint16, bool) {
	for _, a := range t.Attributes {
		if a.Type == AttrKeyLength && a.TV {
			return a.Value, true
		}
	}
	return 0, false
}
