package sa

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
)

// With reauth=no the IKE_SA is rekeyed when its rekey timer fires; the new
// IKE_SA gets its own timers, the CHILD_SA keeps its own (they now run on
// the new IKE_SA).
func TestIKERekeyTimer(t *testing.T) {
	e, moon, sun := establishNet(t, shortIKELifetime+"\treauth=no\n", "\treauth=no\n")
	old := moon.established()[0]
	if !moon.logHas("scheduling rekeying in 1140s") || !moon.logHas("maximum IKE_SA lifetime 1200s") {
		t.Fatal("rekeying not scheduled as configured")
	}
	childRekeyAt := old.Children[0].RekeyAt
	e.run(19*time.Minute + time.Second)
	m, s := moon.established(), sun.established()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(m) != 1 || m[0].SPIi == old.SPIi || m[0].SPIi != s[0].SPIi {
		t.Fatalf("IKE_SA not rekeyed: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
	if !moon.logHas("IKE_SA net-net[2] rekeyed between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]") {
		t.Fatal("rekeying not logged as charon does")
	}
	if want := e.clock.Now().Add(1140*time.Second - time.Second); !m[0].RekeyAt.Equal(want) {
		t.Fatalf("new IKE_SA rekeys at %v, want %v", m[0].RekeyAt, want)
	}
	if len(m[0].Children) != 1 || !m[0].Children[0].RekeyAt.Equal(childRekeyAt) || crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not moved with its lifetimes")
	}
	// and again on the new IKE_SA
	e.run(19 * time.Minute)
	if m2 := moon.established(); len(m2) != 1 || m2[0].SPIi == m[0].SPIi || moon.mgr.Count() != 1 {
		t.Fatal("the rekeyed IKE_SA was not rekeyed again")
	}
}

const shortLifetime = "\tlifetime=20m\n\tmargintime=1m\n\trekeyfuzz=0%\n"

// A CHILD_SA is rekeyed when its rekey timer fires, again and again.
func TestChildRekeyTimer(t *testing.T) {
	e, moon, sun := establishNet(t, shortLifetime, "")
	first := moon.established()[0].Children[0]
	if want := e.clock.Now().Add(19 * time.Minute); !first.RekeyAt.Equal(want) || !first.ExpireAt.Equal(want.Add(time.Minute)) {
		t.Fatalf("CHILD_SA lifetimes %v/%v", first.RekeyAt, first.ExpireAt)
	}
	e.run(19*time.Minute + time.Second)
	second := moon.established()[0].Children[0]
	if second.SPIIn == first.SPIIn || second.ReqID != first.ReqID || crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not rekeyed by its timer")
	}
	e.run(19 * time.Minute)
	if third := moon.established()[0].Children[0]; third.SPIIn == second.SPIIn || crossCheck(t, moon, sun) != 2 {
		t.Fatal("the rekeyed CHILD_SA was not rekeyed again")
	}
	if moon.logHas("closing expired CHILD_SA") {
		t.Fatal("a CHILD_SA expired")
	}
}

func inboundID(h *host, c ChildSnapshot) kernel.SAID {
	return kernel.SAID{Src: c.RemoteAddr, Dst: c.LocalAddr, SPI: c.SPIIn, Proto: c.Proto}
}

// The kernel's soft expire rekeys the CHILD_SA, for the inbound and the
// outbound SA alike.
func TestChildSoftExpire(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	c := moon.established()[0].Children[0]
	moon.mgr.HandleKernelEvent(kernel.Expire{ID: inboundID(moon, c), ReqID: c.ReqID})
	e.settle()
	if !moon.logHas(fmt.Sprintf("creating rekey job for CHILD_SA ESP/0x%08x/192.168.0.1", c.SPIIn)) {
		t.Fatal("expire not logged as charon does")
	}
	n := moon.established()[0].Children[0]
	if n.SPIIn == c.SPIIn || crossCheck(t, moon, sun) != 2 {
		t.Fatal("soft expire did not rekey")
	}
	// an expire for the outbound SA (dst is the peer)
	moon.mgr.HandleKernelEvent(kernel.Expire{ID: kernel.SAID{Src: n.LocalAddr, Dst: n.RemoteAddr, SPI: n.SPIOut,
		Proto: kernel.ProtoESP}})
	e.settle()
	if moon.established()[0].Children[0].SPIIn == n.SPIIn || crossCheck(t, moon, sun) != 2 {
		t.Fatal("soft expire of the outbound SA did not rekey")
	}
	// an unknown SA
	moon.mgr.HandleKernelEvent(kernel.Expire{ID: kernel.SAID{Dst: netip.MustParseAddr("192.168.0.1"), SPI: 0x1234,
		Proto: kernel.ProtoESP}})
	e.settle()
	if !moon.logHas("CHILD_SA ESP/0x00001234/192.168.0.1 not found for rekey") {
		t.Fatal("unknown SA not logged")
	}
}

