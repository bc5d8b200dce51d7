package userspace

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

func unhex(s string) []byte {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// espVector is a published ESP packet: the keys, SPI, sequence number and
// IV, the payload with its next header, and the ESP packet from the SPI
// on.
type espVector struct {
	name    string
	encr    kernel.Algorithm
	esn     bool
	seq     uint64
	spi     uint32
	iv      []byte
	payload []byte
	nh      uint8
	packet  []byte // SPI | seq | IV | ciphertext | ICV
}

var espVectors = []espVector{
	{
		// RFC 7634 appendix A: ChaCha20-Poly1305 ESP example (tunnel mode
		// ICMP echo, SPI 0x01020304, sequence number 5).
		name: "RFC7634-A",
		encr: kernel.Algorithm{ID: crypto.EncrChaCha20Poly1305, Key: unhex(`
			808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f a0a1a2a3`)},
		spi: 0x01020304, seq: 5, iv: unhex("1011121314151617"), nh: 4,
		payload: unhex(`
			45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10
			0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
			2425262728292a2b2c2d2e2f3031323334353637`),
		packet: unhex(`
			01020304 00000005 1011121314151617
			24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6
			14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3
			cbec163fac469b502773f6fb94e664da9165b82829f641e076aaa8266b7fb0f7
			b11b369907e1ad43`),
	},
	{
		// draft-mcgrew-gcm-test-01 test case 1: AES-GCM-128, extended
		// sequence number 0x87654321:00000000.
		name: "GCM-test-1-ESN",
		encr: kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: unhex("4c80cdefbb5d10da906ac73c3613a634 2e443b68")},
		esn:  true, spi: 0x00004321, seq: 0x8765432100000000, iv: unhex("4956ed7e3b244cfe"), nh: 1,
		payload: unhex(`
			45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000
			00000000045f736970045f756470037369700963796265726369747902646b00
			00210001`),
		packet: unhex(`
			00004321 00000000 4956ed7e3b244cfe
			fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34
			cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce
			61bc17d768fd9732 459018148f6cbe722fd04796562dfdb4`),
	},
	{
		// draft-mcgrew-gcm-test-01 test case 2: AES-GCM-128, no padding.
		name: "GCM-test-2",
		encr: kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: unhex("feffe9928665731c6d6a8f9467308308 cafebabe")},
		spi:  0x0000a5f8, seq: 10, iv: unhex("facedbaddecaf888"), nh: 1,
		payload: unhex(`
			4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100
			0001000000000000037369700963796265726369747902646b0000010001`),
		packet: unhex(`
			0000a5f8 0000000a facedbaddecaf888
			deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c
			3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1
			83b70d3aa8bc6ee4c309e9d85a41ad4a`),
	},
	{
		// draft-mcgrew-gcm-test-01 test case 3: AES-GCM-256.
		name: "GCM-test-3",
		encr: kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 256, Key: unhex(`
			abbccddef00112233445566778899aababbccddef00112233445566778899aab 11223344`)},
		spi: 0x4a2cbfe3, seq: 2, iv: unhex("0102030405060708"), nh: 1,
		payload: unhex(`
			4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000
			7002400020bf0000020405b401010402`),
		packet: unhex(`
			4a2cbfe3 00000002 0102030405060708
			ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763
			748a637985771d347f0545659f14e99def842d8e b335f4eecfdbf831824b4c4915956c96`),
	},
	{
		// draft-mcgrew-gcm-test-01: empty payload, sequence number
		// 0xffffffff.
		name: "GCM-test-12-empty",
		encr: kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: unhex("7d773d00c144c525ac619d18c84a3f47 d9664267")},
		spi:  0x335467ae, seq: 0xffffffff, iv: unhex("43457e9182443bc6"), nh: 1,
		payload: nil,
		packet:  unhex("335467ae ffffffff 43457e9182443bc6 437f866b cb3f699fe9b0822bac961c4504bef270"),
	},
	{
		// draft-mcgrew-gcm-test-01: AES-GCM-256 with the largest extended
		// sequence number.
		name: "GCM-test-14-ESN-max",
		encr: kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 256, Key: unhex(`
			6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961 7475726e`)},
		esn: true, spi: 0x796b6963, seq: 0xffffffffffffffff, iv: unhex("333021696765746d"), nh: 1,
		payload: unhex(`
			45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364
			65666768696a6b6c6d6e6f7071727374`),
		packet: unhex(`
			796b6963 ffffffff 333021696765746d
			f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86
			4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9 d0937ba2945f669368661a329fb4c053`),
	},
	{
		// RFC 3602 section 4 case #5: AES-CBC-128 transport mode ICMP
		// (no ICV: the RFC's cases cover encryption only).
		name: "RFC3602-case5",
		encr: kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: unhex("90d382b410eeba7ad938c46cec1a82bf")},
		spi:  0x4321, seq: 1, iv: unhex("e96e8c08ab465763fd098d45dd3ff893"), nh: 1,
		payload: unhex(`
			08000ebda70a00008e9c083db95b070008090a0b0c0d0e0f1011121314151617
			18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637`),
		packet: unhex(`
			00004321 00000001 e96e8c08ab465763fd098d45dd3ff893
			f663c25d325c18c6a9453e194e120849a4870b66cc6b9965330013b4898dc856
			a4699e523a55db080b59ec3a8e4b7e52775b07d1db34ed9c538ab50c551b874a
			a269add047ad2d5913ac19b7cfbad4a6`),
	},
	{
		// RFC 3602 section 4 case #7: AES-CBC-128 tunnel mode.
		name: "RFC3602-case7",
		encr: kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: unhex("0123456789abcdef0123456789abcdef")},
		spi:  0x8765, seq: 2, iv: unhex("f4e765244f6407adf13dc1380f673f37"), nh: 4,
		payload: unhex(`
			45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d
			02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
			2425262728292a2b2c2d2e2f3031323334353637`),
		packet: unhex(`
			00008765 00000002 f4e765244f6407adf13dc1380f673f37
			773b5241a4c449225e4f3ce5ed611b0c237ca96cf74a93013c1b0ea1a0cf70f8
			e4ecaec78ac53aad7a0f022b859243c647752e94a859352b8a4d4d2decd136e5
			c177f132ad3fbfb2201ac9904c74ee0a109e0ca1e4dfe9d5a100b842f1c22f0d`),
	},
	{
		// RFC 3602 section 4 case #8: AES-CBC-128 tunnel mode.
		name: "RFC3602-case8",
		encr: kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: unhex("0123456789abcdef0123456789abcdef")},
		spi:  0x8765, seq: 5, iv: unhex("85d47224b5f3dd5d2101d4ea8dffab22"), nh: 4,
		payload: unhex(`
			45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083d
			a3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffff
			ffffffff`),
		packet: unhex(`
			00008765 00000005 85d47224b5f3dd5d2101d4ea8dffab22
			15b92683819596a8047232cc00f7048fe45318e11f8a0f62ede3c3fc61203bb5
			0f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb3512e5de435e7207ed971ef3
			d2726d9b5ef6affc6d17a0decbb13892`),
	},
}

