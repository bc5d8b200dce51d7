package sa

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestNATTraversal(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	// sun accepts moon from any address (it is behind a NAT)
	sun := e.addHost("sun", "192.168.0.2", strings.Replace(sunNet, "right=192.168.0.1", "right=%any", 1), netPSK, 2)
	public := netip.MustParseAddr("192.168.0.254")
	e.net.nat = &natBox{inside: moon.addr, public: public, ports: map[uint16]uint16{500: 1025, 4500: 1026}}
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("local host is behind NAT, sending keep alives") || !sun.logHas("remote host is behind NAT") {
		t.Fatal("NAT not detected")
	}
	m, s := moon.established()[0], sun.established()[0]
	if m.Local.Port() != 4500 || m.Remote.Port() != 4500 {
		t.Fatalf("moon did not float: %v...%v", m.Local, m.Remote)
	}
	if s.Remote != netip.AddrPortFrom(public, 1026) || s.Local.Port() != 4500 {
		t.Fatalf("sun's view of moon: %v...%v", s.Local, s.Remote)
	}
	for _, k := range []*host{moon, sun} {
		for _, sa := range k.kernel.SAs() {
			if !sa.Encap {
				t.Fatalf("%s: SA %08x not UDP-encapsulated", k.name, sa.SPI)
			}
		}
	}
	crossCheck(t, moon, sun)
	// keepalives while idle
	e.clock.Advance(21 * time.Second)
	e.settle()
	e.net.mu.Lock()
	keepalives := 0
	for _, p := range e.net.sent {
		if p.Keepalive {
			keepalives++
		}
	}
	e.net.mu.Unlock()
	if keepalives == 0 {
		t.Fatal("no NAT-T keepalive sent")
	}
}
