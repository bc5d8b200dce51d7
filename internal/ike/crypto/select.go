package crypto

import (
	"fmt"
	"slices"
)

// SelectFlags modify proposal selection.
type SelectFlags uint8

// Selection flags (strongSwan's proposal_selection_flag_t).
const (
	// PreferReceived makes the order of the received proposals (and of the
	// algorithms within them) decide instead of the configured order, which
	// is charon's default.
	PreferReceived SelectFlags = 1 << iota
	// SkipPrivate ignores algorithms from the private-use range (IDs >= 1024),
	// whose meaning depends on the peer's implementation.
	SkipPrivate
	// SkipKE ignores key exchange transforms (used when a CHILD_SA is created
	// with IKE_AUTH, where no KE takes place).
	SkipKE
)

// SelectProposal chooses the proposal to accept from the received list
// (RFC 7296 §2.7, §3.3.6) following strongSwan 5.9.8's proposal_select: the
// proposals of the preferred list (configured, unless PreferReceived) are
// tried in order against each proposal of the other list, and within a
// transform type the preferred proposal's algorithm order decides. The
// result has one transform per type, the received proposal's number and SPI,
// and the protocol of both. It fails with ErrNoProposalChosen.
//
// Per transform type: both proposals must offer the type, except that in
// ESP/AH proposals the KE type, and in all proposals the additional key
// exchange types of RFC 9370, may be absent on one side if the other side
// offers "none" (ID 0), in which case no transform of that type is selected.
// A key exchange method selected for one KE type is not selected again for
// a later one. Integrity is skipped once an AEAD cipher was selected.
func SelectProposal(configured, received []*Proposal, flags SelectFlags) (*Proposal, error) {
	prefer, match := configured, received
	if flags&PreferReceived != 0 {
		prefer, match = received, configured
	}
	for _, p := range prefer {
		for _, m := range match {
			if sel, ok := selectOne(p, m, flags); ok {
				return sel, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: received proposals: %s; configured proposals: %s",
		ErrNoProposalChosen, FormatProposals(received), FormatProposals(configured))
}

// Matches reports whether two proposals have a selection in common (either
// order gives the same answer).
func Matches(a, b *Proposal, flags SelectFlags) bool {
	_, ok := selectOne(a, b, flags&^PreferReceived)
	return ok
}

// selectOne selects from first (whose algorithm order is preferred) and
// second; the SPI and number come from the received one of the two.
func selectOne(first, second *Proposal, flags SelectFlags) (*Proposal, bool) {
	if first.Protocol != second.Protocol {
		return nil, false
	}
	recv := second
	if flags&PreferReceived != 0 {
		recv = first
	}
	sel := &Proposal{Protocol: first.Protocol, Number: recv.Number, SPI: slices.Clone(recv.SPI)}
	types := first.Types()
	for _, t := range second.Types() {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	slices.SortFunc(types, func(a, b TransformType) int { return typeOrder(a) - typeOrder(b) })

	var kes []uint16 // KE methods already selected
	skipInteg := false
	for _, t := range types {
		if t == TransformINTEG && skipInteg {
			continue
		}
		if t.IsKE() && flags&SkipKE != 0 {
			continue
		}
		tr, ok := selectAlgo(first, second, t, flags, kes)
		if !ok {
			return nil, false
		}
		if tr.ID == 0 && t != TransformESN {
			// NONE (or a reserved 0): nothing to add
			continue
		}
		sel.Transforms = append(sel.Transforms, tr)
		if t.IsKE() {
			kes = append(kes, tr.ID)
		}
		if t == TransformENCR && IsAEAD(tr.ID) {
			skipInteg = true
		}
	}
	return sel, true
}

func selectAlgo(first, second *Proposal, t TransformType, flags SelectFlags, kes []uint16) (Transform, bool) {
	a1, a2 := first.Algorithms(t), second.Algorithms(t)
	optional := t.IsKE() && (first.Protocol == ProtoESP || first.Protocol == ProtoAH || t != TransformKE)
	hasNone := func(l []Transform) bool {
		return slices.ContainsFunc(l, func(tr Transform) bool { return tr.ID == 0 })
	}
	switch {
	case len(a1) == 0 && len(a2) == 0:
		return Transform{Type: t}, true
	case len(a1) == 0:
		if optional && hasNone(a2) {
			return Transform{Type: t}, true
		}
	case len(a2) == 0:
		if optional && hasNone(a1) {
			return Transform{Type: t}, true
		}
	}
	for _, x := range a1 {
		if t.IsKE() && slices.Contains(kes, x.ID) {
			continue
		}
		for _, y := range a2 {
			if x.ID != y.ID || x.KeyLen != y.KeyLen {
				continue
			}
			if flags&SkipPrivate != 0 && x.ID >= 1024 {
				continue
			}
			return x, true
		}
	}
	return Transform{}, false
}

// DefaultProposals returns the proposals strongSwan 5.9.8's stroke appends
// to a non-strict ike=/esp=/ah= value: the default proposal followed by the
// default AEAD proposal (none for AH).
func DefaultProposals(proto Protocol) []*Proposal {
	out := []*Proposal{DefaultProposal(proto)}
	if p := DefaultAEADProposal(proto); p != nil {
		out = append(out, p)
	}
	return out
}

// defaultIKEPRFsAndKEs are the PRF and KE rounds of strongSwan 5.9.8's
// proposal_add_supported_ike, restricted to what goswan implements, in the
// order charon enumerates them when the openssl plugin provides them (it
// registers X25519/X448 before the NIST curves). Checked against the
// "configured proposals" line Debian's charon 5.9.8 logs.
func addDefaultIKEPRFsAndKEs(p *Proposal) {
	for _, prf := range []uint16{
		PRFHMACSHA2256, PRFHMACSHA2384, PRFHMACSHA2512, // round 1
		PRFAES128XCBC, PRFAES128CMAC, // round 2
		PRFHMACSHA1, // round 3
	} {
		p.Transforms = append(p.Transforms, Transform{Type: TransformPRF, ID: prf})
	}
	for _, ke := range []uint16{
		KECurve25519, KECurve448, KEECP256, KEECP384, KEECP521, // round 1
		KEMODP3072, KEMODP4096, KEMODP6144, KEMODP8192, // round 2
		KEMODP2048, // round 3
	} {
		p.Transforms = append(p.Transforms, Transform{Type: TransformKE, ID: ke})
	}
}

func aesSizes(id uint16) []Transform {
	return []Transform{
		{Type: TransformENCR, ID: id, KeyLen: 128},
		{Type: TransformENCR, ID: id, KeyLen: 192},
		{Type: TransformENCR, ID: id, KeyLen: 256},
	}
}

func integs(ids ...uint16) []Transform {
	out := make([]Transform, len(ids))
	for i, id := range ids {
		out[i] = Transform{Type: TransformINTEG, ID: id}
	}
	return out
}

var noESN = Transform{Type: TransformESN, ID: ESNNo}

// DefaultProposal returns strongSwan 5.9.8's proposal_create_default for
// proto. For IKE that is every supported classic cipher, integrity
// algorithm, PRF and KE method of at least 128-bit strength first, then the
// weaker ones (3DES, HMAC-SHA1-96, AES-XCBC/CMAC-96, PRF-HMAC-SHA1, MODP
// 2048), limited to the algorithms goswan implements:
//
//	IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/3DES_CBC/HMAC_SHA2_256_128/
//	HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/AES_CMAC_96/
//	PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_AES128_XCBC/
//	PRF_AES128_CMAC/PRF_HMAC_SHA1/CURVE_25519/CURVE_448/ECP_256/ECP_384/
//	ECP_521/MODP_3072/MODP_4096/MODP_6144/MODP_8192/MODP_2048
func DefaultProposal(proto Protocol) *Proposal {
	p := &Proposal{Protocol: proto}
	switch proto {
	case ProtoIKE:
		p.Transforms = append(p.Transforms, aesSizes(EncrAESCBC)...)
		p.Transforms = append(p.Transforms, Transform{Type: TransformENCR, ID: Encr3DES})
		p.Transforms = append(p.Transforms, integs(AuthHMACSHA256128, AuthHMACSHA384192,
			AuthHMACSHA512256, AuthHMACSHA196, AuthAESXCBC96, AuthAESCMAC96)...)
		addDefaultIKEPRFsAndKEs(p)
	case ProtoESP:
		p.Transforms = append(p.Transforms, aesSizes(EncrAESCBC)...)
		p.Transforms = append(p.Transforms, integs(AuthHMACSHA256128, AuthHMACSHA384192,
			AuthHMACSHA512256, AuthHMACSHA196, AuthAESXCBC96)...)
		p.Transforms = append(p.Transforms, noESN)
	case ProtoAH:
		p.Transforms = append(p.Transforms, integs(AuthHMACSHA256128, AuthHMACSHA384192,
			AuthHMACSHA512256, AuthHMACSHA196, AuthAESXCBC96)...)
		p.Transforms = append(p.Transforms, noESN)
	}
	return p
}

// DefaultAEADProposal returns strongSwan 5.9.8's
// proposal_create_default_aead for proto, or nil for AH. For IKE:
//
//	IKE:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/CHACHA20_POLY1305/
//	AES_GCM_12_128/AES_GCM_12_192/AES_GCM_12_256/AES_GCM_8_128/AES_GCM_8_192/
//	AES_GCM_8_256/PRF_HMAC_SHA2_256/... (the PRFs and KE methods of
//	DefaultProposal)
//
// and for ESP: ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ.
func DefaultAEADProposal(proto Protocol) *Proposal {
	p := &Proposal{Protocol: proto}
	switch proto {
	case ProtoIKE:
		p.Transforms = append(p.Transforms, aesSizes(EncrAESGCM16)...)
		p.Transforms = append(p.Transforms, Transform{Type: TransformENCR, ID: EncrChaCha20Poly1305})
		p.Transforms = append(p.Transforms, aesSizes(EncrAESGCM12)...)
		p.Transforms = append(p.Transforms, aesSizes(EncrAESGCM8)...)
		addDefaultIKEPRFsAndKEs(p)
	case ProtoESP:
		p.Transforms = append(p.Transforms, aesSizes(EncrAESGCM16)...)
		p.Transforms = append(p.Transforms, noESN)
	default:
		return nil
	}
	return p
}
