package crypto

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/cloudflare/circl/dh/x448"
	"github.com/cloudflare/circl/kem/mlkem/mlkem512"
)

// KeyExchange is the initiator's half of one key exchange (the KE payload of
// IKE_SA_INIT or CREATE_CHILD_SA, or an additional key exchange of RFC 9370
// in IKE_INTERMEDIATE / IKE_FOLLOWUP_KE). It covers Diffie-Hellman groups and
// KEMs alike:
//
//	initiator: ke, _ := NewKeyExchange(m, rand); send ke.PublicValue()
//	responder: value, secret, _ := RespondKeyExchange(m, initiatorValue, rand); send value
//	initiator: secret, _ := ke.SharedSecret(value)
//
// For a Diffie-Hellman group either side may use NewKeyExchange (the
// responder then calls SharedSecret with the initiator's value); for a KEM
// the responder must use RespondKeyExchange, whose value is the ciphertext.
type KeyExchange interface {
	// Method is the transform ID (KEMODP2048, KEECP256, KEMLKEM768, ...).
	Method() uint16
	// PublicValue is the Key Exchange Data of this side's KE payload: the
	// public value of a DH group (RFC 7296 §3.4; x | y without the 0x04
	// prefix for ECP groups, RFC 5903 §7) or a KEM's encapsulation key.
	PublicValue() []byte
	// SharedSecret validates the peer's value (the responder's DH public value
	// or KEM ciphertext) and returns the shared secret; errors wrap
	// ErrInvalidKE.
	SharedSecret(peer []byte) ([]byte, error)
}

// IsKEM reports whether key exchange method m is a KEM (the responder's
// value depends on the initiator's).
func IsKEM(m uint16) bool {
	return m == KEMLKEM512 || m == KEMLKEM768 || m == KEMLKEM1024
}

// SupportedKE reports whether NewKeyExchange implements method m.
func SupportedKE(m uint16) bool {
	switch m {
	case KEECP256, KEECP384, KEECP521, KECurve25519, KECurve448,
		KEMLKEM512, KEMLKEM768, KEMLKEM1024:
		return true
	}
	return modpGroups[m] != nil
}

func randOr(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

func invalidKE(m uint16, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidKE, AlgorithmName(TransformKE, m), fmt.Sprintf(format, args...))
}

// NewKeyExchange creates this side's private key (or KEM key pair) for
// method m, reading randomness from r (nil: crypto/rand).
func NewKeyExchange(m uint16, r io.Reader) (KeyExchange, error) {
	r = randOr(r)
	if g := modpGroups[m]; g != nil {
		return g.generate(r)
	}
	switch m {
	case KEECP256:
		return newECP(m, ecdh.P256(), 32, r)
	case KEECP384:
		return newECP(m, ecdh.P384(), 48, r)
	case KEECP521:
		return newECP(m, ecdh.P521(), 66, r)
	case KECurve25519:
		return newX25519(r)
	case KECurve448:
		return newX448(r)
	case KEMLKEM512:
		return newMLKEM512(r)
	case KEMLKEM768, KEMLKEM1024:
		return newMLKEM(m, r)
	}
	return nil, fmt.Errorf("%w: %s %s", ErrUnsupported, TransformKE, AlgorithmName(TransformKE, m))
}

// RespondKeyExchange is the responder's half: given the initiator's value it
// returns the responder's KE data (a DH public value or a KEM ciphertext)
// and the shared secret. Errors about the initiator's value wrap ErrInvalidKE.
//
// ML-KEM-768/1024 encapsulation (crypto/mlkem) draws its randomness from the
// system CSPRNG whatever r is; r is used for everything else.
func RespondKeyExchange(m uint16, initiator []byte, r io.Reader) (value, secret []byte, err error) {
	r = randOr(r)
	switch m {
	case KEMLKEM512:
		return encapsulateMLKEM512(initiator, r)
	case KEMLKEM768, KEMLKEM1024:
		return encapsulateMLKEM(m, initiator)
	}
	ke, err := NewKeyExchange(m, r)
	if err != nil {
		return nil, nil, err
	}
	secret, err = ke.SharedSecret(initiator)
	if err != nil {
		return nil, nil, err
	}
	return ke.PublicValue(), secret, nil
}

