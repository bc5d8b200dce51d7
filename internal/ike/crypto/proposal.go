package crypto

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Protocol is the Protocol ID of a proposal (RFC 7296 §3.3.1).
type Protocol uint8

// Protocol IDs.
const (
	ProtoIKE Protocol = 1
	ProtoAH  Protocol = 2
	ProtoESP Protocol = 3
)

// String returns "IKE", "AH" or "ESP" (strongSwan's protocol_id_names).
func (p Protocol) String() string {
	switch p {
	case ProtoIKE:
		return "IKE"
	case ProtoAH:
		return "AH"
	case ProtoESP:
		return "ESP"
	case 0:
		return "PROTO_NONE"
	case 4:
		return "IPCOMP"
	}
	return "(" + strconv.Itoa(int(p)) + ")"
}

// Proposal is one proposal of an SA payload: the protocol, the proposal
// number and sender's SPI (as on the wire), and the transforms, several per
// type in order of preference. Transforms of different types may be
// interleaved; only the order within a type matters.
type Proposal struct {
	Protocol   Protocol
	Number     uint8
	SPI        []byte
	Transforms []Transform
}

// typeOrder is the order in which charon prints and negotiates transform
// types: ENCR, INTEG, PRF, KE, ESN, ADDKE1..7, then others by number.
func typeOrder(t TransformType) int {
	switch t {
	case TransformPRF:
		return int(TransformINTEG)
	case TransformINTEG:
		return int(TransformPRF)
	}
	return int(t)
}

// Types returns the transform types present in p, in charon's order.
func (p *Proposal) Types() []TransformType {
	var types []TransformType
	for _, t := range p.Transforms {
		if !slices.Contains(types, t.Type) {
			types = append(types, t.Type)
		}
	}
	slices.SortFunc(types, func(a, b TransformType) int { return typeOrder(a) - typeOrder(b) })
	return types
}

// Algorithms returns p's transforms of type t, in order of preference.
func (p *Proposal) Algorithms(t TransformType) []Transform {
	var out []Transform
	for _, tr := range p.Transforms {
		if tr.Type == t {
			out = append(out, tr)
		}
	}
	return out
}

// Get returns p's first (for a selected proposal: only) transform of type t.
func (p *Proposal) Get(t TransformType) (Transform, bool) {
	for _, tr := range p.Transforms {
		if tr.Type == t {
			return tr, true
		}
	}
	return Transform{}, false
}

// Has reports whether p contains transform ID id of type t. As in
// strongSwan, asking for ID 0 (e.g. KE_NONE) is true when p has no
// transform of that type other than 0.
func (p *Proposal) Has(t TransformType, id uint16) bool {
	found := false
	for _, tr := range p.Transforms {
		if tr.Type == t && tr.ID != 0 {
			found = true
			if tr.ID == id {
				return true
			}
		}
	}
	return !found && id == 0
}

// Promote moves the transforms of type t with ID id to the front of p's
// list, e.g. the KE method the responder asked for with INVALID_KE_PAYLOAD.
// It reports whether p contained it.
func (p *Proposal) Promote(t TransformType, id uint16) bool {
	var front, rest []Transform
	for _, tr := range p.Transforms {
		if tr.Type == t && tr.ID == id {
			if len(front) == 0 {
				front = append(front, Transform{Type: t, ID: id, KeyLen: tr.KeyLen})
			}
			continue
		}
		rest = append(rest, tr)
	}
	if len(front) == 0 {
		return false
	}
	p.Transforms = append(front, rest...)
	return true
}

// HasAdditionalKE reports whether p contains RFC 9370 additional key
// exchange transforms (types 6..12).
func (p *Proposal) HasAdditionalKE() bool {
	for _, tr := range p.Transforms {
		if tr.Type >= TransformADDKE1 && tr.Type <= TransformADDKE7 {
			return true
		}
	}
	return false
}

// IsAEAD reports whether p's (first) encryption algorithm is an AEAD.
func (p *Proposal) IsAEAD() bool {
	e, ok := p.Get(TransformENCR)
	return ok && IsAEAD(e.ID)
}

// Clone returns a deep copy of p.
func (p *Proposal) Clone() *Proposal {
	c := *p
	c.SPI = slices.Clone(p.SPI)
	c.Transforms = slices.Clone(p.Transforms)
	return &c
}

// Equal reports whether p and o have the same protocol and the same
// transforms of every type in the same order (SPI and number are ignored),
// as strongSwan's proposal equals().
func (p *Proposal) Equal(o *Proposal) bool {
	if p.Protocol != o.Protocol {
		return false
	}
	types := p.Types()
	for _, t := range o.Types() {
		if !slices.Contains(types, t) {
			return false
		}
	}
	for _, t := range types {
		if !slices.Equal(p.Algorithms(t), o.Algorithms(t)) {
			return false
		}
	}
	return true
}