// sealInto seals payload into a fresh buffer with headroom and returns
// the ESP packet.
func sealInto(t testing.TB, s *suite, payload []byte, spi uint32, seq uint64, nh uint8, iv []byte) []byte {
	t.Helper()
	buf := make([]byte, headroom+len(payload)+tailroom)
	copy(buf[headroom:], payload)
	start, end := s.seal(buf, headroom, len(payload), spi, seq, nh, new(scratch), iv)
	if end-start != s.sealedLen(len(payload)) {
		t.Fatalf("sealed %d bytes, sealedLen says %d", end-start, s.sealedLen(len(payload)))
	}
	return buf[start:end]
}

func TestESPVectors(t *testing.T) {
	for _, v := range espVectors {
		t.Run(v.name, func(t *testing.T) {
			s, err := newSuite(v.encr, kernel.Algorithm{}, v.esn)
			if err != nil {
				t.Fatal(err)
			}
			got := sealInto(t, s, v.payload, v.spi, v.seq, v.nh, v.iv)
			if !bytes.Equal(got, v.packet) {
				t.Errorf("seal:\n got %x\nwant %x", got, v.packet)
			}
			pkt := append([]byte(nil), v.packet...)
			ps, pe, nh, err := s.open(pkt, v.seq, new(scratch))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if nh != v.nh || !bytes.Equal(pkt[ps:pe], v.payload) {
				t.Errorf("open: next header %d payload %x, want %d %x", nh, pkt[ps:pe], v.nh, v.payload)
			}
			if v.esn {
				// the wrong high half must not authenticate
				pkt := append([]byte(nil), v.packet...)
				if _, _, _, err := s.open(pkt, v.seq^1<<32, new(scratch)); !errors.Is(err, errIntegrity) {
					t.Errorf("open with wrong ESN high half: %v", err)
				}
			}
		})
	}
}

