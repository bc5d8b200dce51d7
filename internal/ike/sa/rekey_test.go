package sa

import (
	"bytes"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/kernel"
)

// crossCheck requires that the two hosts' kernels hold the same SAs
// crosswise (an outbound SA of one is an inbound SA of the other with the
// same keys) and returns the number of SAs per host.
func crossCheck(t *testing.T, a, b *host) int {
	t.Helper()
	as, bs := a.kernel.SAs(), b.kernel.SAs()
	if len(as) != len(bs) {
		t.Fatalf("%s has %d SAs, %s %d", a.name, len(as), b.name, len(bs))
	}
	return subsetCheck(t, a, b)
}

// subsetCheck requires a counterpart in b for every SA of a.
func subsetCheck(t *testing.T, a, b *host) int {
	t.Helper()
	as, bs := a.kernel.SAs(), b.kernel.SAs()
	for _, x := range as {
		found := false
		for _, y := range bs {
			if x.SPI == y.SPI && x.Inbound != y.Inbound && bytes.Equal(x.Encr.Key, y.Encr.Key) && bytes.Equal(x.Integ.Key, y.Integ.Key) {
				found = true
			}
		}
		if !found {
			t.Fatalf("SA %08x of %s has no counterpart", x.SPI, a.name)
		}
	}
	return len(as)
}

func establishNet(t *testing.T, moonExtra, sunExtra string) (*testEnv, *host, *host) {
	e := newTestEnv(t)
	mc, sc := netConf(moonExtra, sunExtra)
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	return e, moon, sun
}

func TestChildRekey(t *testing.T) {
	for _, pfs := range []bool{false, true} {
		name := "without PFS"
		extra := ""
		if pfs {
			name, extra = "with PFS", "\tesp=aes128gcm16-ecp256!\n"
		}
		t.Run(name, func(t *testing.T) {
			e, moon, sun := establishNet(t, extra, extra)
			old := moon.established()[0].Children[0]
			moon.mgr.Post(moon.established()[0].UniqueID, func(s *IKESA) { s.RekeyChild(s.Children[0]) })
			e.settle()
			e.settle()
			m, s := moon.established(), sun.established()
			if len(m[0].Children) != 1 || len(s[0].Children) != 1 {
				t.Fatalf("children after rekey: %d %d", len(m[0].Children), len(s[0].Children))
			}
			n := m[0].Children[0]
			if n.SPIIn == old.SPIIn || n.ReqID != old.ReqID || n.State != ChildInstalled {
				t.Fatalf("rekeyed CHILD_SA: %+v (old %+v)", n, old)
			}
			if crossCheck(t, moon, sun) != 2 {
				t.Fatal("old SAs not removed")
			}
			// the new CHILD_SA's policies (out, in, fwd) are in force on
			// both ends and point to the new SAs
			for _, h := range []*host{moon, sun} {
				ps := h.kernel.Policies()
				if len(ps) != 3 {
					t.Fatalf("%s has %d policies after the rekey", h.name, len(ps))
				}
				for _, p := range ps {
					if p.SPI == old.SPIIn || p.SPI == old.SPIOut {
						t.Fatalf("%s: policy %v still uses the old SA", h.name, p.Dir)
					}
				}
			}
			if !moon.logHas("generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No") ||
				!sun.logHas("received DELETE for ESP CHILD_SA with SPI") {
				t.Fatal("rekey exchanges not as charon's")
			}
			if pfs != strings.Contains(moon.log(), "CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]") {
				t.Fatalf("PFS KE payload presence wrong (pfs %v)", pfs)
			}
		})
	}
}

func TestIKERekey(t *testing.T) {
	e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
	old := moon.established()[0]
	sun.mgr.Post(sun.established()[0].UniqueID, func(s *IKESA) { s.Rekey() })
	e.settle()
	e.settle()
	m, s := moon.established(), sun.established()
	if len(m) != 1 || len(s) != 1 || moon.mgr.Count() != 1 || sun.mgr.Count() != 1 {
		t.Fatalf("after IKE rekey: moon %d/%d, sun %d/%d", len(m), moon.mgr.Count(), len(s), sun.mgr.Count())
	}
	if m[0].SPIi == old.SPIi || m[0].SPIi != s[0].SPIi || m[0].SPIr != s[0].SPIr {
		t.Fatalf("new IKE SPIs wrong: %x/%x vs %x/%x", m[0].SPIi, m[0].SPIr, s[0].SPIi, s[0].SPIr)
	}
	if m[0].Initiator || !s[0].Initiator {
		t.Fatal("the rekeying peer (sun) must be the new SA's initiator")
	}
	if len(m[0].Children) != 1 || len(s[0].Children) != 1 || crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not moved to the new IKE_SA")
	}
	// the new IKE_SA works: rekey the CHILD_SA over it
	moon.mgr.Post(m[0].UniqueID, func(s *IKESA) { s.RekeyChild(s.Children[0]) })
	e.settle()
	e.settle()
	if crossCheck(t, moon, sun) != 2 || !moon.logHas("generating CREATE_CHILD_SA request 0 [ N(REKEY_SA) SA No TSi TSr ]") {
		t.Fatal("CHILD_SA rekey over the rekeyed IKE_SA failed")
	}
}

