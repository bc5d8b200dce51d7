package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// encrAlg describes an encryption transform.
type encrAlg struct {
	keyLens   []uint16 // allowed Key Length attribute values in bits; nil: none
	fixedKey  int      // key bytes of a cipher without a Key Length attribute
	saltSize  int      // bytes of keying material beyond the key (salt/nonce)
	blockSize int      // alignment of the SK payload's plaintext
	ivSize    int
	icvSize   int // AEAD tag length
	ike       bool
}

var aesKeyLens = []uint16{128, 192, 256}

var encrAlgs = map[uint16]*encrAlg{
	// RFC 2451 (3DES-CBC; legacy)
	Encr3DES: {fixedKey: 24, blockSize: 8, ivSize: 8, ike: true},
	// RFC 2410, ESP only
	EncrNull: {},
	// RFC 3602
	EncrAESCBC: {keyLens: aesKeyLens, blockSize: 16, ivSize: 16, ike: true},
	// RFC 3686 / RFC 5930; ESP only here
	EncrAESCTR: {keyLens: aesKeyLens, saltSize: 4, blockSize: 1, ivSize: 8},
	// RFC 4309 / RFC 5282; ESP only here
	EncrAESCCM8:  {keyLens: aesKeyLens, saltSize: 3, blockSize: 1, ivSize: 8, icvSize: 8},
	EncrAESCCM12: {keyLens: aesKeyLens, saltSize: 3, blockSize: 1, ivSize: 8, icvSize: 12},
	EncrAESCCM16: {keyLens: aesKeyLens, saltSize: 3, blockSize: 1, ivSize: 8, icvSize: 16},
	// RFC 4106 / RFC 5282
	EncrAESGCM8:  {keyLens: aesKeyLens, saltSize: 4, blockSize: 1, ivSize: 8, icvSize: 8, ike: true},
	EncrAESGCM12: {keyLens: aesKeyLens, saltSize: 4, blockSize: 1, ivSize: 8, icvSize: 12, ike: true},
	EncrAESGCM16: {keyLens: aesKeyLens, saltSize: 4, blockSize: 1, ivSize: 8, icvSize: 16, ike: true},
	// RFC 7634; a Key Length attribute of 256 is tolerated (strongSwan's
	// chacha20poly1305compat keyword)
	EncrChaCha20Poly1305: {keyLens: []uint16{0, 256}, fixedKey: 32, saltSize: 4, blockSize: 1, ivSize: 8, icvSize: 16, ike: true},
}

func lookupEncr(t Transform) (*encrAlg, error) {
	a := encrAlgs[t.ID]
	if a == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrUnsupported, TransformENCR, t)
	}
	if a.keyLens == nil {
		if t.KeyLen != 0 && int(t.KeyLen) != 8*a.fixedKey {
			return nil, fmt.Errorf("%w: %s with key length %d", ErrUnsupported, AlgorithmName(TransformENCR, t.ID), t.KeyLen)
		}
		return a, nil
	}
	for _, l := range a.keyLens {
		if l == t.KeyLen {
			return a, nil
		}
	}
	if t.KeyLen == 0 {
		return nil, fmt.Errorf("%w: %s needs a key length", ErrUnsupported, AlgorithmName(TransformENCR, t.ID))
	}
	return nil, fmt.Errorf("%w: %s with key length %d", ErrUnsupported, AlgorithmName(TransformENCR, t.ID), t.KeyLen)
}

func (a *encrAlg) keySize(t Transform) int {
	if t.KeyLen != 0 {
		return int(t.KeyLen) / 8
	}
	return a.fixedKey
}

// EncrKeySize returns the length in bytes of the keying material that
// encryption transform t takes from KEYMAT (SK_ei/SK_er, or an ESP key):
// the cipher key plus, for GCM/CCM/CTR/ChaCha20-Poly1305, the salt
// (RFC 5282 §7.1, RFC 4309 §7.1, RFC 3686 §5.1, RFC 7634 §2/§4).
func EncrKeySize(t Transform) (int, error) {
	a, err := lookupEncr(t)
	if err != nil {
		return 0, err
	}
	return a.keySize(t) + a.saltSize, nil
}