// TestESPIntegrity checks the ICV of CBC and NULL suites against HMACs
// computed here with the standard library, with and without ESN.
func TestESPIntegrity(t *testing.T) {
	payload := unhex("4500001c000000004001f98cc0a80001c0a800020800f7ff00000000")
	for _, tc := range []struct {
		integ uint16
		h     func() hash.Hash
		icv   int
	}{
		{crypto.AuthHMACSHA196, sha1.New, 12},
		{crypto.AuthHMACSHA256128, sha256.New, 16},
		{crypto.AuthHMACSHA384192, sha512.New384, 24},
		{crypto.AuthHMACSHA512256, sha512.New, 32},
		{crypto.AuthAESXCBC96, nil, 12},
		{crypto.AuthAESCMAC96, nil, 12},
	} {
		for _, encr := range []uint16{crypto.EncrAESCBC, crypto.EncrNull} {
			for _, esn := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/esn=%v", crypto.AlgorithmName(crypto.TransformENCR, encr),
					crypto.AlgorithmName(crypto.TransformINTEG, tc.integ), esn)
				t.Run(name, func(t *testing.T) {
					klen, _ := crypto.IntegKeySize(tc.integ)
					ikey := bytes.Repeat([]byte{0x0b}, klen)
					ea := kernel.Algorithm{ID: encr}
					if encr == crypto.EncrAESCBC {
						ea.KeyLen, ea.Key = 256, bytes.Repeat([]byte{0x42}, 32)
					}
					s, err := newSuite(ea, kernel.Algorithm{ID: tc.integ, Key: ikey}, esn)
					if err != nil {
						t.Fatal(err)
					}
					seq := uint64(0x0000000700000009)
					if !esn {
						seq = 9
					}
					pkt := sealInto(t, s, payload, 0xc0ffee01, seq, 4, nil)
					body, icv := pkt[:len(pkt)-tc.icv], pkt[len(pkt)-tc.icv:]
					var want []byte
					var data [][]byte
					data = append(data, body)
					if esn {
						data = append(data, []byte{0, 0, 0, 7})
					}
					if tc.h != nil {
						m := hmac.New(tc.h, ikey)
						for _, d := range data {
							m.Write(d)
						}
						want = m.Sum(nil)[:tc.icv]
					} else {
						want, _ = crypto.Integ(tc.integ, ikey, data...)
					}
					if !bytes.Equal(icv, want) {
						t.Errorf("ICV %x, want %x", icv, want)
					}
					if binary.BigEndian.Uint32(pkt[4:]) != 9 {
						t.Errorf("sequence number on the wire %x", pkt[4:8])
					}
					if encr == crypto.EncrNull && !bytes.Equal(pkt[8:8+len(payload)], payload) {
						t.Errorf("NULL encryption changed the payload")
					}
					ps, pe, nh, err := s.open(append([]byte(nil), pkt...), seq, new(scratch))
					if err != nil || nh != 4 || pe-ps != len(payload) {
						t.Fatalf("open: %v nh %d len %d", err, nh, pe-ps)
					}
					for i := range pkt {
						bad := append([]byte(nil), pkt...)
						bad[i] ^= 0x80
						if _, _, _, err := s.open(bad, seq, new(scratch)); !errors.Is(err, errIntegrity) {
							t.Fatalf("flipped byte %d: %v", i, err)
						}
					}
				})
			}
		}
	}
}

