package userspace

import (
	"bytes"
	"testing"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

// FuzzParseFlow: inner packets come from the TUN device and, decrypted,
// from peers.
func FuzzParseFlow(f *testing.F) {
	f.Add(echo(hostA, hostB, 1, 1, 10))
	f.Add(l4Packet(addrA6, addrB6, protoTCP, 1, 2, []byte("x")))
	f.Add(ipv6Packet(addrA6, addrB6, 44, []byte{6, 0, 0, 8, 0, 0, 0, 1, 0, 1, 0, 2}))
	f.Add(ipv6Packet(addrA6, addrB6, 0, []byte{17, 0, 0, 0, 0, 0, 0, 0, 0, 53, 0, 53}))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		fl, ok := parseFlow(pkt)
		if !ok {
			return
		}
		if fl.total > len(pkt) || fl.hdrLen > fl.total {
			t.Fatalf("bounds: hdr %d total %d len %d", fl.hdrLen, fl.total, len(pkt))
		}
		out := make([]byte, 1400)
		if r := icmpTooBig(out, pkt[:fl.total], &fl, 1280); r != nil && !l4ChecksumOK(r) {
			t.Fatalf("ICMP error with a bad checksum: %x", r)
		}
		cp := append([]byte(nil), pkt[:fl.total]...)
		fixL4Checksum(cp, &fl)
	})
}

// FuzzOpen: ESP packets come from anyone.
func FuzzOpen(f *testing.F) {
	suites := []*suite{}
	for _, a := range []struct{ encr, integ kernel.Algorithm }{
		{kernel.Algorithm{ID: crypto.EncrAESGCM16, KeyLen: 128, Key: make([]byte, 20)}, kernel.Algorithm{}},
		{kernel.Algorithm{ID: crypto.EncrAESCBC, KeyLen: 128, Key: make([]byte, 16)}, kernel.Algorithm{}},
		{kernel.Algorithm{ID: crypto.EncrNull}, kernel.Algorithm{ID: crypto.AuthHMACSHA196, Key: make([]byte, 20)}},
	} {
		s, err := newSuite(a.encr, a.integ, false)
		if err != nil {
			f.Fatal(err)
		}
		suites = append(suites, s)
	}
	for _, s := range suites {
		f.Add(sealInto(f, s, []byte("payload"), 1, 1, 4, nil))
	}
	f.Add(bytes.Repeat([]byte{0}, 40))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		for _, s := range suites {
			b := append([]byte(nil), pkt...)
			ps, pe, _, err := s.open(b, 1, new(scratch))
			if err == nil && (ps > pe || pe > len(b)) {
				t.Fatalf("bounds %d..%d of %d", ps, pe, len(b))
			}
		}
	})
}
