package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
)

// RFC 7634 Appendix B: an INFORMATIONAL request protected with
// ChaCha20-Poly1305. assoc is the IKE header and the SK generic header; the
// inner payload is a 12-byte Notify; pad length 0.
func TestSKRFC7634IKEv2Example(t *testing.T) {
	v := aeadVectors[len(aeadVectors)-1]
	if v.name != "chacha20poly1305_4" {
		t.Fatal("vector table changed")
	}
	sk, err := NewSK(v.encr, AuthNone, unhex(t, v.key), nil)
	if err != nil {
		t.Fatal(err)
	}
	assoc := unhex(t, v.aad)
	plain := unhex(t, v.plain) // inner payloads | pad length (0)
	inner := plain[:len(plain)-1]
	if got := sk.SealedLen(len(inner)); got != 0x29-4 {
		t.Errorf("SealedLen = %d, want %d (SK payload length 0x29 - 4)", got, 0x29-4)
	}
	msg := bytes.Clone(assoc)
	msg, err = sk.Seal(msg, msg, inner, bytes.NewReader(unhex(t, v.iv)))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(bytes.Clone(assoc), unhex(t, v.iv)...), unhex(t, v.ciph)...)
	if !bytes.Equal(msg, want) {
		t.Fatalf("sealed message\n %x\nwant\n %x", msg, want)
	}
	if len(msg) != 0x45 {
		t.Errorf("message length %d, header says 0x45", len(msg))
	}
	got, err := sk.Open(msg[:len(assoc)], msg[len(assoc):])
	if err != nil || !bytes.Equal(got, inner) {
		t.Fatalf("Open = %x, %v", got, err)
	}
}

// skCombos returns every ENCR/INTEG combination SK supports.
func skCombos() []struct {
	encr  Transform
	integ uint16
} {
	var out []struct {
		encr  Transform
		integ uint16
	}
	classic := []Transform{{TransformENCR, EncrAESCBC, 128}, {TransformENCR, EncrAESCBC, 192},
		{TransformENCR, EncrAESCBC, 256}, {TransformENCR, Encr3DES, 0}}
	integ := []uint16{AuthHMACSHA196, AuthHMACSHA256128, AuthHMACSHA384192, AuthHMACSHA512256, AuthAESXCBC96, AuthAESCMAC96}
	for _, e := range classic {
		for _, i := range integ {
			out = append(out, struct {
				encr  Transform
				integ uint16
			}{e, i})
		}
	}
	for _, id := range []uint16{EncrAESGCM8, EncrAESGCM12, EncrAESGCM16} {
		for _, kl := range []uint16{128, 192, 256} {
			out = append(out, struct {
				encr  Transform
				integ uint16
			}{Transform{TransformENCR, id, kl}, AuthNone})
		}
	}
	out = append(out, struct {
		encr  Transform
		integ uint16
	}{Transform{TransformENCR, EncrChaCha20Poly1305, 0}, AuthNone})
	return out
}

func newTestSK(t testing.TB, encr Transform, integ uint16) *SK {
	ek, err := EncrKeySize(encr)
	if err != nil {
		t.Fatal(err)
	}
	var ik int
	if integ != AuthNone {
		ik, _ = IntegKeySize(integ)
	}
	ekey, ikey := make([]byte, ek), make([]byte, ik)
	rand.Read(ekey)
	rand.Read(ikey)
	sk, err := NewSK(encr, integ, ekey, ikey)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func TestSKRoundTripAndTamper(t *testing.T) {
	for _, c := range skCombos() {
		t.Run(fmt.Sprintf("%s+%s", c.encr, AlgorithmName(TransformINTEG, c.integ)), func(t *testing.T) {
			sk := newTestSK(t, c.encr, c.integ)
			for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 100} {
				hdr := []byte("IKE header and SK generic header")
				plain := make([]byte, n)
				rand.Read(plain)
				msg, err := sk.Seal(bytes.Clone(hdr), hdr, plain, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(msg)-len(hdr) != sk.SealedLen(n) {
					t.Fatalf("len %d: body %d, SealedLen %d", n, len(msg)-len(hdr), sk.SealedLen(n))
				}
				if sk.SealedLen(n) > n+sk.Overhead() {
					t.Fatalf("len %d: more than Overhead", n)
				}
				got, err := sk.Open(msg[:len(hdr)], bytes.Clone(msg[len(hdr):]))
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("len %d: open: %x %v", n, got, err)
				}
				if n != 17 {
					continue
				}
				// flipping any bit of the assoc or the body is detected
				for i := range msg {
					for bit := 0; bit < 8; bit++ {
						bad := bytes.Clone(msg)
						bad[i] ^= 1 << bit
						if _, err := sk.Open(bad[:len(hdr)], bad[len(hdr):]); !errors.Is(err, ErrIntegrity) {
							t.Fatalf("flipped bit %d of byte %d: %v", bit, i, err)
						}
					}
				}
			}
		})
	}
}