// TestESPRoundTrip seals and opens payloads of every length class with
// every suite, and checks tampering, alignment and padding rules.
func TestESPRoundTrip(t *testing.T) {
	key := func(n int) []byte { return bytes.Repeat([]byte{0x5a}, n) }
	suites := []struct {
		name         string
		encr, integ  kernel.Algorithm
		align, icv   int
		ivLen, hdrIV int
	}{
		{"aes128gcm8", kernel.Algorithm{ID: crypto.EncrAESGCM8, KeyLen: 128, Key: key(20)}, kernel.Algorithm{}, 4, 8, 8, 8},
		{"aes192gcm12", kernel.Algorithm{ID: crypto.EncrAESGCM12, KeyLen: 192, Key: key(28)}, kernel.Algorithm{}, 4, 12, 8, 8},
		{"aes256gcm16", kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 256, Key: key(36)}, kernel.Algorithm{}, 4, 16, 8, 8},
		{"chacha20poly1305", kernel.Algorithm{ID: crypto.EncrChaCha20Poly1305, Key: key(36)}, kernel.Algorithm{}, 4, 16, 8, 8},
		{"aes128-sha256", kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: key(16)},
			kernel.Algorithm{ID: crypto.AuthHMACSHA256128, Key: key(32)}, 16, 16, 16, 16},
		{"null-sha1", kernel.Algorithm{ID: crypto.EncrNull}, kernel.Algorithm{ID: crypto.AuthHMACSHA196, Key: key(20)}, 4, 12, 0, 0},
	}
	for _, tc := range suites {
		for _, esn := range []bool{false, true} {
			s, err := newSuite(tc.encr, tc.integ, esn)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if s.align != tc.align || s.icvLen != tc.icv || s.ivLen != tc.ivLen {
				t.Errorf("%s: align %d icv %d iv %d", tc.name, s.align, s.icvLen, s.ivLen)
			}
			for _, n := range []int{0, 1, 2, 3, 13, 14, 15, 16, 17, 64, 1400, 9000} {
				payload := bytes.Repeat([]byte{byte(n)}, n)
				seq := uint64(n)<<32 | 77
				if !esn {
					seq = 77
				}
				pkt := sealInto(t, s, payload, 0xc1234567, seq, 41, nil)
				if (len(pkt)-espHeaderLen-s.ivLen-s.icvLen)%s.align != 0 {
					t.Errorf("%s n=%d: ciphertext not aligned", tc.name, n)
				}
				if s.kind == kindAEAD && !bytes.Equal(pkt[8:16], binary.BigEndian.AppendUint64(nil, seq)) {
					t.Errorf("%s: AEAD IV %x is not the sequence number", tc.name, pkt[8:16])
				}
				ps, pe, nh, err := s.open(pkt, seq, new(scratch))
				if err != nil || nh != 41 || !bytes.Equal(pkt[ps:pe], payload) {
					t.Fatalf("%s esn=%v n=%d: open %v nh %d", tc.name, esn, n, err, nh)
				}
			}
			// tampered ciphertext and ICV
			pkt := sealInto(t, s, []byte("hello, tunnel"), 1, 5, 4, nil)
			pkt[len(pkt)-1] ^= 1
			if _, _, _, err := s.open(pkt, 5, new(scratch)); !errors.Is(err, errIntegrity) {
				t.Errorf("%s: tampered ICV: %v", tc.name, err)
			}
			if _, _, _, err := s.open(pkt[:10], 5, new(scratch)); err == nil {
				t.Errorf("%s: truncated packet accepted", tc.name)
			}
		}
	}
}