// --- MODP (RFC 2409, RFC 3526, RFC 5114) ---

type modpGroup struct {
	id     uint16
	p, g   *big.Int
	q      *big.Int // prime order of the subgroup (RFC 5114 groups), or nil
	pm1    *big.Int // p - 1
	size   int      // length of p in bytes
	expLen int      // private exponent length in bytes (groups without q)
}

func mustHex(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("crypto: bad MODP constant")
	}
	return v
}

func newMODPGroup(id uint16, p, g, q string, expLen int) *modpGroup {
	grp := &modpGroup{id: id, p: mustHex(p), g: mustHex(g), expLen: expLen}
	if q != "" {
		grp.q = mustHex(q)
	}
	grp.pm1 = new(big.Int).Sub(grp.p, big.NewInt(1))
	grp.size = (grp.p.BitLen() + 7) / 8
	return grp
}

type modpKE struct {
	grp *modpGroup
	x   *big.Int
	pub []byte
}

// generate picks the private exponent: uniform in [1, q-1] for groups with a
// prime-order subgroup (RFC 5114), otherwise expLen random bytes (the
// exponent sizes RFC 3526 §8 deems sufficient; strongSwan 5.9 defaults to a
// full-length exponent, which is interoperable either way), and never 0 or 1.
func (grp *modpGroup) generate(r io.Reader) (KeyExchange, error) {
	var x *big.Int
	if grp.q != nil {
		buf := make([]byte, (grp.q.BitLen()+7)/8+8)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		qm1 := new(big.Int).Sub(grp.q, big.NewInt(1))
		x = new(big.Int).SetBytes(buf)
		x.Mod(x, qm1).Add(x, big.NewInt(1))
	} else {
		buf := make([]byte, grp.expLen)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		x = new(big.Int).SetBytes(buf)
	}
	if x.Cmp(big.NewInt(2)) < 0 {
		x.SetInt64(2)
	}
	y := new(big.Int).Exp(grp.g, x, grp.p)
	return &modpKE{grp: grp, x: x, pub: y.FillBytes(make([]byte, grp.size))}, nil
}

func (k *modpKE) Method() uint16      { return k.grp.id }
func (k *modpKE) PublicValue() []byte { return k.pub }

// SharedSecret checks 1 < y < p-1 (RFC 6989 §2.1; plus y^q = 1 for the
// RFC 5114 groups, §2.2) and returns g^xy padded to the length of p
// (RFC 7296 §2.14).
func (k *modpKE) SharedSecret(peer []byte) ([]byte, error) {
	grp := k.grp
	if len(peer) != grp.size {
		return nil, invalidKE(grp.id, "public value is %d bytes, want %d", len(peer), grp.size)
	}
	y := new(big.Int).SetBytes(peer)
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(grp.pm1) >= 0 {
		return nil, invalidKE(grp.id, "public value out of range (1, p-1)")
	}
	if grp.q != nil && new(big.Int).Exp(y, grp.q, grp.p).Cmp(big.NewInt(1)) != 0 {
		return nil, invalidKE(grp.id, "public value not in the prime-order subgroup")
	}
	z := new(big.Int).Exp(y, k.x, grp.p)
	return z.FillBytes(make([]byte, grp.size)), nil
}

// --- ECP (RFC 5903) ---

type ecpKE struct {
	id    uint16
	curve ecdh.Curve
	coord int
	priv  *ecdh.PrivateKey
	pub   []byte
}