// An SK whose cipher state was dropped (Idle) opens what it sealed before
// and seals what another SK with the same keys opens.
func TestSKIdle(t *testing.T) {
	for _, c := range skCombos() {
		t.Run(fmt.Sprintf("%s+%s", c.encr, AlgorithmName(TransformINTEG, c.integ)), func(t *testing.T) {
			sk := newTestSK(t, c.encr, c.integ)
			twin, err := NewSK(c.encr, c.integ, sk.encrKey, sk.integKey)
			if err != nil {
				t.Fatal(err)
			}
			hdr, plain := []byte("header"), []byte("inner payloads")
			msg, err := sk.Seal(bytes.Clone(hdr), hdr, plain, nil)
			if err != nil {
				t.Fatal(err)
			}
			overhead := sk.Overhead()
			sk.Idle()
			if sk.ready || sk.aead != nil || sk.mac != nil || sk.Overhead() != overhead {
				t.Fatal("Idle kept cipher state or changed the layout")
			}
			if got, err := sk.Open(hdr, bytes.Clone(msg[len(hdr):])); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("open after Idle: %q %v", got, err)
			}
			sk.Idle()
			msg2, err := sk.Seal(bytes.Clone(hdr), hdr, plain, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := twin.Open(hdr, bytes.Clone(msg2[len(hdr):])); err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("twin opens what was sealed after Idle: %q %v", got, err)
			}
		})
	}
}

