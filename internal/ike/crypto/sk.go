package crypto

import (
	"bytes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"unsafe"
)

// SK protects the Encrypted payload (RFC 7296 §3.14; RFC 5282 for AEAD
// ciphers; RFC 7634 for ChaCha20-Poly1305) and the Encrypted Fragment
// payload (RFC 7383) in one direction of an IKE SA: it is built from the
// negotiated ENCR and INTEG transforms and that direction's SK_e/SK_a keys.
//
// The body of the payload (everything after its generic header) is
//
//	IV | E(plaintext | padding | pad length) | ICV
//
// and the associated data ("assoc") is the message from the first byte of
// the IKE header through the last byte of the SK/SKF payload's generic header
// (for SKF: through the end of the Fragment Number/Total Fragments fields).
// For a classic cipher the ICV is computed over assoc | IV | ciphertext; for
// an AEAD, assoc is the AAD and the nonce is salt | IV.
//
// An SK reuses its cipher and MAC state between messages and is therefore
// not safe for concurrent use; an IKE SA owns two (inbound and outbound).
type SK struct {
	encr      Transform
	ivSize    int
	blockSize int
	icvSize   int

	// the keys, from which the cipher state below is made when needed
	integ             uint16
	encrKey, integKey []byte
	ready             bool

	// AEAD
	aead  cipher.AEAD
	nonce [12]byte // salt | IV

	// CBC + MAC
	enc, dec cipher.BlockMode
	mac      hash.Hash
	macBuf   [64]byte
}

// ivSetter is implemented by the standard library's CBC modes.
type ivSetter interface{ SetIV([]byte) }

// NewSK returns the protector for one direction. For an AEAD transform integ
// must be AuthNone and integKey empty; encrKey is SK_ei or SK_er, integKey
// SK_ai or SK_ar.
func NewSK(encr Transform, integ uint16, encrKey, integKey []byte) (*SK, error) {
	a, err := lookupEncr(encr)
	if err != nil {
		return nil, err
	}
	if !a.ike {
		return nil, fmt.Errorf("%w: %s for IKE", ErrUnsupported, encr)
	}
	s := &SK{encr: encr, ivSize: a.ivSize, blockSize: a.blockSize, integ: integ,
		encrKey: bytes.Clone(encrKey), integKey: bytes.Clone(integKey)}
	if a.icvSize != 0 {
		if integ != AuthNone {
			return nil, fmt.Errorf("%s is an AEAD, integrity algorithm %s not allowed", encr, AlgorithmName(TransformINTEG, integ))
		}
		// checked, not built: the first Seal or Open makes the AEAD (an
		// IKE_SA that goes idle right away would only drop it again)
		if _, _, err := checkAEADKey(encr, encrKey); err != nil {
			return nil, err
		}
		s.icvSize = a.icvSize
		return s, nil
	}
	ia, err := lookupInteg(integ)
	if err != nil {
		return nil, err
	}
	if len(integKey) != ia.keySize {
		return nil, fmt.Errorf("%s: key must be %d bytes, not %d", AlgorithmName(TransformINTEG, integ), ia.keySize, len(integKey))
	}
	if len(encrKey) != a.keySize(encr) {
		return nil, fmt.Errorf("%s: key must be %d bytes, not %d", encr, a.keySize(encr), len(encrKey))
	}
	// CBC + MAC: made now, so that what the cipher refuses is reported here
	if err := s.prepare(); err != nil {
		return nil, err
	}
	return s, nil
}

// prepare makes the cipher state from the keys if Idle dropped it.
func (s *SK) prepare() error {
	if s.ready {
		return nil
	}
	if s.integ == AuthNone {
		aead, salt, err := NewAEAD(s.encr, s.encrKey)
		if err != nil {
			return err
		}
		s.aead = aead
		copy(s.nonce[:4], salt)
		s.ready = true
		return nil
	}
	ia, err := lookupInteg(s.integ)
	if err != nil {
		return err
	}
	if s.mac, err = ia.new(s.integKey); err != nil {
		return err
	}
	s.icvSize = ia.icvSize
	b, err := newBlockCipher(s.encr, s.encrKey)
	if err != nil {
		return err
	}
	iv := make([]byte, b.BlockSize())
	s.enc = cipher.NewCBCEncrypter(b, iv)
	s.dec = cipher.NewCBCDecrypter(b, iv)
	if _, ok := s.enc.(ivSetter); !ok {
		return fmt.Errorf("crypto: CBC mode without SetIV")
	}
	s.ready = true
	return nil
}

// Idle drops the cipher state (expanded keys, GHASH tables, HMAC state:
// over a kilobyte per IKE_SA), keeping the keys; the next Seal or Open
// makes it again. An IKE_SA calls it when it has nothing to do.
func (s *SK) Idle() {
	s.aead, s.enc, s.dec, s.mac = nil, nil, nil, nil
	s.ready = false
}

// Overhead returns SealedLen(n) - n for the largest padding, the most the
// payload body can add to a plaintext.
func (s *SK) Overhead() int { return s.ivSize + s.blockSize + s.icvSize }