// TestESPPaddingCheck: a packet whose padding is not 1, 2, 3, ... is
// rejected even though it authenticates (RFC 4303 2.4).
func TestESPPaddingCheck(t *testing.T) {
	s, err := newSuite(kernel.Algorithm{ID: crypto.EncrNull}, kernel.Algorithm{ID: crypto.AuthHMACSHA256128, Key: make([]byte, 32)}, false)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	// payload "abcd", padding 01 09, pad length 2, next header 4
	copy(buf[8:], []byte{'a', 'b', 'c', 'd', 1, 9, 2, 4})
	binary.BigEndian.PutUint32(buf, 7)
	binary.BigEndian.PutUint32(buf[4:], 1)
	sc := new(scratch)
	s.mac(sc, buf[:16], 1)
	copy(buf[16:], sc.icv[:16])
	if _, _, _, err := s.open(buf[:32], 1, sc); !errors.Is(err, errPadding) {
		t.Errorf("bad padding: %v", err)
	}
	// pad length beyond the payload
	copy(buf[8:], []byte{'a', 'b', 'c', 'd', 1, 2, 9, 4})
	s.mac(sc, buf[:16], 1)
	copy(buf[16:], sc.icv[:16])
	if _, _, _, err := s.open(buf[:32], 1, sc); !errors.Is(err, errPadding) {
		t.Errorf("long pad length: %v", err)
	}
}

func TestSuiteErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		encr, integ kernel.Algorithm
	}{
		{"3des", kernel.Algorithm{ID: crypto.Encr3DES, Key: make([]byte, 24)}, kernel.Algorithm{ID: crypto.AuthHMACSHA196, Key: make([]byte, 20)}},
		{"gcm with integ", kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: make([]byte, 20)}, kernel.Algorithm{ID: crypto.AuthHMACSHA196, Key: make([]byte, 20)}},
		{"gcm short key", kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: make([]byte, 16)}, kernel.Algorithm{}},
		{"cbc key length", kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 256, Key: make([]byte, 16)}, kernel.Algorithm{}},
		{"null alone", kernel.Algorithm{ID: crypto.EncrNull}, kernel.Algorithm{}},
		{"integ key", kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: make([]byte, 16)}, kernel.Algorithm{ID: crypto.AuthHMACSHA256128, Key: make([]byte, 20)}},
	} {
		if _, err := newSuite(tc.encr, tc.integ, false); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// TestSealOpenAllocs: no allocation per packet in the suites the hot path
// uses (AES-GCM-8 and XCBC/CMAC go through allocating helpers).
func TestSealOpenAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	suites := append([]benchSuite{
		{"aes256gcm12", kernel.Algorithm{ID: crypto.EncrAESGCM12, KeyLen: 256, Key: bytes.Repeat([]byte{1}, 36)}, kernel.Algorithm{}},
		{"null-sha1", kernel.Algorithm{ID: crypto.EncrNull}, kernel.Algorithm{ID: crypto.AuthHMACSHA196, Key: bytes.Repeat([]byte{2}, 20)}},
	}, benchSuites...)
	for _, bs := range suites {
		for _, esn := range []bool{false, true} {
			s, err := newSuite(bs.encr, bs.integ, esn)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, headroom+1400+tailroom)
			sc := new(scratch)
			var seq uint64
			var start, end int
			seal := testing.AllocsPerRun(100, func() {
				seq++
				start, end = s.seal(buf, headroom, 1400, 1, seq, 4, sc, nil)
			})
			pkt := append([]byte(nil), buf[start:end]...)
			work := make([]byte, len(pkt))
			open := testing.AllocsPerRun(100, func() {
				copy(work, pkt)
				if _, _, _, err := s.open(work, seq, sc); err != nil {
					t.Fatal(err)
				}
			})
			if seal != 0 || open != 0 {
				t.Errorf("%s esn=%v: %v allocations to seal, %v to open", bs.name, esn, seal, open)
			}
		}
	}
}
