package sa

import (
	"encoding/binary"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// toWire converts proposals to SA payload proposals, numbered from 1
// unless they carry a number.
func toWire(ps []*crypto.Proposal) []message.Proposal {
	out := make([]message.Proposal, 0, len(ps))
	for i, p := range ps {
		mp := message.Proposal{Number: p.Number, Protocol: message.ProtocolID(p.Protocol), SPI: p.SPI}
		if mp.Number == 0 {
			mp.Number = uint8(i + 1)
		}
		for _, t := range p.Transforms {
			mt := message.Transform{Type: message.TransformType(t.Type), ID: t.ID}
			if t.KeyLen != 0 {
				mt.Attributes = []message.TransformAttribute{{Type: message.AttrKeyLength, TV: true, Value: t.KeyLen}}
			}
			mp.Transforms = append(mp.Transforms, mt)
		}
		out = append(out, mp)
	}
	return out
}

// fromWire converts received proposals.
func fromWire(ps []message.Proposal) []*crypto.Proposal {
	out := make([]*crypto.Proposal, 0, len(ps))
	for _, mp := range ps {
		p := &crypto.Proposal{Protocol: crypto.Protocol(mp.Protocol), Number: mp.Number, SPI: mp.SPI}
		for _, t := range mp.Transforms {
			kl, _ := t.KeyLength()
			p.Transforms = append(p.Transforms, crypto.Transform{Type: crypto.TransformType(t.Type), ID: t.ID, KeyLen: kl})
		}
		out = append(out, p)
	}
	return out
}

// withSPI returns copies of ps carrying spi (4 bytes for ESP/AH, 8 for IKE).
func withSPI(ps []*crypto.Proposal, spi []byte) []*crypto.Proposal {
	out := make([]*crypto.Proposal, len(ps))
	for i, p := range ps {
		c := p.Clone()
		c.SPI = spi
		out[i] = c
	}
	return out
}

func spi32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func selectFlags(st Settings) crypto.SelectFlags {
	var f crypto.SelectFlags
	if !st.PreferConfigured {
		f |= crypto.PreferReceived
	}
	if !st.AcceptPrivateAlgs {
		f |= crypto.SkipPrivate
	}
	return f
}

// keMethod is the first key exchange method of a proposal list (0: none).
func keMethod(ps []*crypto.Proposal) uint16 {
	for _, p := range ps {
		if t, ok := p.Get(crypto.TransformKE); ok && t.ID != 0 {
			return t.ID
		}
	}
	return 0
}

// offers reports whether one of the proposals has KE method ke.
func offers(ps []*crypto.Proposal, ke uint16) bool {
	for _, p := range ps {
		if p.Has(crypto.TransformKE, ke) {
			return true
		}
	}
	return false
}
