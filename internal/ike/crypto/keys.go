package crypto

import (
	"errors"
	"fmt"
)

// PRFPlus computes the first length bytes of prf+(key, seed) with PRF
// transform prf (RFC 7296 §2.13):
//
//	prf+ (K,S) = T1 | T2 | T3 | ...
//	T1 = prf (K, S | 0x01), Tn = prf (K, Tn-1 | S | n)
//
// It fails with ErrPRFPlusTooLong if more than 255 iterations are needed.
func PRFPlus(prf uint16, key, seed []byte, length int) ([]byte, error) {
	a, err := lookupPRF(prf)
	if err != nil {
		return nil, err
	}
	if length < 0 || length > 255*a.size {
		return nil, fmt.Errorf("%w: %d bytes requested, %s gives at most %d", ErrPRFPlusTooLong, length,
			AlgorithmName(TransformPRF, prf), 255*a.size)
	}
	h, err := a.new(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, length+a.size)
	var t []byte
	for n := 1; len(out) < length; n++ {
		h.Reset()
		h.Write(t)
		h.Write(seed)
		h.Write([]byte{byte(n)})
		out = h.Sum(out)
		t = out[len(out)-a.size:]
	}
	return out[:length], nil
}

// prfKeyFromNonces returns the key of SKEYSEED = prf(Ni | Nr, g^ir): the
// full nonces, except for PRFs with a fixed key length (AES-XCBC/CMAC),
// whose key is the first half from Ni and the second half from Nr
// (RFC 7296 §2.14), e.g. 8 + 8 bytes for PRF_AES128_XCBC.
func prfKeyFromNonces(a *prfAlg, ni, nr []byte) []byte {
	if a.fixed {
		half := a.keySize / 2
		ni, nr = ni[:min(len(ni), half)], nr[:min(len(nr), half)]
	}
	return append(append(make([]byte, 0, len(ni)+len(nr)), ni...), nr...)
}

// SKEYSEED computes SKEYSEED = prf(Ni | Nr, g^ir) for a new IKE SA
// (RFC 7296 §2.14), with the fixed-key rule for AES-XCBC/CMAC PRFs.
func SKEYSEED(prf uint16, ni, nr, sharedSecret []byte) ([]byte, error) {
	a, err := lookupPRF(prf)
	if err != nil {
		return nil, err
	}
	return PRF(prf, prfKeyFromNonces(a, ni, nr), sharedSecret)
}

// RekeySKEYSEED computes the SKEYSEED of an IKE SA derived from an existing
// one, with oldPRF and oldSKd of that SA:
//
//	rekeying (RFC 7296 §2.18, RFC 9370 §2.2.4):
//	    SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n))
//	additional key exchange in IKE_INTERMEDIATE (RFC 9370 §2.2.2):
//	    SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
//
// where secrets are SK(0) (g^ir (new)) and then the secrets of the
// additional key exchanges, in order.
func RekeySKEYSEED(oldPRF uint16, oldSKd, ni, nr []byte, secrets ...[]byte) ([]byte, error) {
	if len(secrets) == 0 {
		return nil, errors.New("crypto: SKEYSEED for rekeying needs a shared secret")
	}
	data := make([][]byte, 0, len(secrets)+2)
	data = append(data, secrets[0], ni, nr)
	data = append(data, secrets[1:]...)
	return PRF(oldPRF, oldSKd, data...)
}

// IKEKeys are the seven secrets of an IKE SA (RFC 7296 §2.14), named as
// charon logs them at level 4 ("Sk_d secret => ..."). SKai and SKar are
// empty for AEAD ciphers; SKei/SKer include the AEAD salt.
type IKEKeys struct {
	PRF                    uint16 // the IKE SA's PRF (for prf(SK_p, ...), CHILD_SA keys, rekeying)
	SKd, SKai, SKar        []byte
	SKei, SKer, SKpi, SKpr []byte
}

// ikeKeyLens returns the lengths of SK_a and SK_e for a selected IKE
// proposal.
func ikeKeyLens(p *Proposal) (prf uint16, encr Transform, integ uint16, aLen, eLen int, err error) {
	prfT, ok := p.Get(TransformPRF)
	if !ok {
		return 0, encr, 0, 0, 0, errors.New("crypto: no PRF selected")
	}
	encr, ok = p.Get(TransformENCR)
	if !ok {
		return 0, encr, 0, 0, 0, errors.New("crypto: no encryption algorithm selected")
	}
	ea, err := lookupEncr(encr)
	if err != nil {
		return 0, encr, 0, 0, 0, err
	}
	if !ea.ike {
		return 0, encr, 0, 0, 0, fmt.Errorf("%w: %s for IKE", ErrUnsupported, encr)
	}
	eLen = ea.keySize(encr) + ea.saltSize
	if ea.icvSize == 0 {
		it, ok := p.Get(TransformINTEG)
		if !ok {
			return 0, encr, 0, 0, 0, errors.New("crypto: no integrity algorithm selected")
		}
		ia, err := lookupInteg(it.ID)
		if err != nil {
			return 0, encr, 0, 0, 0, err
		}
		integ, aLen = it.ID, ia.keySize
	}
	return prfT.ID, encr, integ, aLen, eLen, nil
}

