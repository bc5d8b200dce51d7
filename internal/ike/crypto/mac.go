package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
)

// cbcMAC is the common core of AES-XCBC-MAC (RFC 3566) and AES-CMAC
// (RFC 4493): a CBC-MAC whose last block is masked with one of two subkeys,
// depending on whether it is complete (full) or padded with 10* (partial).
// It implements hash.Hash; Sum does not change the state.
type cbcMAC struct {
	b       cipher.Block
	full    [16]byte // mask for a complete last block
	partial [16]byte // mask for a padded last block
	x       [16]byte // chaining value
	buf     [16]byte // pending, not yet processed, block
	n       int      // bytes in buf
}

func (m *cbcMAC) Size() int      { return 16 }
func (m *cbcMAC) BlockSize() int { return 16 }

func (m *cbcMAC) Reset() {
	m.x = [16]byte{}
	m.n = 0
}

func (m *cbcMAC) Write(p []byte) (int, error) {
	written := len(p)
	for len(p) > 0 {
		if m.n == 16 {
			// More data follows, so the pending block is not the last one.
			subtle.XORBytes(m.x[:], m.x[:], m.buf[:])
			m.b.Encrypt(m.x[:], m.x[:])
			m.n = 0
		}
		c := copy(m.buf[m.n:], p)
		m.n += c
		p = p[c:]
	}
	return written, nil
}

func (m *cbcMAC) Sum(in []byte) []byte {
	var last [16]byte
	copy(last[:], m.buf[:m.n])
	if m.n == 16 {
		subtle.XORBytes(last[:], last[:], m.full[:])
	} else {
		last[m.n] = 0x80
		subtle.XORBytes(last[:], last[:], m.partial[:])
	}
	subtle.XORBytes(last[:], last[:], m.x[:])
	m.b.Encrypt(last[:], last[:])
	return append(in, last[:]...)
}

// newXCBC returns AES-XCBC-MAC-96's untruncated MAC (RFC 3566 §4) for a
// 128-bit key.
func newXCBC(key []byte) (*cbcMAC, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("AES-XCBC: key must be 16 bytes, not %d", len(key))
	}
	k, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var k1 [16]byte
	m := &cbcMAC{}
	for i := range k1 {
		k1[i] = 0x01
		m.full[i] = 0x02
		m.partial[i] = 0x03
	}
	k.Encrypt(k1[:], k1[:])
	k.Encrypt(m.full[:], m.full[:])
	k.Encrypt(m.partial[:], m.partial[:])
	if m.b, err = aes.NewCipher(k1[:]); err != nil {
		return nil, err
	}
	return m, nil
}