func TestDPD(t *testing.T) {
	e, moon, sun := establishNet(t, "\tdpddelay=30s\n\tdpdaction=clear\n", "")
	// an idle SA gets a liveness check after dpddelay
	e.clock.Advance(30 * time.Second)
	e.settle()
	if !moon.logHas("generating INFORMATIONAL request 2 [ ]") || !sun.logHas("generating INFORMATIONAL response 2 [ ]") {
		t.Fatal("no DPD exchange")
	}
	// traffic on the CHILD_SA postpones it
	c := moon.established()[0].Children[0]
	moon.kernel.SetUsage(kernel.SAID{Src: c.RemoteAddr, Dst: c.LocalAddr, SPI: c.SPIIn, Proto: c.Proto},
		kernel.Usage{Bytes: 84, Packets: 1, LastUse: e.clock.Now().Add(20 * time.Second)})
	e.clock.Advance(30 * time.Second)
	e.settle()
	if moon.logHas("INFORMATIONAL request 3") {
		t.Fatal("DPD sent although traffic arrived")
	}
	// sun disappears: DPD retransmits, gives up, dpdaction=clear
	e.net.filter = func(Packet) bool { return false }
	for i := 0; i < 12 && moon.mgr.Count() > 0; i++ {
		next, ok := e.clock.Next()
		if !ok {
			break
		}
		e.clock.Advance(next.Sub(e.clock.Now()))
		e.settle()
	}
	if moon.mgr.Count() != 0 || len(moon.kernel.SAs()) != 0 || !moon.logHas("giving up after 5 retransmits") {
		t.Fatalf("dead peer not cleared: %d SAs", moon.mgr.Count())
	}
}

type updownCounter struct {
	mu       sync.Mutex
	up, down int
}

func (u *updownCounter) ChildUpDown(_ *IKESA, _ *ChildSA, up bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if up {
		u.up++
	} else {
		u.down++
	}
}

func (u *updownCounter) get() (int, int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.up, u.down
}

// TestUpDownEventsAcrossRekey: like charon, a CHILD_SA rekey raises no up
// or down events (updown scripts run once per tunnel, not per rekey).
func TestUpDownEventsAcrossRekey(t *testing.T) {
	e, moon, _ := establishNet(t, "", "")
	cnt := &updownCounter{}
	id := moon.established()[0].UniqueID
	moon.mgr.Post(id, func(s *IKESA) { s.env.Bus.Subscribe(cnt) })
	e.settle()
	for i := 0; i < 2; i++ {
		moon.mgr.Post(id, func(s *IKESA) { s.RekeyChild(s.Children[0]) })
		e.settle()
	}
	if up, down := cnt.get(); up != 0 || down != 0 {
		t.Fatalf("rekeys raised %d up and %d down events", up, down)
	}
	moon.mgr.Post(id, func(s *IKESA) { s.DeleteChild(s.Children[0]) })
	e.settle()
	if up, down := cnt.get(); up != 0 || down != 1 {
		t.Fatalf("delete raised %d up and %d down events", up, down)
	}
}

// DPD probes every dpddelay on an idle tunnel even when each response
// arrives a little after the check that sent the request (charon
// reschedules at dpddelay minus the idle time, in whole seconds).
func TestDPDCadence(t *testing.T) {
	e, moon, _ := establishNet(t, "\tdpddelay=3s\n\tdpdaction=clear\n", "")
	id := moon.established()[0].UniqueID
	for i := 0; i < 10; i++ {
		e.run(3 * time.Second)
		// the response came in 150 ms after the request
		moon.mgr.Post(id, func(s *IKESA) { s.lastRecv = s.env.Clock.Now().Add(150 * time.Millisecond) })
		e.settle()
	}
	if n := strings.Count(moon.log(), "sending DPD request"); n != 10 {
		t.Fatalf("%d DPD requests in 30 s with dpddelay=3s, want 10", n)
	}
}

// NAT-T keepalives go out keep_alive seconds after the last packet sent
// to the peer, and are logged as charon does.
func TestKeepaliveInterval(t *testing.T) {
	e := newTestEnv(t)
	e.settings = func(s *Settings) { s.KeepAlive = 20 * time.Second }
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	e.addHost("sun", "192.168.0.2", strings.Replace(sunNet, "right=192.168.0.1", "right=%any", 1), netPSK, 2)
	e.net.nat = &natBox{inside: moon.addr, public: netip.MustParseAddr("192.168.0.254"), ports: map[uint16]uint16{500: 1025, 4500: 1026}}
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	e.run(20 * time.Second)
	if n := strings.Count(moon.log(), "sending keep alive to 192.168.0.2[4500]"); n != 1 {
		t.Fatalf("%d keepalives logged keep_alive after IKE_AUTH, want 1", n)
	}
	e.run(20 * time.Second)
	if n := strings.Count(moon.log(), "sending keep alive to"); n != 2 {
		t.Fatalf("%d keepalives after 40 s, want 2", n)
	}
}
