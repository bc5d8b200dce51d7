package userspace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

// ESP wire format (RFC 4303 section 2):
//
//	SPI (4) | Sequence Number (4) | IV | Payload | Padding | Pad Length (1) | Next Header (1) | ICV
//
// Everything from the payload through the next header is encrypted; the
// ICV covers SPI through next header (and the high half of an extended
// sequence number, which is not sent). AEAD ciphers authenticate SPI and
// sequence number as AAD (RFC 4106 section 5, RFC 7634 section 2.1).
const espHeaderLen = 8

// Errors of packet processing (counted, never returned to callers).
var (
	errShort     = errors.New("packet too short")
	errIntegrity = errors.New("integrity check failed")
	errPadding   = errors.New("invalid padding")
)

type cipherKind uint8

const (
	kindAEAD cipherKind = iota + 1
	kindCBC
	kindNull
)

// suite seals and opens the ESP packets of one SA. It is safe for
// concurrent use: per-call state lives in a scratch owned by the caller,
// MAC and CBC states come from pools.
type suite struct {
	kind   cipherKind
	aead   cipher.AEAD
	salt   [4]byte
	block  cipher.Block // CBC
	ivLen  int
	align  int // the plaintext (payload..next header) is a multiple of this
	icvLen int
	esn    bool

	integ    uint16
	integKey []byte
	macs     sync.Pool // hash.Hash (HMAC); nil New for XCBC/CMAC
	cbcEnc   sync.Pool // cipher.BlockMode with SetIV
	cbcDec   sync.Pool
}

// scratch is per-goroutine working memory for seal and open, so that
// nonces, AADs and ICVs need no allocation.
type scratch struct {
	nonce [12]byte
	aad   [12]byte
	iv    [16]byte
	icv   [64]byte
	hi    [4]byte
}

type ivSetter interface{ SetIV([]byte) }

func hmacHash(id uint16) func() hash.Hash {
	switch id {
	case crypto.AuthHMACSHA196:
		return sha1.New
	case crypto.AuthHMACSHA256128:
		return sha256.New
	case crypto.AuthHMACSHA384192:
		return sha512.New384
	case crypto.AuthHMACSHA512256:
		return sha512.New
	}
	return nil
}

// newSuite builds the transforms of an SA from its algorithms and keys.
func newSuite(encr, integ kernel.Algorithm, esn bool) (*suite, error) {
	s := &suite{esn: esn}
	t := crypto.Transform{Type: crypto.TransformENCR, ID: encr.ID, KeyLen: encr.KeyLen}
	switch encr.ID {
	case crypto.EncrAESGCM8, crypto.EncrAESGCM12, crypto.EncrAESGCM16, crypto.EncrChaCha20Poly1305:
		if t.KeyLen == 0 && encr.ID != crypto.EncrChaCha20Poly1305 {
			t.KeyLen = uint16(8 * (len(encr.Key) - 4))
		}
		aead, salt, err := crypto.NewAEAD(t, encr.Key)
		if err != nil {
			return nil, err
		}
		if integ.ID != crypto.AuthNone {
			return nil, fmt.Errorf("%s with an integrity algorithm", crypto.AlgorithmName(crypto.TransformENCR, encr.ID))
		}
		s.kind, s.aead, s.ivLen, s.align, s.icvLen = kindAEAD, aead, 8, 4, aead.Overhead()
		copy(s.salt[:], salt)
		return s, nil
	case crypto.EncrAESCBC:
		if encr.KeyLen != 0 && int(encr.KeyLen) != 8*len(encr.Key) {
			return nil, fmt.Errorf("AES_CBC_%d with a %d byte key", encr.KeyLen, len(encr.Key))
		}
		b, err := aes.NewCipher(encr.Key)
		if err != nil {
			return nil, err
		}
		s.kind, s.block, s.ivLen, s.align = kindCBC, b, aes.BlockSize, aes.BlockSize
		s.cbcEnc.New = func() any { return cipher.NewCBCEncrypter(b, make([]byte, aes.BlockSize)) }
		s.cbcDec.New = func() any { return cipher.NewCBCDecrypter(b, make([]byte, aes.BlockSize)) }
	case crypto.EncrNull:
		if integ.ID == crypto.AuthNone {
			return nil, errors.New("NULL encryption without integrity")
		}
		s.kind, s.align = kindNull, 4
	default:
		return nil, fmt.Errorf("%w: %s", crypto.ErrUnsupported, crypto.AlgorithmName(crypto.TransformENCR, encr.ID))
	}
	if integ.ID == crypto.AuthNone {
		return s, nil // encryption only (RFC 4303 3.2.2 allows it)
	}
	keyLen, err := crypto.IntegKeySize(integ.ID)
	if err != nil {
		return nil, err
	}
	if len(integ.Key) != keyLen {
		return nil, fmt.Errorf("%s: key must be %d bytes, not %d",
			crypto.AlgorithmName(crypto.TransformINTEG, integ.ID), keyLen, len(integ.Key))
	}
	if s.icvLen, err = crypto.IntegICVSize(integ.ID); err != nil {
		return nil, err
	}
	s.integ, s.integKey = integ.ID, append([]byte(nil), integ.Key...)
	if h := hmacHash(integ.ID); h != nil {
		key := s.integKey
		s.macs.New = func() any { return hmac.New(h, key) }
	}
	return s, nil
}