// newCMAC returns AES-CMAC (RFC 4493) for a 128-bit key.
func newCMAC(key []byte) (*cbcMAC, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("AES-CMAC: key must be 16 bytes, not %d", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	m := &cbcMAC{b: b}
	var l [16]byte
	b.Encrypt(l[:], l[:])
	cmacDouble(&m.full, &l)
	cmacDouble(&m.partial, &m.full)
	return m, nil
}

// cmacDouble sets dst to the doubling of src in GF(2^128) (RFC 4493 §2.3).
func cmacDouble(dst, src *[16]byte) {
	msb := src[0] >> 7
	for i := 0; i < 15; i++ {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[15] = src[15]<<1 ^ 0x87&(0-msb)
}

// newXCBCPRF is AES-XCBC-PRF-128 (RFC 4434 §2): keys shorter than 128 bits
// are padded with zeros, longer ones are first shortened with AES-XCBC-MAC
// under the all-zero key.
func newXCBCPRF(key []byte) (hash.Hash, error) {
	switch {
	case len(key) < 16:
		var k [16]byte
		copy(k[:], key)
		return newXCBC(k[:])
	case len(key) > 16:
		z, _ := newXCBC(make([]byte, 16))
		z.Write(key)
		return newXCBC(z.Sum(nil))
	}
	return newXCBC(key)
}

// newCMACPRF is AES-CMAC-PRF-128 (RFC 4615 §3): a key that is not 128 bits
// long is replaced by its AES-CMAC under the all-zero key.
func newCMACPRF(key []byte) (hash.Hash, error) {
	if len(key) != 16 {
		z, _ := newCMAC(make([]byte, 16))
		z.Write(key)
		key = z.Sum(nil)
	}
	return newCMAC(key)
}

func hmacFunc(h func() hash.Hash) func([]byte) (hash.Hash, error) {
	return func(key []byte) (hash.Hash, error) { return hmac.New(h, key), nil }
}

// prfAlg describes a PRF transform.
type prfAlg struct {
	// keySize is the preferred key length in bytes, which RFC 7296 §2.13 makes
	// the length of SK_d, SK_pi and SK_pr; for AES-XCBC/CMAC it is also the
	// fixed key length used for SKEYSEED (§2.14).
	keySize int
	size    int // output length in bytes
	fixed   bool
	new     func(key []byte) (hash.Hash, error)
}

var prfAlgs = map[uint16]*prfAlg{
	PRFHMACSHA1:    {keySize: 20, size: 20, new: hmacFunc(sha1.New)},
	PRFHMACSHA2256: {keySize: 32, size: 32, new: hmacFunc(sha256.New)},
	PRFHMACSHA2384: {keySize: 48, size: 48, new: hmacFunc(sha512.New384)},
	PRFHMACSHA2512: {keySize: 64, size: 64, new: hmacFunc(sha512.New)},
	PRFAES128XCBC:  {keySize: 16, size: 16, fixed: true, new: newXCBCPRF},
	PRFAES128CMAC:  {keySize: 16, size: 16, fixed: true, new: newCMACPRF},
}

func lookupPRF(id uint16) (*prfAlg, error) {
	if a := prfAlgs[id]; a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("%w: %s %s", ErrUnsupported, TransformPRF, AlgorithmName(TransformPRF, id))
}

// PRFSize returns the output length, and the SK_d/SK_p key length, in bytes
// of PRF transform id.
func PRFSize(id uint16) (int, error) {
	a, err := lookupPRF(id)
	if err != nil {
		return 0, err
	}
	return a.keySize, nil
}

// PRF computes prf(key, data[0] | data[1] | ...) with PRF transform id.
func PRF(id uint16, key []byte, data ...[]byte) ([]byte, error) {
	a, err := lookupPRF(id)
	if err != nil {
		return nil, err
	}
	h, err := a.new(key)
	if err != nil {
		return nil, err
	}
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil), nil
}

// integAlg describes an integrity transform.
type integAlg struct {
	keySize int // bytes
	icvSize int // truncated output, bytes
	new     func(key []byte) (hash.Hash, error)
}

var integAlgs = map[uint16]*integAlg{
	AuthHMACSHA196:    {keySize: 20, icvSize: 12, new: hmacFunc(sha1.New)},
	AuthHMACSHA256128: {keySize: 32, icvSize: 16, new: hmacFunc(sha256.New)},
	AuthHMACSHA384192: {keySize: 48, icvSize: 24, new: hmacFunc(sha512.New384)},
	AuthHMACSHA512256: {keySize: 64, icvSize: 32, new: hmacFunc(sha512.New)},
	AuthAESXCBC96: {keySize: 16, icvSize: 12, new: func(k []byte) (hash.Hash, error) {
		return newXCBC(k)
	}},
	AuthAESCMAC96: {keySize: 16, icvSize: 12, new: func(k []byte) (hash.Hash, error) {
		return newCMAC(k)
	}},
}

func lookupInteg(id uint16) (*integAlg, error) {
	if a := integAlgs[id]; a != nil {
		return a, nil
	}
	return nil, fmt.Errorf("%w: %s %s", ErrUnsupported, TransformINTEG, AlgorithmName(TransformINTEG, id))
}

// IntegKeySize returns the key length in bytes of integrity transform id
// (HMAC: the hash output length, RFC 4868 §2.1.1; XCBC/CMAC: 16).
func IntegKeySize(id uint16) (int, error) {
	a, err := lookupInteg(id)
	if err != nil {
		return 0, err
	}
	return a.keySize, nil
}

// IntegICVSize returns the length in bytes of the truncated checksum of
// integrity transform id.
func IntegICVSize(id uint16) (int, error) {
	a, err := lookupInteg(id)
	if err != nil {
		return 0, err
	}
	return a.icvSize, nil
}

// Integ computes the truncated checksum of integrity transform id over the
// concatenation of data.
func Integ(id uint16, key []byte, data ...[]byte) ([]byte, error) {
	a, err := lookupInteg(id)
	if err != nil {
		return nil, err
	}
	if len(key) != a.keySize {
		return nil, fmt.Errorf("%s: key must be %d bytes, not %d", AlgorithmName(TransformINTEG, id), a.keySize, len(key))
	}
	h, err := a.new(key)
	if err != nil {
		return nil, err
	}
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)[:a.icvSize], nil
}