// DeriveIKEKeys derives the keys of a new IKE SA from the selected IKE
// proposal p, the nonces, the key exchange's shared secret g^ir and the
// IKE SPIs as they appear in the header (8 bytes each):
//
//	SKEYSEED = prf(Ni | Nr, g^ir)
//	{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
//	                 = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
func DeriveIKEKeys(p *Proposal, ni, nr, sharedSecret, spii, spir []byte) (*IKEKeys, error) {
	prf, _, _, _, _, err := ikeKeyLens(p)
	if err != nil {
		return nil, err
	}
	skeyseed, err := SKEYSEED(prf, ni, nr, sharedSecret)
	if err != nil {
		return nil, err
	}
	return DeriveIKEKeysFromSKEYSEED(p, prf, skeyseed, ni, nr, spii, spir)
}

// DeriveRekeyedIKEKeys derives the keys of an IKE SA from SKEYSEED =
// RekeySKEYSEED(oldPRF, oldSKd, ni, nr, secrets...): the new SA of an IKE SA
// rekeying (CREATE_CHILD_SA, RFC 7296 §2.18, with RFC 9370 additional key
// exchanges: secrets = g^ir (new), SK(1), ..., SK(n)), or the updated keys
// after an additional key exchange of the initial exchanges (RFC 9370
// §2.2.2: oldPRF/oldSKd are the SA's current PRF and SK_d(n-1), secrets =
// SK(n)). Like strongSwan, prf+ also uses oldPRF; the key lengths come
// from the new proposal p.
func DeriveRekeyedIKEKeys(p *Proposal, oldPRF uint16, oldSKd, ni, nr, spii, spir []byte, secrets ...[]byte) (*IKEKeys, error) {
	skeyseed, err := RekeySKEYSEED(oldPRF, oldSKd, ni, nr, secrets...)
	if err != nil {
		return nil, err
	}
	return DeriveIKEKeysFromSKEYSEED(p, oldPRF, skeyseed, ni, nr, spii, spir)
}

// DeriveIKEKeysFromSKEYSEED runs prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
// with PRF plusPRF and splits the result by the lengths of proposal p's
// transforms: SK_d, SK_pi and SK_pr have the PRF's preferred key length,
// SK_a the integrity key length, SK_e the cipher key plus AEAD salt.
func DeriveIKEKeysFromSKEYSEED(p *Proposal, plusPRF uint16, skeyseed, ni, nr, spii, spir []byte) (*IKEKeys, error) {
	prf, _, _, aLen, eLen, err := ikeKeyLens(p)
	if err != nil {
		return nil, err
	}
	pa, err := lookupPRF(prf)
	if err != nil {
		return nil, err
	}
	seed := make([]byte, 0, len(ni)+len(nr)+len(spii)+len(spir))
	seed = append(append(append(append(seed, ni...), nr...), spii...), spir...)
	dLen := pa.keySize
	km, err := PRFPlus(plusPRF, skeyseed, seed, 3*dLen+2*aLen+2*eLen)
	if err != nil {
		return nil, err
	}
	k := &IKEKeys{PRF: prf}
	for _, f := range []struct {
		dst *[]byte
		n   int
	}{{&k.SKd, dLen}, {&k.SKai, aLen}, {&k.SKar, aLen}, {&k.SKei, eLen}, {&k.SKer, eLen}, {&k.SKpi, dLen}, {&k.SKpr, dLen}} {
		*f.dst, km = km[:f.n:f.n], km[f.n:]
	}
	return k, nil
}

// DeriveAdditionalIKEKeys updates k after the RFC 9370 additional key
// exchange with shared secret sk(n) in IKE_INTERMEDIATE: it is
// DeriveRekeyedIKEKeys(p, k.PRF, k.SKd, ni, nr, spii, spir, secret).
func DeriveAdditionalIKEKeys(p *Proposal, k *IKEKeys, ni, nr, spii, spir, secret []byte) (*IKEKeys, error) {
	return DeriveRekeyedIKEKeys(p, k.PRF, k.SKd, ni, nr, spii, spir, secret)
}