// newECP draws the private scalar from r by rejection sampling, so an
// injected reader gives a reproducible key.
func newECP(id uint16, curve ecdh.Curve, coord int, r io.Reader) (KeyExchange, error) {
	buf := make([]byte, coord)
	for range 64 {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if id == KEECP521 {
			buf[0] &= 0x01 // the order of P-521 has 521 bits
		}
		priv, err := curve.NewPrivateKey(buf)
		if err != nil {
			continue // zero or not below the order: draw again
		}
		return &ecpKE{id: id, curve: curve, coord: coord, priv: priv,
			pub: priv.PublicKey().Bytes()[1:]}, nil
	}
	return nil, errors.New("crypto: random source keeps producing invalid scalars")
}

func (k *ecpKE) Method() uint16      { return k.id }
func (k *ecpKE) PublicValue() []byte { return k.pub }

// SharedSecret takes the peer's x | y (RFC 5903 §7), checks the point is on
// the curve, and returns the x coordinate of the shared point.
func (k *ecpKE) SharedSecret(peer []byte) ([]byte, error) {
	if len(peer) != 2*k.coord {
		return nil, invalidKE(k.id, "public value is %d bytes, want %d", len(peer), 2*k.coord)
	}
	enc := make([]byte, 1+len(peer))
	enc[0] = 0x04
	copy(enc[1:], peer)
	pub, err := k.curve.NewPublicKey(enc)
	if err != nil {
		return nil, invalidKE(k.id, "point not on curve")
	}
	z, err := k.priv.ECDH(pub)
	if err != nil {
		return nil, invalidKE(k.id, "%v", err)
	}
	return z, nil
}

// --- Curve25519 and Curve448 (RFC 8031) ---

type x25519KE struct {
	priv *ecdh.PrivateKey
}

func newX25519(r io.Reader) (KeyExchange, error) {
	var buf [32]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(buf[:])
	if err != nil {
		return nil, err
	}
	return &x25519KE{priv: priv}, nil
}

func (k *x25519KE) Method() uint16      { return KECurve25519 }
func (k *x25519KE) PublicValue() []byte { return k.priv.PublicKey().Bytes() }

// SharedSecret rejects peer values of the wrong length and those giving the
// all-zero secret (RFC 8031 §2.3).
func (k *x25519KE) SharedSecret(peer []byte) ([]byte, error) {
	if len(peer) != 32 {
		return nil, invalidKE(KECurve25519, "public value is %d bytes, want 32", len(peer))
	}
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, invalidKE(KECurve25519, "%v", err)
	}
	z, err := k.priv.ECDH(pub)
	if err != nil {
		return nil, invalidKE(KECurve25519, "low order point")
	}
	return z, nil
}

type x448KE struct {
	priv, pub x448.Key
}

func newX448(r io.Reader) (KeyExchange, error) {
	k := &x448KE{}
	if _, err := io.ReadFull(r, k.priv[:]); err != nil {
		return nil, err
	}
	x448.KeyGen(&k.pub, &k.priv)
	return k, nil
}

func (k *x448KE) Method() uint16      { return KECurve448 }
func (k *x448KE) PublicValue() []byte { return append([]byte(nil), k.pub[:]...) }

func (k *x448KE) SharedSecret(peer []byte) ([]byte, error) {
	if len(peer) != x448.Size {
		return nil, invalidKE(KECurve448, "public value is %d bytes, want %d", len(peer), x448.Size)
	}
	var pub, z x448.Key
	copy(pub[:], peer)
	if !x448.Shared(&z, &k.priv, &pub) {
		return nil, invalidKE(KECurve448, "low order point")
	}
	return z[:], nil
}

// --- ML-KEM (FIPS 203, draft-ietf-ipsecme-ikev2-mlkem) ---

type mlkemKE struct {
	id  uint16
	dk  interface{ Decapsulate([]byte) ([]byte, error) }
	pub []byte
	ct  int
}

func newMLKEM(id uint16, r io.Reader) (KeyExchange, error) {
	seed := make([]byte, mlkem.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, err
	}
	if id == KEMLKEM768 {
		dk, err := mlkem.NewDecapsulationKey768(seed)
		if err != nil {
			return nil, err
		}
		return &mlkemKE{id: id, dk: dk, pub: dk.EncapsulationKey().Bytes(), ct: mlkem.CiphertextSize768}, nil
	}
	dk, err := mlkem.NewDecapsulationKey1024(seed)
	if err != nil {
		return nil, err
	}
	return &mlkemKE{id: id, dk: dk, pub: dk.EncapsulationKey().Bytes(), ct: mlkem.CiphertextSize1024}, nil
}