// Layout returns the IV size, ICV size and cipher block size (1 for
// stream-like AEADs), which RFC 7383 fragmentation needs to size fragments.
func (s *SK) Layout() (iv, icv, block int) { return s.ivSize, s.icvSize, s.blockSize }

// SealedLen returns the length of the SK payload body that Seal produces for
// a plaintext of plainLen bytes, so that the caller can fill in the IKE
// header's and the SK generic header's lengths (part of assoc) first.
func (s *SK) SealedLen(plainLen int) int {
	n := plainLen + 1 // pad length octet
	n += (s.blockSize - n%s.blockSize) % s.blockSize
	return s.ivSize + n + s.icvSize
}

// Seal appends the SK payload body for plaintext (the inner payloads) to dst
// and returns the extended slice. assoc must already hold the final header
// bytes; it may be a prefix of dst (the usual call is
// msg = sk.Seal(msg, msg, inner, nil) after writing the headers into msg).
// plaintext must not overlap the appended region. The IV is read from rand
// (nil: crypto/rand); padding is the minimum the cipher needs, filled with
// zeros.
func (s *SK) Seal(dst, assoc, plaintext []byte, rand io.Reader) ([]byte, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	n := s.SealedLen(len(plaintext))
	ret, out := sliceForAppend(dst, n)
	if overlap(assoc, out) {
		return nil, errors.New("crypto: associated data overlaps the sealed output")
	}
	iv := out[:s.ivSize]
	if _, err := io.ReadFull(randOr(rand), iv); err != nil {
		return nil, fmt.Errorf("crypto: reading IV: %w", err)
	}
	body := out[s.ivSize : n-s.icvSize]
	copy(body, plaintext)
	pad := len(body) - len(plaintext) - 1
	clear(body[len(plaintext) : len(body)-1])
	body[len(body)-1] = byte(pad)
	if s.aead != nil {
		copy(s.nonce[4:], iv)
		s.aead.Seal(body[:0], s.nonce[:], body, assoc)
		return ret, nil
	}
	s.enc.(ivSetter).SetIV(iv)
	s.enc.CryptBlocks(body, body)
	s.mac.Reset()
	s.mac.Write(assoc)
	s.mac.Write(out[:n-s.icvSize])
	copy(out[n-s.icvSize:], s.mac.Sum(s.macBuf[:0]))
	return ret, nil
}

// Open verifies and decrypts an SK payload body (the bytes after the SK
// generic header) and returns the inner payloads, with padding and pad
// length removed. Decryption happens in place: body is overwritten (also
// when Open fails) and the result aliases it. ICV failures wrap
// ErrIntegrity (checked in constant time before anything is decrypted,
// for classic ciphers), malformed bodies ErrMalformed.
func (s *SK) Open(assoc, body []byte) ([]byte, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	if len(body) < s.ivSize+s.icvSize+1 {
		return nil, fmt.Errorf("%w: body of %d bytes is shorter than IV, ICV and pad length (%d)", ErrMalformed, len(body), s.ivSize+s.icvSize+1)
	}
	iv := body[:s.ivSize]
	var pt []byte
	if s.aead != nil {
		if overlap(assoc, body) {
			return nil, fmt.Errorf("%w: associated data overlaps the payload body", ErrMalformed)
		}
		copy(s.nonce[4:], iv)
		var err error
		pt, err = s.aead.Open(body[s.ivSize:s.ivSize], s.nonce[:], body[s.ivSize:], assoc)
		if err != nil {
			return nil, fmt.Errorf("%w: %s authentication failed", ErrIntegrity, s.encr)
		}
	} else {
		ct := body[s.ivSize : len(body)-s.icvSize]
		if len(ct)%s.blockSize != 0 {
			return nil, fmt.Errorf("%w: ciphertext of %d bytes is not a multiple of the %d byte block size", ErrMalformed, len(ct), s.blockSize)
		}
		s.mac.Reset()
		s.mac.Write(assoc)
		s.mac.Write(body[:len(body)-s.icvSize])
		sum := s.mac.Sum(s.macBuf[:0])
		if subtle.ConstantTimeCompare(sum[:s.icvSize], body[len(body)-s.icvSize:]) != 1 {
			return nil, fmt.Errorf("%w: ICV mismatch", ErrIntegrity)
		}
		s.dec.(ivSetter).SetIV(iv)
		s.dec.CryptBlocks(ct, ct)
		pt = ct
	}
	pad := int(pt[len(pt)-1])
	if pad+1 > len(pt) {
		return nil, fmt.Errorf("%w: pad length %d exceeds the %d byte plaintext", ErrMalformed, pad, len(pt))
	}
	return pt[:len(pt)-1-pad], nil
}

// overlap reports whether x and y share memory.
func overlap(x, y []byte) bool {
	return len(x) > 0 && len(y) > 0 &&
		uintptr(unsafe.Pointer(&x[0])) <= uintptr(unsafe.Pointer(&y[len(y)-1])) &&
		uintptr(unsafe.Pointer(&y[0])) <= uintptr(unsafe.Pointer(&x[len(x)-1]))
}