// String prints p as charon logs it ("%P"), e.g.
// "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072" or
// "ESP:AES_GCM_16_128/NO_EXT_SEQ".
func (p *Proposal) String() string {
	b := make([]byte, 0, 64)
	b = append(b, p.Protocol.String()...)
	b = append(b, ':')
	first := true
	for _, t := range p.Types() {
		for _, tr := range p.Transforms {
			if tr.Type != t {
				continue
			}
			if !first {
				b = append(b, '/')
			}
			first = false
			b = tr.appendString(b)
		}
	}
	return string(b)
}

// FormatProposals prints a list of proposals as charon does ("%#P"):
// separated by ", ".
func FormatProposals(ps []*Proposal) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// Keywords prints p in strongSwan's proposal syntax (the inverse of
// ParseProposal, up to keyword aliases), e.g. "aes256-sha256-prfsha256-modp3072".
// Transforms without a keyword are printed as "UNKNOWN_<type>_<id>[_<keylen>]",
// which ParseProposal rejects.
func (p *Proposal) Keywords() string {
	var parts []string
	for _, t := range p.Types() {
		for _, tr := range p.Transforms {
			if tr.Type != t {
				continue
			}
			base := tr
			prefix := ""
			if tr.Type >= TransformADDKE1 && tr.Type <= TransformADDKE7 {
				prefix = "ke" + strconv.Itoa(int(tr.Type-TransformADDKE1+1)) + "_"
				base.Type = TransformKE
			}
			if k, ok := keywordFor[base]; ok {
				parts = append(parts, prefix+k)
			} else {
				u := Transform{Type: tr.Type, ID: tr.ID, KeyLen: tr.KeyLen}
				parts = append(parts, "UNKNOWN_"+strconv.Itoa(int(u.Type))+"_"+strconv.Itoa(int(u.ID)))
				if u.KeyLen != 0 {
					parts[len(parts)-1] += "_" + strconv.Itoa(int(u.KeyLen))
				}
			}
		}
	}
	return strings.Join(parts, "-")
}

// integPRF maps integrity algorithms to the PRF of the same construction,
// used for IKE proposals without an explicit PRF (strongSwan's
// integ_prf_map).
var integPRF = map[uint16]uint16{
	AuthHMACSHA196:    PRFHMACSHA1,
	7:                 PRFHMACSHA1, // HMAC_SHA1_160
	AuthHMACSHA256128: PRFHMACSHA2256,
	AuthHMACSHA384192: PRFHMACSHA2384,
	AuthHMACSHA512256: PRFHMACSHA2512,
	AuthHMACMD596:     PRFHMACMD5,
	6:                 PRFHMACMD5, // HMAC_MD5_128
	AuthAESXCBC96:     PRFAES128XCBC,
	1030:              1028, // CAMELLIA_XCBC_96 -> PRF_CAMELLIA128_XCBC
	AuthAESCMAC96:     PRFAES128CMAC,
}

// lookupKeyword resolves one token, including the ke<N>_<method> syntax of
// RFC 9370 additional key exchanges.
func lookupKeyword(tok string) (Transform, error) {
	if kw, ok := keywords[tok]; ok {
		return Transform{kw.t, kw.id, kw.keyLen}, nil
	}
	if len(tok) > 4 && strings.EqualFold(tok[:2], "ke") && tok[2] >= '1' && tok[2] <= '7' && tok[3] == '_' {
		if kw, ok := keywords[tok[4:]]; ok && kw.t == TransformKE {
			return Transform{TransformADDKE1 + TransformType(tok[2]-'1'), kw.id, 0}, nil
		}
		if unsupportedKeywords[tok[4:]] {
			return Transform{}, fmt.Errorf("%w: algorithm '%s'", ErrUnsupported, tok)
		}
	}
	if unsupportedKeywords[tok] {
		return Transform{}, fmt.Errorf("%w: algorithm '%s'", ErrUnsupported, tok)
	}
	return Transform{}, fmt.Errorf("algorithm '%s' not recognized", tok)
}