// checkAEADKey checks that t is an AEAD with a 4-byte salt and key its
// keying material (key and salt); ks is the key's length.
func checkAEADKey(t Transform, key []byte) (a *encrAlg, ks int, err error) {
	if a, err = lookupEncr(t); err != nil {
		return nil, 0, err
	}
	if a.icvSize == 0 || a.saltSize != 4 {
		return nil, 0, fmt.Errorf("%w: %s is not an AEAD usable here", ErrUnsupported, t)
	}
	ks = a.keySize(t)
	if len(key) != ks+a.saltSize {
		return nil, 0, fmt.Errorf("%s: keying material must be %d bytes, not %d", t, ks+a.saltSize, len(key))
	}
	return a, ks, nil
}

// NewAEAD builds the AEAD of encryption transform t (AES-GCM with an 8, 12
// or 16 byte ICV, or ChaCha20-Poly1305) from keying material key as laid out
// by RFC 5282/7634: cipher key followed by a 4-byte salt. The nonce of a
// message is salt | 8-byte IV. The returned AEAD is safe for concurrent use.
func NewAEAD(t Transform, key []byte) (aead cipher.AEAD, salt []byte, err error) {
	a, ks, err := checkAEADKey(t, key)
	if err != nil {
		return nil, nil, err
	}
	salt = key[ks:]
	switch t.ID {
	case EncrChaCha20Poly1305:
		aead, err = chacha20poly1305.New(key[:ks])
		return aead, salt, err
	case EncrAESGCM8, EncrAESGCM12, EncrAESGCM16:
		b, err := aes.NewCipher(key[:ks])
		if err != nil {
			return nil, nil, err
		}
		if a.icvSize == 8 {
			aead, err = newGCM8(b)
		} else {
			aead, err = cipher.NewGCMWithTagSize(b, a.icvSize)
		}
		return aead, salt, err
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrUnsupported, t)
}

// newBlockCipher returns the block cipher of a CBC transform.
func newBlockCipher(t Transform, key []byte) (cipher.Block, error) {
	switch t.ID {
	case EncrAESCBC:
		return aes.NewCipher(key)
	case Encr3DES:
		return des.NewTripleDESCipher(key)
	}
	return nil, fmt.Errorf("%w: %s", ErrUnsupported, t)
}

// gcm8 is AES-GCM with the 8-byte ICV of RFC 4106/5282, which
// cipher.NewGCMWithTagSize does not offer. The truncated tag is the
// leftmost 8 bytes of the full 16-byte tag (NIST SP 800-38D §5.2.1.2), so
// Seal seals with the full tag and drops its tail, and Open decrypts with
// AES-CTR starting at inc32(J0) = nonce | 2 (SP 800-38D §7.2, 96-bit IV),
// re-seals the result to recompute the full tag and compares its first 8
// bytes in constant time.
type gcm8 struct {
	b    cipher.Block
	full cipher.AEAD
}

const gcm8TagSize = 8

var errOpen = errors.New("cipher: message authentication failed")

func newGCM8(b cipher.Block) (cipher.AEAD, error) {
	full, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &gcm8{b: b, full: full}, nil
}

func (g *gcm8) NonceSize() int { return 12 }
func (g *gcm8) Overhead() int  { return gcm8TagSize }

func (g *gcm8) Seal(dst, nonce, plaintext, ad []byte) []byte {
	// Seal into a temporary buffer: writing the full tag into dst would touch
	// 8 bytes beyond the returned slice.
	ret, out := sliceForAppend(dst, len(plaintext)+gcm8TagSize)
	copy(out, g.full.Seal(make([]byte, 0, len(plaintext)+16), nonce, plaintext, ad))
	return ret
}

func (g *gcm8) Open(dst, nonce, ciphertext, ad []byte) ([]byte, error) {
	if len(nonce) != 12 || len(ciphertext) < gcm8TagSize ||
		uint64(len(ciphertext)) > (1<<32-2)*16 {
		return nil, errOpen
	}
	ct := ciphertext[:len(ciphertext)-gcm8TagSize]
	tag := ciphertext[len(ct):]
	ret, out := sliceForAppend(dst, len(ct))
	var ctr [16]byte
	copy(ctr[:], nonce)
	ctr[15] = 2
	cipher.NewCTR(g.b, ctr[:]).XORKeyStream(out, ct)
	check := g.full.Seal(make([]byte, 0, len(ct)+16), nonce, out, ad)
	if subtle.ConstantTimeCompare(check[len(ct):len(ct)+gcm8TagSize], tag) != 1 {
		clear(out)
		return nil, errOpen
	}
	return ret, nil
}

// sliceForAppend extends in by n bytes, returning the whole slice and the
// extension (the idiom of crypto/cipher).
func sliceForAppend(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	tail = head[len(in):]
	return
}
