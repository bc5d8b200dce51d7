package crypto

import (
	"bytes"
	"testing"
)

// zeroReader is a cheap deterministic IV source for benchmarks.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var benchSKs = []struct {
	name  string
	encr  Transform
	integ uint16
}{
	{"AES-GCM-128", Transform{TransformENCR, EncrAESGCM16, 128}, AuthNone},
	{"AES-GCM-256", Transform{TransformENCR, EncrAESGCM16, 256}, AuthNone},
	{"AES-CBC-128+SHA256", Transform{TransformENCR, EncrAESCBC, 128}, AuthHMACSHA256128},
	{"ChaCha20-Poly1305", Transform{TransformENCR, EncrChaCha20Poly1305, 0}, AuthNone},
}

func BenchmarkSKSeal(b *testing.B) {
	for _, c := range benchSKs {
		b.Run(c.name, func(b *testing.B) {
			sk := newTestSK(b, c.encr, c.integ)
			hdr := make([]byte, 32)
			plain := make([]byte, 1400)
			buf := make([]byte, 0, 32+sk.SealedLen(len(plain)))
			b.SetBytes(int64(len(plain)))
			b.ReportAllocs()
			for b.Loop() {
				buf = append(buf[:0], hdr...)
				if _, err := sk.Seal(buf, buf, plain, zeroReader{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSKOpen(b *testing.B) {
	for _, c := range benchSKs {
		b.Run(c.name, func(b *testing.B) {
			sk := newTestSK(b, c.encr, c.integ)
			hdr := make([]byte, 32)
			msg, _ := sk.Seal(bytes.Clone(hdr), hdr, make([]byte, 1400), zeroReader{})
			work := make([]byte, len(msg))
			b.SetBytes(1400)
			b.ReportAllocs()
			for b.Loop() {
				copy(work, msg) // Open decrypts in place
				if _, err := sk.Open(work[:32], work[32:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKE measures one complete exchange: the initiator's key
// generation, the responder's (key generation and) shared secret or
// encapsulation, and the initiator's shared secret or decapsulation.
func BenchmarkKE(b *testing.B) {
	for _, m := range []uint16{KEMODP2048, KEMODP3072, KEMODP4096, KEMODP8192, KEMODP2048s256,
		KEECP256, KEECP384, KEECP521, KECurve25519, KECurve448,
		KEMLKEM512, KEMLKEM768, KEMLKEM1024} {
		b.Run(AlgorithmName(TransformKE, m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ini, err := NewKeyExchange(m, nil)
				if err != nil {
					b.Fatal(err)
				}
				v, _, err := RespondKeyExchange(m, ini.PublicValue(), nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ini.SharedSecret(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDeriveIKEKeys(b *testing.B) {
	p := mustParse(b, ProtoIKE, "aes256gcm16-prfsha256-ecp256")
	ni, nr, g := make([]byte, 32), make([]byte, 32), make([]byte, 32)
	spi := make([]byte, 8)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DeriveIKEKeys(p, ni, nr, g, spi, spi); err != nil {
			b.Fatal(err)
		}
	}
}