func TestSKMalformed(t *testing.T) {
	cbc := newTestSK(t, Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACSHA256128)
	gcm := newTestSK(t, Transform{TransformENCR, EncrAESGCM16, 128}, AuthNone)
	hdr := []byte("hdr")
	for _, c := range []struct {
		name string
		sk   *SK
		body []byte
		want error
	}{
		{"empty", cbc, nil, ErrMalformed},
		{"IV only", cbc, make([]byte, 16), ErrMalformed},
		{"IV+ICV", cbc, make([]byte, 32), ErrMalformed},
		{"unaligned", cbc, make([]byte, 16+17+16), ErrMalformed},
		{"bad ICV", cbc, make([]byte, 16+16+16), ErrIntegrity},
		{"gcm short", gcm, make([]byte, 8+16), ErrMalformed},
		{"gcm bad tag", gcm, make([]byte, 8+1+16), ErrIntegrity},
	} {
		if _, err := c.sk.Open(hdr, c.body); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestSKBadPadLength(t *testing.T) {
	ekey, ikey := make([]byte, 16), make([]byte, 32)
	sk, err := NewSK(Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACSHA256128, ekey, ikey)
	if err != nil {
		t.Fatal(err)
	}
	hdr := []byte("hdr")
	body := make([]byte, 16+16, 16+16+16)
	body[31] = 16 // pad length 16 in a 16-byte plaintext
	sk.enc.(ivSetter).SetIV(body[:16])
	sk.enc.CryptBlocks(body[16:], body[16:])
	icv, _ := Integ(AuthHMACSHA256128, ikey, hdr, body)
	body = append(body, icv...)
	if _, err := sk.Open(hdr, body); !errors.Is(err, ErrMalformed) {
		t.Errorf("pad length 16: %v", err)
	}
	// AEAD: pad length 255 in a 3-byte plaintext
	g, _ := NewSK(Transform{TransformENCR, EncrAESGCM16, 128}, AuthNone, make([]byte, 20), nil)
	aead, salt, _ := NewAEAD(Transform{TransformENCR, EncrAESGCM16, 128}, make([]byte, 20))
	iv := make([]byte, 8)
	ct := aead.Seal(nil, append(bytes.Clone(salt), iv...), []byte{1, 2, 255}, hdr)
	if _, err := g.Open(hdr, append(iv, ct...)); !errors.Is(err, ErrMalformed) {
		t.Errorf("AEAD pad length 255: %v", err)
	}
}

func TestNewSKErrors(t *testing.T) {
	for _, c := range []struct {
		encr  Transform
		integ uint16
		ek    int
		ik    int
	}{
		{Transform{TransformENCR, EncrAESCBC, 0}, AuthHMACSHA256128, 16, 32},   // no key length
		{Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACSHA256128, 15, 32}, // short key
		{Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACSHA256128, 16, 31}, // short integ key
		{Transform{TransformENCR, EncrAESCBC, 128}, AuthNone, 16, 0},           // no integrity
		{Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACMD596, 16, 16},     // unsupported integrity
		{Transform{TransformENCR, EncrAESGCM16, 128}, AuthHMACSHA196, 20, 20},  // AEAD + integrity
		{Transform{TransformENCR, EncrAESGCM16, 128}, AuthNone, 16, 0},         // no salt
		{Transform{TransformENCR, EncrNull, 0}, AuthHMACSHA196, 0, 20},         // NULL for IKE
		{Transform{TransformENCR, EncrAESCCM16, 128}, AuthNone, 19, 0},         // CCM for IKE
		{Transform{TransformENCR, 1234, 0}, AuthHMACSHA196, 16, 20},            // unknown
	} {
		if _, err := NewSK(c.encr, c.integ, make([]byte, c.ek), make([]byte, c.ik)); err == nil {
			t.Errorf("%s+%s accepted", c.encr, AlgorithmName(TransformINTEG, c.integ))
		}
	}
}

// FuzzOpen feeds arbitrary bodies (and associated data) to every SK
// variant: Open must never panic, and must reject anything it did not seal.
func FuzzOpen(f *testing.F) {
	combos := skCombos()
	sks := make([]*SK, len(combos))
	for i, c := range combos {
		ek, _ := EncrKeySize(c.encr)
		var ik int
		if c.integ != AuthNone {
			ik, _ = IntegKeySize(c.integ)
		}
		sk, err := NewSK(c.encr, c.integ, bytes.Repeat([]byte{byte(i)}, ek), bytes.Repeat([]byte{byte(i + 1)}, ik))
		if err != nil {
			f.Fatal(err)
		}
		sks[i] = sk
	}
	for i, sk := range sks {
		msg, _ := sk.Seal(nil, []byte("hdr"), []byte("seed plaintext"), nil)
		f.Add(uint8(i), []byte("hdr"), msg)
	}
	f.Add(uint8(0), []byte{}, []byte{})
	f.Add(uint8(30), []byte("x"), make([]byte, 40))
	f.Fuzz(func(t *testing.T, which uint8, assoc, body []byte) {
		sk := sks[int(which)%len(sks)]
		orig := bytes.Clone(body)
		pt, err := sk.Open(assoc, body)
		if err != nil {
			if !errors.Is(err, ErrIntegrity) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		// Only a sealed body may open (the fuzzer cannot forge an ICV); if it
		// does, resealing with the same IV must reproduce it.
		resealed, err := sk.Seal(nil, assoc, pt, bytes.NewReader(orig[:sk.ivSize]))
		if err != nil {
			t.Fatal(err)
		}
		if sk.SealedLen(len(pt)) == len(orig) && !bytes.Equal(resealed, orig) {
			t.Fatalf("opened body does not reseal to itself")
		}
	})
}

// Regression (found by FuzzOpen): associated data aliasing the body made
// crypto/cipher's GCM panic ("invalid buffer overlap"); Open and Seal now
// refuse overlapping buffers with an error.
func TestSKOverlapRegression(t *testing.T) {
	for _, c := range skCombos() {
		sk := newTestSK(t, c.encr, c.integ)
		buf := make([]byte, 64, 256)
		if _, err := sk.Open(buf[:21], buf[:37]); err == nil {
			t.Errorf("%s: overlapping Open accepted", c.encr)
		}
		if _, err := sk.Open(buf[8:40], buf[:37]); err == nil {
			t.Errorf("%s: overlapping Open accepted", c.encr)
		}
		if s := sk; s.aead != nil {
			// assoc reaching into the region Seal appends to
			if _, err := s.Seal(buf[:10], buf[:20], []byte("x"), nil); err == nil {
				t.Errorf("%s: overlapping Seal accepted", c.encr)
			}
		}
		// adjacent (the normal layout) is fine
		msg, err := sk.Seal(buf[:10], buf[:10], []byte("inner"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := sk.Open(msg[:10], msg[10:]); err != nil || string(pt) != "inner" {
			t.Errorf("%s: adjacent: %q %v", c.encr, pt, err)
		}
	}
}
