package dhcp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"golang.org/x/net/bpf"

	"github.com/goswan/goswan/internal/clock"
)

func offerPacket() []byte {
	q, _ := dhcpv4.NewDiscovery([]byte{0x7a, 0xa7, 1, 2, 3, 4})
	r := replyTo(q, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.5"), leaseOpts(60)...)
	return ipUDP(r.ToBytes(), serverAddr, netip.MustParseAddr("255.255.255.255"), 67, 68)
}

// withIPOptions inserts 4 octets of IP options (NOPs and an end).
func withIPOptions(p []byte) []byte {
	out := append([]byte{}, p[:20]...)
	out[0] = 0x46
	out = append(out, 1, 1, 1, 0)
	out = append(out, p[20:]...)
	out[2], out[3] = byte(len(out)>>8), byte(len(out))
	return out
}

func TestReplyFilter(t *testing.T) {
	vm, err := bpf.NewVM(replyFilter())
	if err != nil {
		t.Fatal(err)
	}
	good := offerPacket()
	mod := func(f func(p []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	req, _ := dhcpv4.NewDiscovery([]byte{0x7a, 0xa7, 1, 2, 3, 4})
	for _, tc := range []struct {
		name   string
		pkt    []byte
		accept bool
	}{
		{"offer", good, true},
		{"to port 67 (relay)", mod(func(p []byte) []byte { p[23] = 67; return p }), true},
		{"IP options", withIPOptions(good), true},
		{"TCP", mod(func(p []byte) []byte { p[9] = 6; return p }), false},
		{"fragment", mod(func(p []byte) []byte { p[6] = 0x20; return p }), false},
		{"from port 68", mod(func(p []byte) []byte { p[21] = 68; return p }), false},
		{"to port 69", mod(func(p []byte) []byte { p[23] = 69; return p }), false},
		{"BOOTREQUEST", ipUDP(req.ToBytes(), serverAddr, serverAddr, 67, 68), false},
		{"hlen 16", mod(func(p []byte) []byte { p[28+2] = 16; return p }), false},
		{"no cookie", mod(func(p []byte) []byte { p[28+236] = 0; return p }), false},
		{"truncated", good[:200], false},
	} {
		n, err := vm.Run(tc.pkt)
		if err != nil && tc.accept {
			t.Errorf("%s: %v", tc.name, err)
		}
		if (n > 0) != tc.accept {
			t.Errorf("%s: filter returned %d", tc.name, n)
		}
		if tc.accept {
			if _, _, err := parseReply(tc.pkt); err != nil {
				t.Errorf("%s: parseReply: %v", tc.name, err)
			}
		} else if _, _, err := parseReply(tc.pkt); err == nil {
			t.Errorf("%s: parseReply accepted it", tc.name)
		}
	}
}

func TestParseReply(t *testing.T) {
	m, src, err := parseReply(offerPacket())
	if err != nil {
		t.Fatal(err)
	}
	if src != serverAddr || m.MessageType() != dhcpv4.MessageTypeOffer || ipv4(m.YourIPAddr).String() != "10.0.0.5" {
		t.Errorf("got %s from %s", m.Summary(), src)
	}
	// trailing link-layer padding beyond the IP total length is ignored
	if _, _, err := parseReply(append(offerPacket(), 0, 0, 0, 0)); err != nil {
		t.Error(err)
	}
}

// FuzzParseReply feeds the receive path arbitrary packets: it must never
// panic, and what it accepts must be a well-formed reply.
func FuzzParseReply(f *testing.F) {
	f.Add(offerPacket())
	f.Add(withIPOptions(offerPacket()))
	f.Add([]byte{0x45, 0, 0, 20})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		m, _, err := parseReply(pkt)
		if err != nil {
			return
		}
		if m.OpCode != dhcpv4.OpcodeBootReply || len(m.ClientHWAddr) != 6 || m.MessageType() == dhcpv4.MessageTypeNone {
			t.Fatalf("accepted %s", m.Summary())
		}
		_ = attributesOf(m)
		_ = serverID(m)
		_ = leaseTimesFrom(m, time.Unix(0, 0))
		_ = nakMessage(m)
	})
}

// FuzzHandle runs arbitrary DHCP payloads through a provider with an
// exchange waiting for them.
func FuzzHandle(f *testing.F) {
	q, _ := dhcpv4.NewDiscovery([]byte{0x7a, 0xa7, 1, 2, 3, 4})
	f.Add(replyTo(q, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.5"), leaseOpts(60)...).ToBytes())
	f.Add(replyTo(q, dhcpv4.MessageTypeNak, netip.IPv4Unspecified(), dhcpv4.OptMessage("no")).ToBytes())
	// a nil logger: a million log lines would only fill memory
	p := newProvider(settings{server: netip.AddrFrom4([4]byte{255, 255, 255, 255})}, newFakeConn(), clock.Real{}, nil)
	f.Cleanup(func() { p.Close() })
	ex, err := p.newExchange(peer("carol@strongswan.org").PeerID, q.ClientHWAddr)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) >= 8 {
			copy(payload[4:8], ex.xid[:]) // most inputs reach the exchange
		}
		p.handle(ipUDP(payload, serverAddr, serverAddr, 67, 68))
		for len(ex.replies) > 0 {
			r := <-ex.replies
			_ = serverOf(r)
			_ = attributesOf(r.m)
			_ = isAckOrNak(r)
		}
	})
}