// SKs returns the SK payload protectors of an IKE SA side: out protects the
// messages this side sends (SK_ei/SK_ai for the original initiator), in
// verifies those it receives.
func (k *IKEKeys) SKs(p *Proposal, initiator bool) (out, in *SK, err error) {
	_, encr, integ, _, _, err := ikeKeyLens(p)
	if err != nil {
		return nil, nil, err
	}
	ski, err := NewSK(encr, integ, k.SKei, k.SKai)
	if err != nil {
		return nil, nil, err
	}
	skr, err := NewSK(encr, integ, k.SKer, k.SKar)
	if err != nil {
		return nil, nil, err
	}
	if initiator {
		return ski, skr, nil
	}
	return skr, ski, nil
}

// ChildKeys are the keys of a CHILD_SA pair (RFC 7296 §2.17): the SA
// carrying traffic from the initiator to the responder uses EncrI/IntegI,
// the other EncrR/IntegR. Encryption keys include the salt/nonce of
// GCM/CCM/CTR/ChaCha20-Poly1305; either may be empty (NULL encryption,
// AEAD, AH).
type ChildKeys struct {
	EncrI, IntegI, EncrR, IntegR []byte
}

// ChildKeyLens returns the lengths in bytes of the encryption (including
// salt) and integrity keys of a selected ESP or AH proposal.
func ChildKeyLens(p *Proposal) (encr, integ int, err error) {
	if e, ok := p.Get(TransformENCR); ok {
		if encr, err = EncrKeySize(e); err != nil {
			return 0, 0, err
		}
	}
	if i, ok := p.Get(TransformINTEG); ok && i.ID != AuthNone {
		if integ, err = IntegKeySize(i.ID); err != nil {
			return 0, 0, err
		}
	}
	return encr, integ, nil
}

// DeriveChildKeys derives the keys of a CHILD_SA negotiated with the
// ESP/AH proposal p, from the IKE SA's PRF and SK_d and the nonces of the
// exchange that creates it:
//
//	KEYMAT = prf+ (SK_d, Ni | Nr)                     (no PFS)
//	KEYMAT = prf+ (SK_d, g^ir (new) | Ni | Nr)        (PFS)
//	KEYMAT = prf+ (SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))  (RFC 9370 §2.2.4)
//
// secrets are the key exchange secrets in order (none without PFS). KEYMAT
// is split as encryption key then integrity key for the initiator-to-
// responder SA, then the same for the other direction.
func DeriveChildKeys(p *Proposal, prf uint16, skd, ni, nr []byte, secrets ...[]byte) (*ChildKeys, error) {
	eLen, iLen, err := ChildKeyLens(p)
	if err != nil {
		return nil, err
	}
	var seed []byte
	if len(secrets) > 0 {
		seed = append(seed, secrets[0]...)
	}
	seed = append(append(seed, ni...), nr...)
	if len(secrets) > 1 {
		for _, s := range secrets[1:] {
			seed = append(seed, s...)
		}
	}
	km, err := PRFPlus(prf, skd, seed, 2*eLen+2*iLen)
	if err != nil {
		return nil, err
	}
	k := &ChildKeys{}
	for _, f := range []struct {
		dst *[]byte
		n   int
	}{{&k.EncrI, eLen}, {&k.IntegI, iLen}, {&k.EncrR, eLen}, {&k.IntegR, iLen}} {
		*f.dst, km = km[:f.n:f.n], km[f.n:]
	}
	return k, nil
}

// AuthOctets returns the data signed or MACed by the AUTH payload
// (RFC 7296 §2.15):
//
//	RealMessage | NonceData | prf(SK_p, RestOfIDPayload)
//
// message is this side's first message (IKE_SA_INIT request for the
// initiator, response for the responder), nonce the peer's Nonce Data,
// skp this side's SK_pi/SK_pr (after any PPK update) and idPayload the ID
// payload body after the generic header (ID Type | RESERVED | ID data).
func AuthOctets(prf uint16, message, nonce, skp, idPayload []byte) ([]byte, error) {
	mac, err := PRF(prf, skp, idPayload)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(message)+len(nonce)+len(mac))
	return append(append(append(out, message...), nonce...), mac...), nil
}

// keyPad is the key pad of RFC 7296 §2.15.
var keyPad = []byte("Key Pad for IKEv2")

// SharedKeyAuth returns the AUTH data for shared key authentication
// (RFC 7296 §2.15), also used with an EAP MSK (§2.16):
//
//	AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <octets>)
func SharedKeyAuth(prf uint16, secret, octets []byte) ([]byte, error) {
	k, err := PRF(prf, secret, keyPad)
	if err != nil {
		return nil, err
	}
	return PRF(prf, k, octets)
}
