package sa

import (
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/kernel"
)

func traps(h *host) []kernel.Policy {
	var out []kernel.Policy
	for _, p := range h.kernel.Policies() {
		if p.Trap {
			out = append(out, p)
		}
	}
	return out
}

func acquireFor(reqid uint32) kernel.Acquire {
	ts := func(a string) kernel.TS {
		x := netip.MustParseAddr(a)
		return kernel.TS{Start: x, End: x, ToPort: 0xffff}
	}
	return kernel.Acquire{ReqID: reqid, Src: ts("10.1.0.5"), Dst: ts("10.2.0.5")}
}

// killSun drops everything until the returned function is called, and
// runs the clock until moon's DPD gave up.
func killSun(t *testing.T, e *testEnv, moon *host) (revive func()) {
	t.Helper()
	e.net.filter = func(Packet) bool { return false }
	e.run(30*time.Second + 170*time.Second)
	if !moon.logHas("giving up after 5 retransmits") {
		t.Fatal("DPD did not give up")
	}
	return func() { e.net.filter = nil }
}

// dpdaction=restart: when the peer is dead, the CHILD_SA is recreated on a
// new IKE_SA (which gets through once the peer is back).
func TestDPDActionRestart(t *testing.T) {
	e, moon, sun := establishNet(t, "\tdpddelay=30s\n\tdpdaction=restart\n", "")
	old := moon.established()[0]
	revive := killSun(t, e, moon)
	if !moon.logHas("restarting CHILD_SA net-net") || moon.mgr.Count() != 1 || moon.snapshots()[0].State != StateConnecting {
		t.Fatal("CHILD_SA not restarted")
	}
	if len(moon.kernel.SAs()) != 0 {
		t.Fatal("the dead peer's SAs are still installed")
	}
	revive()
	e.run(10 * time.Second)
	m := moon.established()
	if len(m) != 1 || len(m[0].Children) != 1 || m[0].Children[0].ReqID != old.Children[0].ReqID {
		t.Fatalf("not reestablished: %+v", m)
	}
	// the new IKE_SA's INITIAL_CONTACT replaced sun's stale one
	if sun.mgr.Count() != 1 || crossCheck(t, moon, sun) != 2 {
		t.Fatalf("sun has %d IKE_SAs", sun.mgr.Count())
	}
}

// dpdaction=hold: when the peer is dead, a trap policy is installed; the
// next packet (an acquire) initiates the connection again.
func TestDPDActionHold(t *testing.T) {
	e, moon, sun := establishNet(t, "\tdpddelay=30s\n\tdpdaction=hold\n", "")
	reqid := moon.established()[0].Children[0].ReqID
	revive := killSun(t, e, moon)
	if moon.mgr.Count() != 0 || len(moon.kernel.SAs()) != 0 {
		t.Fatal("dead IKE_SA not removed")
	}
	if tp := traps(moon); len(tp) != 3 || tp[0].ReqID != reqid {
		t.Fatalf("trap policies: %+v", tp)
	}
	if r := moon.mgr.Routes(); len(r) != 1 || r[0].State != ChildRouted || r[0].ReqID != reqid || r[0].Name != "net-net" {
		t.Fatalf("routes: %+v", r)
	}
	revive()
	moon.mgr.HandleKernelEvent(acquireFor(reqid))
	e.settle()
	if !moon.logHas("creating acquire job for policy 10.1.0.5/32 === 10.2.0.5/32 with reqid {1}") {
		t.Fatal("acquire not logged as charon does")
	}
	m := moon.established()
	if len(m) != 1 || len(m[0].Children) != 1 || m[0].Children[0].ReqID != reqid || crossCheck(t, moon, sun) != 2 {
		t.Fatalf("acquire did not reestablish: %+v", m)
	}
}

// closeaction when the peer deletes the IKE_SA: restart reestablishes it,
// hold installs a trap, clear (and none) leaves it closed.
func TestCloseActionIKE(t *testing.T) {
	for _, action := range []string{"restart", "hold", "clear"} {
		t.Run(action, func(t *testing.T) {
			e, moon, sun := establishNet(t, "\tcloseaction="+action+"\n", "")
			sun.mgr.Post(sun.snapshots()[0].UniqueID, func(s *IKESA) { s.Delete() })
			e.settle()
			if !moon.logHas("received DELETE for IKE_SA net-net[1]") {
				t.Fatal("no delete")
			}
			switch action {
			case "restart":
				m := moon.established()
				if !moon.logHas("restarting CHILD_SA net-net") || len(m) != 1 || len(m[0].Children) != 1 ||
					crossCheck(t, moon, sun) != 2 {
					t.Fatal("not restarted")
				}
			case "hold":
				if moon.mgr.Count() != 0 || len(traps(moon)) != 3 || len(moon.mgr.Routes()) != 1 {
					t.Fatal("no trap installed")
				}
			case "clear":
				if moon.mgr.Count() != 0 || len(moon.kernel.Policies()) != 0 || len(moon.mgr.Routes()) != 0 {
					t.Fatal("something was kept or restarted")
				}
			}
		})
	}
}

// closeaction=restart when the peer deletes only the CHILD_SA: it is
// created again on the same IKE_SA, with the same reqid.
func TestCloseActionChildRestart(t *testing.T) {
	e, moon, sun := establishNet(t, "\tcloseaction=restart\n", "")
	old := moon.established()[0]
	sun.mgr.Post(sun.snapshots()[0].UniqueID, deleteFirstChild)
	e.settle()
	m := moon.established()
	if len(m) != 1 || m[0].UniqueID != old.UniqueID || len(m[0].Children) != 1 ||
		m[0].Children[0].SPIIn == old.Children[0].SPIIn || m[0].Children[0].ReqID != old.Children[0].ReqID ||
		crossCheck(t, moon, sun) != 2 {
		t.Fatalf("CHILD_SA not restarted: %+v", m)
	}
}

// keyingtries=%forever keeps trying to reach an unreachable peer.
func TestKeyingTriesForever(t *testing.T) {
	e := newTestEnv(t)
	mc, _ := netConf("\tkeyingtries=%forever\n", "")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	e.net.filter = func(Packet) bool { return false }
	failed := make(chan error, 1)
	if err := moon.mgr.Initiate("net-net", nil, func(err error) { failed <- err }); err != nil {
		t.Fatal(err)
	}
	e.run(4 * 166 * time.Second)
	for _, try := range []string{"(2/0)", "(3/0)", "(4/0)"} {
		if !moon.logHas("peer not responding, trying again " + try) {
			t.Fatalf("no keying try %s", try)
		}
	}
	if moon.logHas("establishing IKE_SA failed, peer not responding") {
		t.Fatal("gave up")
	}
	if ss := moon.snapshots(); len(ss) != 1 || ss[0].UniqueID != 1 || ss[0].State != StateConnecting {
		t.Fatalf("SAs: %+v", ss)
	}
	select {
	case err := <-failed:
		t.Fatalf("initiation reported %v", err)
	default:
	}
	// once the peer is there, the current try succeeds
	e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	e.net.filter = nil
	e.run(3 * time.Minute)
	select {
	case err := <-failed:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("not established")
	}
}
