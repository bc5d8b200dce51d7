package socket

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"
)

// freePorts returns two UDP ports free on loopback.
func freePorts(t *testing.T) (uint16, uint16) {
	t.Helper()
	var ports []uint16
	for len(ports) < 2 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, uint16(c.LocalAddr().(*net.UDPAddr).Port))
		c.Close()
	}
	return ports[0], ports[1]
}

func TestLoopbackIKEAndNATT(t *testing.T) {
	p, nat := freePorts(t)
	esp := make(chan []byte, 1)
	s, err := Open(Config{Port: p, NATTPort: nat, IPv4: true, RecvESP: func(_, _ netip.AddrPort, d []byte) { esp <- d }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan Datagram, 4)
	go s.Serve(func(d Datagram) { got <- d })
	lo := netip.MustParseAddr("127.0.0.1")
	msg := []byte("an IKE message, not parsed here")
	for _, port := range []uint16{p, nat} {
		a := netip.AddrPortFrom(lo, port)
		if err := s.Send(Datagram{Src: a, Dst: a, Data: msg}); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-got:
			if !bytes.Equal(d.Data, msg) || d.Dst != a || d.Src.Addr() != lo || d.Src.Port() != port {
				t.Fatalf("port %d: got %+v", port, d)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("port %d: nothing received", port)
		}
	}
	// keepalives are swallowed, ESP-in-UDP goes to RecvESP
	a := netip.AddrPortFrom(lo, nat)
	s.Send(Datagram{Src: a, Dst: a, Keepalive: true})
	if err := s.SendESP(a, a, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0xaa}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-esp:
		if !bytes.Equal(d, []byte{0, 0, 0, 1, 0, 0, 0, 1, 0xaa}) {
			t.Fatalf("ESP %x", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ESP not delivered")
	}
	select {
	case d := <-got:
		t.Fatalf("keepalive or ESP delivered as IKE: %+v", d)
	case <-time.After(100 * time.Millisecond):
	}
}