// ParseProposal parses one proposal in strongSwan's syntax (the part of an
// ike=/esp=/ah= value between commas, e.g. "aes128gcm16-prfsha256-ecp256")
// and completes and checks it as strongSwan 5.9.8's proposal_create_from_string
// does: in IKE proposals a missing PRF is derived from the integrity
// algorithms and "none" is dropped; PRFs are dropped from ESP/AH proposals and
// encryption algorithms from AH proposals; integrity algorithms are dropped
// from AEAD proposals; ESP/AH proposals without ESN keyword get "noesn".
// Unlike strongSwan, goswan rejects in IKE proposals the ciphers it cannot
// use to protect IKE messages (null, CTR and CCM modes).
func ParseProposal(proto Protocol, s string) (*Proposal, error) {
	if proto != ProtoIKE && proto != ProtoESP && proto != ProtoAH {
		return nil, fmt.Errorf("proposals for protocol %s not supported", proto)
	}
	p := &Proposal{Protocol: proto}
	for _, tok := range strings.Split(s, "-") {
		tok = strings.Trim(tok, " ")
		if tok == "" {
			continue
		}
		t, err := lookupKeyword(tok)
		if err != nil {
			return nil, err
		}
		p.Transforms = append(p.Transforms, t)
	}
	if len(p.Transforms) == 0 {
		return nil, errors.New("empty proposal")
	}
	if err := p.complete(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Proposal) remove(t TransformType) {
	p.Transforms = slices.DeleteFunc(p.Transforms, func(tr Transform) bool { return tr.Type == t })
}

// complete applies strongSwan's check_proposal.
func (p *Proposal) complete() error {
	if p.Protocol == ProtoIKE {
		if _, ok := p.Get(TransformPRF); !ok {
			for _, i := range p.Algorithms(TransformINTEG) {
				if prf, ok := integPRF[i.ID]; ok {
					p.Transforms = append(p.Transforms, Transform{Type: TransformPRF, ID: prf})
				}
			}
		}
		if _, ok := p.Get(TransformPRF); !ok {
			return errors.New("a PRF algorithm is mandatory in IKE proposals")
		}
		p.Transforms = slices.DeleteFunc(p.Transforms, func(tr Transform) bool {
			return tr.Type == TransformKE && tr.ID == KENone
		})
		if _, ok := p.Get(TransformKE); !ok {
			return errors.New("a DH group is mandatory in IKE proposals")
		}
	} else {
		p.remove(TransformPRF)
	}
	if p.Protocol == ProtoAH {
		p.remove(TransformENCR)
		if _, ok := p.Get(TransformINTEG); !ok {
			return errors.New("an integrity algorithm is mandatory in AH proposals")
		}
	} else {
		encrs := p.Algorithms(TransformENCR)
		if len(encrs) == 0 {
			return fmt.Errorf("an encryption algorithm is mandatory in %s proposals", p.Protocol)
		}
		aead, classic := 0, 0
		for _, e := range encrs {
			if IsAEAD(e.ID) {
				aead++
			} else {
				classic++
			}
			if p.Protocol == ProtoIKE {
				if a := encrAlgs[e.ID]; a == nil || !a.ike {
					return fmt.Errorf("%w: encryption algorithm %s in IKE proposals", ErrUnsupported, e)
				}
			}
		}
		switch {
		case aead > 0 && classic > 0:
			return fmt.Errorf("classic and combined-mode (AEAD) encryption algorithms can't be contained in the same %s proposal", p.Protocol)
		case aead > 0:
			p.remove(TransformINTEG)
		case p.Protocol == ProtoIKE:
			if _, ok := p.Get(TransformINTEG); !ok {
				return errors.New("an integrity algorithm is mandatory in IKE proposals with classic (non-AEAD) encryption algorithms")
			}
		}
	}
	if p.Protocol != ProtoIKE {
		if _, ok := p.Get(TransformESN); !ok {
			p.Transforms = append(p.Transforms, Transform{Type: TransformESN, ID: ESNNo})
		}
	}
	return nil
}

// ParseProposals parses an ike=, esp= or ah= value of ipsec.conf the way
// strongSwan 5.9.8's stroke does: comma-separated proposals, each parsed by
// ParseProposal; unless the value ends in '!' (strict), the default proposals
// (DefaultProposals) are appended. An empty value yields the defaults.
// Proposals are numbered from 1 in order.
func ParseProposals(proto Protocol, s string) ([]*Proposal, error) {
	if proto != ProtoIKE && proto != ProtoESP && proto != ProtoAH {
		return nil, fmt.Errorf("proposals for protocol %s not supported", proto)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return numbered(DefaultProposals(proto)), nil
	}
	strict := strings.HasSuffix(s, "!")
	s = strings.TrimSuffix(s, "!")
	var out []*Proposal
	for _, single := range strings.Split(s, ",") {
		p, err := ParseProposal(proto, single)
		if err != nil {
			return nil, fmt.Errorf("invalid %s proposal '%s': %w", proto, single, err)
		}
		out = append(out, p)
	}
	if !strict {
		out = append(out, DefaultProposals(proto)...)
	}
	return numbered(out), nil
}

func numbered(ps []*Proposal) []*Proposal {
	for i, p := range ps {
		p.Number = uint8(i + 1)
	}
	return ps
}