func (k *mlkemKE) Method() uint16      { return k.id }
func (k *mlkemKE) PublicValue() []byte { return k.pub }

// SharedSecret decapsulates the responder's ciphertext. A ciphertext of the
// right length never fails: ML-KEM's implicit rejection turns a forged one
// into a secret the peer does not know, so the exchange fails at AUTH.
func (k *mlkemKE) SharedSecret(ct []byte) ([]byte, error) {
	if len(ct) != k.ct {
		return nil, invalidKE(k.id, "ciphertext is %d bytes, want %d", len(ct), k.ct)
	}
	ss, err := k.dk.Decapsulate(ct)
	if err != nil {
		return nil, invalidKE(k.id, "%v", err)
	}
	return ss, nil
}

func encapsulateMLKEM(id uint16, ek []byte) (ct, ss []byte, err error) {
	if id == KEMLKEM768 {
		if len(ek) != mlkem.EncapsulationKeySize768 {
			return nil, nil, invalidKE(id, "encapsulation key is %d bytes, want %d", len(ek), mlkem.EncapsulationKeySize768)
		}
		k, err := mlkem.NewEncapsulationKey768(ek)
		if err != nil {
			return nil, nil, invalidKE(id, "encapsulation key fails the modulus check")
		}
		ss, ct = k.Encapsulate()
		return ct, ss, nil
	}
	if len(ek) != mlkem.EncapsulationKeySize1024 {
		return nil, nil, invalidKE(id, "encapsulation key is %d bytes, want %d", len(ek), mlkem.EncapsulationKeySize1024)
	}
	k, err := mlkem.NewEncapsulationKey1024(ek)
	if err != nil {
		return nil, nil, invalidKE(id, "encapsulation key fails the modulus check")
	}
	ss, ct = k.Encapsulate()
	return ct, ss, nil
}

type mlkem512KE struct {
	sk  *mlkem512.PrivateKey
	pub []byte
}

func newMLKEM512(r io.Reader) (KeyExchange, error) {
	pk, sk, err := mlkem512.GenerateKeyPair(r)
	if err != nil {
		return nil, err
	}
	pub := make([]byte, mlkem512.PublicKeySize)
	pk.Pack(pub)
	return &mlkem512KE{sk: sk, pub: pub}, nil
}

func (k *mlkem512KE) Method() uint16      { return KEMLKEM512 }
func (k *mlkem512KE) PublicValue() []byte { return k.pub }

func (k *mlkem512KE) SharedSecret(ct []byte) ([]byte, error) {
	if len(ct) != mlkem512.CiphertextSize {
		return nil, invalidKE(KEMLKEM512, "ciphertext is %d bytes, want %d", len(ct), mlkem512.CiphertextSize)
	}
	ss := make([]byte, mlkem512.SharedKeySize)
	k.sk.DecapsulateTo(ss, ct)
	return ss, nil
}

func encapsulateMLKEM512(ek []byte, r io.Reader) (ct, ss []byte, err error) {
	if len(ek) != mlkem512.PublicKeySize {
		return nil, nil, invalidKE(KEMLKEM512, "encapsulation key is %d bytes, want %d", len(ek), mlkem512.PublicKeySize)
	}
	var pk mlkem512.PublicKey
	if err := pk.Unpack(ek); err != nil {
		return nil, nil, invalidKE(KEMLKEM512, "encapsulation key fails the modulus check")
	}
	seed := make([]byte, mlkem512.EncapsulationSeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, nil, err
	}
	ct = make([]byte, mlkem512.CiphertextSize)
	ss = make([]byte, mlkem512.SharedKeySize)
	pk.EncapsulateTo(ct, ss, seed)
	return ct, ss, nil
}