// headerLen is the room seal needs before the payload.
func (s *suite) headerLen() int { return espHeaderLen + s.ivLen }

// sealedLen is the ESP packet's length for a payload of n bytes.
func (s *suite) sealedLen(n int) int {
	plain := n + 2
	plain += (s.align - plain%s.align) % s.align
	return espHeaderLen + s.ivLen + plain + s.icvLen
}

// seal turns the payload b[off:off+n] into an ESP packet in place: SPI,
// sequence number and IV go into the headerLen bytes before off, padding,
// pad length, next header and ICV after the payload (b must have
// trailerRoom bytes there). iv, if not nil, is the IV to use (tests);
// otherwise AEAD ciphers use the sequence number (unique per key, RFC 4106
// section 3.1) and CBC the encryption of the sequence number under the
// cipher key (unpredictable, NIST SP 800-38A appendix C). It returns the
// packet's bounds in b.
func (s *suite) seal(b []byte, off, n int, spi uint32, seq uint64, nh uint8, sc *scratch, iv []byte) (start, end int) {
	start = off - espHeaderLen - s.ivLen
	binary.BigEndian.PutUint32(b[start:], spi)
	binary.BigEndian.PutUint32(b[start+4:], uint32(seq))
	plain := n + 2
	pad := (s.align - plain%s.align) % s.align
	p := off + n
	for i := 1; i <= pad; i++ {
		b[p] = byte(i)
		p++
	}
	b[p] = byte(pad)
	b[p+1] = nh
	plain += pad
	ivb := b[start+espHeaderLen : off]
	switch s.kind {
	case kindAEAD:
		if iv != nil {
			copy(ivb, iv)
		} else {
			binary.BigEndian.PutUint64(ivb, seq)
		}
		copy(sc.nonce[:4], s.salt[:])
		copy(sc.nonce[4:], ivb)
		aad := s.aad(sc, spi, seq)
		s.aead.Seal(b[off:off], sc.nonce[:], b[off:off+plain], aad)
		return start, off + plain + s.icvLen
	case kindCBC:
		if iv != nil {
			copy(ivb, iv)
		} else {
			binary.BigEndian.PutUint64(sc.iv[:8], seq)
			binary.BigEndian.PutUint32(sc.iv[8:12], spi)
			binary.BigEndian.PutUint32(sc.iv[12:], 0x45535049) // "ESPI"
			s.block.Encrypt(ivb, sc.iv[:])
		}
		m := s.cbcEnc.Get().(cipher.BlockMode)
		if ivs, ok := m.(ivSetter); ok {
			ivs.SetIV(ivb)
		} else {
			m = cipher.NewCBCEncrypter(s.block, ivb)
		}
		m.CryptBlocks(b[off:off+plain], b[off:off+plain])
		s.cbcEnc.Put(m)
	}
	end = off + plain
	if s.icvLen > 0 {
		s.mac(sc, b[start:end], seq)
		copy(b[end:end+s.icvLen], sc.icv[:s.icvLen])
		end += s.icvLen
	}
	return start, end
}

