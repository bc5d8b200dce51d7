package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestCBCVectors(t *testing.T) {
	for _, v := range cbcVectors {
		t.Run(v.name, func(t *testing.T) {
			b, err := newBlockCipher(v.encr, unhex(t, v.key))
			if err != nil {
				t.Fatal(err)
			}
			plain, ciph := unhex(t, v.plain), unhex(t, v.ciph)
			got := make([]byte, len(plain))
			cipher.NewCBCEncrypter(b, unhex(t, v.iv)).CryptBlocks(got, plain)
			if !bytes.Equal(got, ciph) {
				t.Errorf("%s: encrypt = %x, want %x", v.source, got, ciph)
			}
			cipher.NewCBCDecrypter(b, unhex(t, v.iv)).CryptBlocks(got, ciph)
			if !bytes.Equal(got, plain) {
				t.Errorf("%s: decrypt = %x, want %x", v.source, got, plain)
			}
		})
	}
}

func TestAEADVectors(t *testing.T) {
	for _, v := range aeadVectors {
		t.Run(v.name, func(t *testing.T) {
			aead, salt, err := NewAEAD(v.encr, unhex(t, v.key))
			if err != nil {
				t.Fatal(err)
			}
			nonce := append(append([]byte(nil), salt...), unhex(t, v.iv)...)
			aad, plain, ciph := unhex(t, v.aad), unhex(t, v.plain), unhex(t, v.ciph)
			got := aead.Seal(nil, nonce, plain, aad)
			if !bytes.Equal(got, ciph) {
				t.Fatalf("%s: seal = %x, want %x", v.source, got, ciph)
			}
			pt, err := aead.Open(nil, nonce, ciph, aad)
			if err != nil || !bytes.Equal(pt, plain) {
				t.Fatalf("%s: open = %x, %v", v.source, pt, err)
			}
			for i := range ciph {
				bad := bytes.Clone(ciph)
				bad[i] ^= 0x01
				if _, err := aead.Open(nil, nonce, bad, aad); err == nil {
					t.Fatalf("flipped byte %d accepted", i)
				}
			}
		})
	}
}

// The 8-byte ICV of RFC 4106 is the leftmost 64 bits of the GCM tag
// (SP 800-38D §5.2.1.2): check gcm8 against the full-tag GCM of the
// standard library for many lengths, and its Open against tampering.
func TestGCM8Truncation(t *testing.T) {
	for _, keyLen := range []int{16, 24, 32} {
		key := make([]byte, keyLen)
		rand.Read(key)
		b, _ := aes.NewCipher(key)
		full, _ := cipher.NewGCM(b)
		g8, err := newGCM8(b)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 70; n++ {
			nonce, plain, aad := make([]byte, 12), make([]byte, n), make([]byte, n%20)
			rand.Read(nonce)
			rand.Read(plain)
			rand.Read(aad)
			want := full.Seal(nil, nonce, plain, aad)
			got := g8.Seal(nil, nonce, plain, aad)
			if !bytes.Equal(got, want[:n+8]) {
				t.Fatalf("len %d: gcm8 %x, want prefix of %x", n, got, want)
			}
			pt, err := g8.Open(nil, nonce, got, aad)
			if err != nil || !bytes.Equal(pt, plain) {
				t.Fatalf("len %d: open: %v", n, err)
			}
			// in place
			buf := bytes.Clone(got)
			pt, err = g8.Open(buf[:0], nonce, buf, aad)
			if err != nil || !bytes.Equal(pt, plain) {
				t.Fatalf("len %d: open in place: %v", n, err)
			}
			for i := range got {
				bad := bytes.Clone(got)
				bad[i] ^= 0x80
				if _, err := g8.Open(nil, nonce, bad, aad); err == nil {
					t.Fatalf("len %d: flipped byte %d accepted", n, i)
				}
			}
			if len(aad) > 0 {
				aad[0] ^= 1
				if _, err := g8.Open(nil, nonce, got, aad); err == nil {
					t.Fatalf("len %d: modified AAD accepted", n)
				}
			}
		}
	}
}

func TestMACVectors(t *testing.T) {
	for _, v := range macVectors {
		t.Run(v.name, func(t *testing.T) {
			key, data, want := unhex(t, v.key), unhex(t, v.data), unhex(t, v.mac)
			var got []byte
			var err error
			if v.prf {
				got, err = PRF(v.id, key, data)
			} else {
				got, err = Integ(v.id, key, data)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %x, want %x", v.source, got, want)
			}
			if v.prf && len(data) > 1 {
				// the same, fed in pieces
				got, _ = PRF(v.id, key, data[:1], data[1:len(data)/2], data[len(data)/2:])
				if !bytes.Equal(got, want) {
					t.Errorf("split input: %x, want %x", got, want)
				}
			}
		})
	}
}

func TestIntegSizes(t *testing.T) {
	for _, c := range []struct {
		id       uint16
		key, icv int
	}{
		{AuthHMACSHA196, 20, 12}, {AuthHMACSHA256128, 32, 16}, {AuthHMACSHA384192, 48, 24},
		{AuthHMACSHA512256, 64, 32}, {AuthAESXCBC96, 16, 12}, {AuthAESCMAC96, 16, 12},
	} {
		k, _ := IntegKeySize(c.id)
		i, _ := IntegICVSize(c.id)
		if k != c.key || i != c.icv {
			t.Errorf("%s: key %d icv %d, want %d %d", AlgorithmName(TransformINTEG, c.id), k, i, c.key, c.icv)
		}
	}
	if _, err := IntegKeySize(AuthHMACMD596); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MD5: %v", err)
	}
	if _, err := Integ(AuthHMACSHA256128, make([]byte, 31), nil); err == nil {
		t.Error("short HMAC key accepted")
	}
}