// The kernel's hard expire deletes the CHILD_SA and creates it anew.
func TestChildHardExpire(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	c := moon.established()[0].Children[0]
	moon.mgr.HandleKernelEvent(kernel.Expire{ID: inboundID(moon, c), ReqID: c.ReqID, Hard: true})
	e.settle()
	for _, want := range []string{
		fmt.Sprintf("creating delete job for CHILD_SA ESP/0x%08x/192.168.0.1", c.SPIIn),
		fmt.Sprintf("closing expired CHILD_SA net-net{1} with SPIs %08x_i %08x_o and TS 10.1.0.0/16 === 10.2.0.0/16", c.SPIIn, c.SPIOut),
		"scheduling CHILD_SA recreate after hard expire",
		"establishing CHILD_SA net-net{2} reqid 1",
	} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	m := moon.established()
	if len(m[0].Children) != 1 || m[0].Children[0].SPIIn == c.SPIIn || m[0].Children[0].ReqID != c.ReqID ||
		crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not recreated after its hard expire")
	}
}

// The CHILD_SA's hard lifetime timer deletes it when it could not be
// rekeyed in time: here the peer refuses while it rekeys the IKE_SA (its
// request does not arrive). Once the IKE_SA is rekeyed, the CHILD_SA is
// created again.
func TestChildHardLifetimeTimer(t *testing.T) {
	e, moon, sun := establishNet(t, "\tlifetime=20m\n\tmargintime=10s\n\trekeyfuzz=0%\n\treauth=no\n", "\treauth=no\n")
	c := moon.established()[0].Children[0]
	e.run(19*time.Minute + 40*time.Second)
	release := e.net.hold(func(p Packet) bool {
		h, ok := exchangeOf(p)
		return ok && p.Src.Addr() == sun.addr && h.Exchange == message.ExchangeCreateChildSA && h.IsRequest()
	})
	sun.mgr.Post(sun.snapshots()[0].UniqueID, func(s *IKESA) { s.Rekey() })
	e.run(21 * time.Second)
	for _, want := range []string{"CHILD_SA rekeying failed, trying again in",
		fmt.Sprintf("closing expired CHILD_SA net-net{1} with SPIs %08x_i", c.SPIIn),
		"scheduling CHILD_SA recreate after hard expire", "creating CHILD_SA failed, trying again in"} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(moon.kernel.SAs()) != 0 {
		t.Fatal("the expired CHILD_SA is still installed")
	}
	release()
	e.run(time.Minute)
	m, s := moon.established(), sun.established()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(m) != 1 || len(s) != 1 || len(m[0].Children) != 1 ||
		crossCheck(t, moon, sun) != 2 {
		t.Fatalf("after the IKE_SA rekeying: moon %+v", m)
	}
}

type rekeyRecorder struct {
	mu           sync.Mutex
	ike, child   int
	oldID, newID uint32
}

func (r *rekeyRecorder) IKERekey(old, n *IKESA) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ike++
	r.oldID, r.newID = old.UniqueID, n.UniqueID
}

func (r *rekeyRecorder) ChildRekey(_ *IKESA, old, n *ChildSA) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.child++
}

// Extensions hear about rekeyings through the bus, on both ends.
func TestRekeyBusHooks(t *testing.T) {
	e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
	var recs [2]rekeyRecorder
	for i, h := range []*host{moon, sun} {
		h.mgr.env.Bus.Subscribe(&recs[i])
	}
	old := moon.established()[0].UniqueID
	moon.mgr.Post(old, rekeyFirstChild)
	e.settle()
	moon.mgr.Post(old, func(s *IKESA) { s.Rekey() })
	e.settle()
	for i := range recs {
		r := &recs[i]
		r.mu.Lock()
		if r.child != 1 || r.ike != 1 {
			t.Errorf("host %d heard %d CHILD_SA and %d IKE_SA rekeyings", i, r.child, r.ike)
		}
		r.mu.Unlock()
	}
	if recs[0].oldID != old || recs[0].newID != moon.established()[0].UniqueID {
		t.Fatalf("IKE_SA rekey hook got %d -> %d", recs[0].oldID, recs[0].newID)
	}
}
