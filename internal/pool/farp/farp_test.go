package farp

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
)

func ts(s string) kernel.TS {
	if p, err := netip.ParsePrefix(s); err == nil {
		p = p.Masked()
		end := p.Addr().As16()
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		for i := bits; i < 128; i++ {
			end[i/8] |= 0x80 >> (i % 8)
		}
		e := netip.AddrFrom16(end)
		if p.Addr().Is4() {
			e = e.Unmap()
		}
		return kernel.TS{Start: p.Addr(), End: e, ToPort: 0xffff}
	}
	a := netip.MustParseAddr(s)
	return kernel.TS{Start: a, End: a, ToPort: 0xffff}
}

func child(reqid uint32, local, remote []string) *sa.ChildSA {
	c := &sa.ChildSA{ReqID: reqid}
	for _, s := range local {
		c.Local = append(c.Local, ts(s))
	}
	for _, s := range remote {
		c.Remote = append(c.Remote, ts(s))
	}
	return c
}

var (
	lanHost = netip.MustParseAddr("192.168.0.10")
	vip     = netip.MustParseAddr("192.168.0.200")
)

func TestHasTunnel(t *testing.T) {
	p := &Proxy{}
	rw := child(1, []string{"192.168.0.0/24"}, []string{"192.168.0.200/32"})
	if p.HasTunnel(lanHost, vip) {
		t.Fatal("answers before any CHILD_SA")
	}
	p.ChildUpDown(nil, rw, true)
	for _, tc := range []struct {
		local, remote string
		want          bool
	}{
		{"192.168.0.10", "192.168.0.200", true},
		{"192.168.0.10", "192.168.0.201", false}, // not the VIP
		{"10.1.0.10", "192.168.0.200", false},    // requester outside the local TS
		{"192.168.0.200", "192.168.0.10", false}, // the other way round
	} {
		if got := p.HasTunnel(netip.MustParseAddr(tc.local), netip.MustParseAddr(tc.remote)); got != tc.want {
			t.Errorf("HasTunnel(%s, %s) = %v", tc.local, tc.remote, got)
		}
	}

	// rekeyed: the replacement is answered for, and its down ends it
	n := child(1, []string{"192.168.0.0/24"}, []string{"192.168.0.200/32"})
	p.ChildRekey(nil, rw, n)
	p.ChildUpDown(nil, rw, false) // a stale down of the old one changes nothing
	if !p.HasTunnel(lanHost, vip) {
		t.Fatal("lost the rekeyed CHILD_SA")
	}
	p.ChildUpDown(nil, n, false)
	if p.HasTunnel(lanHost, vip) {
		t.Fatal("answers after down")
	}
}

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		name          string
		local, remote []string
		want          bool
	}{
		{"vip", []string{"0.0.0.0/0"}, []string{"192.168.0.200"}, true},
		// 0.0.0.0/0 as remote TS would claim the whole LAN
		{"full remote", []string{"192.168.0.0/24"}, []string{"0.0.0.0/0"}, false},
		{"full remote and vip", []string{"192.168.0.0/24"}, []string{"0.0.0.0/0", "192.168.0.200"}, true},
		{"subnet", []string{"192.168.0.0/24"}, []string{"192.168.0.192/26"}, true},
		{"IPv6 only", []string{"fec0::/16"}, []string{"fec0::200"}, false},
		{"IPv6 local", []string{"fec0::/16"}, []string{"192.168.0.200"}, false},
	} {
		p := &Proxy{}
		c := child(7, tc.local, tc.remote)
		p.ChildUpDown(nil, c, true)
		if got := p.HasTunnel(lanHost, vip); got != tc.want {
			t.Errorf("%s: HasTunnel = %v", tc.name, got)
		}
		p.ChildUpDown(nil, c, false)
		if len(p.entries) != 0 {
			t.Errorf("%s: %d entries left", tc.name, len(p.entries))
		}
	}
}

// Two CHILD_SAs with one reqid: each one's down removes only its own.
func TestSharedReqid(t *testing.T) {
	p := &Proxy{}
	a := child(3, []string{"192.168.0.0/24"}, []string{"192.168.0.200"})
	b := child(3, []string{"192.168.0.0/24"}, []string{"192.168.0.201"})
	p.ChildUpDown(nil, a, true)
	p.ChildUpDown(nil, b, true)
	p.ChildUpDown(nil, a, true) // duplicate up: still one entry
	p.ChildUpDown(nil, b, false)
	if !p.HasTunnel(lanHost, vip) || p.HasTunnel(lanHost, netip.MustParseAddr("192.168.0.201")) {
		t.Error("the wrong entry went")
	}
	if len(p.entries) != 1 {
		t.Errorf("%d entries", len(p.entries))
	}
	p.ChildRekey(nil, b, a) // b had no entry: nothing happens
	p.ChildUpDown(nil, nil, true)
	p.ChildRekey(nil, nil, a)
}

func request(sender, target netip.Addr) []byte {
	b := make([]byte, arpLen)
	copy(b, []byte{0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1})
	s, t := sender.As4(), target.As4()
	copy(b[14:], s[:])
	copy(b[24:], t[:])
	return b
}

func TestParseAndReply(t *testing.T) {
	req, ok := parseRequest(request(lanHost, vip))
	if !ok || req.senderIP != lanHost || req.targetIP != vip || req.senderMAC.String() != "02:00:00:00:00:01" {
		t.Fatalf("parsed %+v %v", req, ok)
	}
	mac := net.HardwareAddr{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
	got := buildReply(req, mac)
	want := []byte{0, 1, 8, 0, 6, 4, 0, 2,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 168, 0, 200,
		0x02, 0, 0, 0, 0, 1, 192, 168, 0, 10}
	if !bytes.Equal(got, want) {
		t.Errorf("reply\n%x, want\n%x", got, want)
	}
	vm, err := bpf.NewVM(requestFilter())
	if err != nil {
		t.Fatal(err)
	}
	mod := func(i int, v byte) []byte { b := request(lanHost, vip); b[i] = v; return b }
	for _, tc := range []struct {
		name string
		pkt  []byte
		ok   bool
	}{
		{"request", request(lanHost, vip), true},
		{"padded", append(request(lanHost, vip), make([]byte, 18)...), true},
		{"reply", got, false},
		{"short", request(lanHost, vip)[:27], false},
		{"token ring", mod(1, 6), false},
		{"IPv6", mod(2, 0x86), false},
		{"hlen 8", mod(4, 8), false},
		{"plen 16", mod(5, 16), false},
	} {
		n, _ := vm.Run(tc.pkt)
		if (n > 0) != tc.ok {
			t.Errorf("%s: filter returned %d", tc.name, n)
		}
		if _, ok := parseRequest(tc.pkt); ok != tc.ok {
			t.Errorf("%s: parseRequest %v", tc.name, ok)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add(request(lanHost, vip))
	f.Add([]byte{0, 1, 8, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, ok := parseRequest(b)
		if !ok {
			return
		}
		r := buildReply(req, net.HardwareAddr{2, 0, 0, 0, 0, 2})
		if back, ok := parseRequest(r); ok || len(r) != arpLen {
			t.Fatalf("reply parses as a request: %+v", back)
		}
	})
}