// aad returns the AAD of an AEAD: SPI | sequence number, with the high
// half first for ESN (RFC 4106 section 5).
func (s *suite) aad(sc *scratch, spi uint32, seq uint64) []byte {
	binary.BigEndian.PutUint32(sc.aad[0:], spi)
	if s.esn {
		binary.BigEndian.PutUint64(sc.aad[4:], seq)
		return sc.aad[:12]
	}
	binary.BigEndian.PutUint32(sc.aad[4:], uint32(seq))
	return sc.aad[:8]
}

// mac computes the untruncated ICV of data (and the ESN high half) into
// sc.icv.
func (s *suite) mac(sc *scratch, data []byte, seq uint64) {
	binary.BigEndian.PutUint32(sc.hi[:], uint32(seq>>32))
	if s.macs.New == nil {
		// AES-XCBC-96 / AES-CMAC-96: only available through the
		// allocating helper of internal/ike/crypto.
		var icv []byte
		if s.esn {
			icv, _ = crypto.Integ(s.integ, s.integKey, data, sc.hi[:])
		} else {
			icv, _ = crypto.Integ(s.integ, s.integKey, data)
		}
		copy(sc.icv[:], icv)
		return
	}
	h := s.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(data)
	if s.esn {
		h.Write(sc.hi[:])
	}
	h.Sum(sc.icv[:0])
	s.macs.Put(h)
}

// open verifies and decrypts the ESP packet b (from the SPI on) in place,
// given its full sequence number (the ESN high half inferred by the
// caller). It returns the bounds of the payload in b and the next header.
func (s *suite) open(b []byte, seq uint64, sc *scratch) (ps, pe int, nh uint8, err error) {
	hl := espHeaderLen + s.ivLen
	if len(b) < hl+s.icvLen+2 {
		return 0, 0, 0, errShort
	}
	ct := b[hl : len(b)-s.icvLen]
	switch s.kind {
	case kindAEAD:
		copy(sc.nonce[:4], s.salt[:])
		copy(sc.nonce[4:], b[espHeaderLen:hl])
		aad := s.aad(sc, binary.BigEndian.Uint32(b), seq)
		if _, err := s.aead.Open(b[hl:hl], sc.nonce[:], b[hl:], aad); err != nil {
			return 0, 0, 0, errIntegrity
		}
	case kindCBC, kindNull:
		if len(ct)%s.align != 0 {
			return 0, 0, 0, errShort
		}
		if s.icvLen > 0 {
			s.mac(sc, b[:hl+len(ct)], seq)
			if subtle.ConstantTimeCompare(sc.icv[:s.icvLen], b[hl+len(ct):]) != 1 {
				return 0, 0, 0, errIntegrity
			}
		}
		if s.kind == kindCBC {
			m := s.cbcDec.Get().(cipher.BlockMode)
			if ivs, ok := m.(ivSetter); ok {
				ivs.SetIV(b[espHeaderLen:hl])
			} else {
				m = cipher.NewCBCDecrypter(s.block, b[espHeaderLen:hl])
			}
			m.CryptBlocks(ct, ct)
			s.cbcDec.Put(m)
		}
	}
	end := hl + len(ct)
	padLen := int(b[end-2])
	nh = b[end-1]
	pe = end - 2 - padLen
	if pe < hl {
		return 0, 0, 0, errPadding
	}
	for i, v := range b[pe : end-2] {
		if v != byte(i+1) {
			return 0, 0, 0, errPadding
		}
	}
	return hl, pe, nh, nil
}
