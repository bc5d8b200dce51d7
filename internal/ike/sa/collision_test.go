package sa

import (
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
)

// requestsOf matches the requests of an exchange type (to hold them back
// and create simultaneous exchanges).
func requestsOf(x message.ExchangeType) func(Packet) bool {
	return func(p Packet) bool {
		h, ok := exchangeOf(p)
		return ok && h.Exchange == x && h.IsRequest()
	}
}

// both posts f to the (single) IKE_SA of moon and of sun, with the
// exchanges they start held back until both requests were sent; then both
// are delivered at once.
func (e *testEnv) both(x message.ExchangeType, moon, sun *host, fm, fs func(*IKESA)) {
	e.t.Helper()
	match := requestsOf(x)
	before := e.net.count(match)
	release := e.net.hold(match)
	moon.mgr.Post(moon.snapshots()[0].UniqueID, fm)
	sun.mgr.Post(sun.snapshots()[0].UniqueID, fs)
	e.settle()
	if n := e.net.count(match) - before; n != 2 {
		e.t.Fatalf("%d %v requests held, want 2", n, x)
	}
	release()
	e.settle()
}

// bothLog requires that one host logged a and the other b.
func bothLog(t *testing.T, h1, h2 *host, a, b string) {
	t.Helper()
	if !(h1.logHas(a) && h2.logHas(b)) && !(h1.logHas(b) && h2.logHas(a)) {
		t.Fatalf("want one of %s, %s to log %q and the other %q", h1.name, h2.name, a, b)
	}
}

// logLine reports whether one line of h's log contains all parts.
func (h *host) logLine(parts ...string) bool {
	for _, l := range strings.Split(h.log(), "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

func rekeyFirstChild(s *IKESA)  { s.RekeyChild(s.Children[0]) }
func deleteFirstChild(s *IKESA) { s.DeleteChild(s.Children[0]) }

// RFC 7296 section 2.8.1: both peers rekey the same CHILD_SA. Both
// exchanges complete; the CHILD_SA created with the lowest nonce is
// deleted by its creator, the winner deletes the old one.
func TestChildRekeyCollision(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	old := moon.established()[0].Children[0]
	e.both(message.ExchangeCreateChildSA, moon, sun, rekeyFirstChild, rekeyFirstChild)
	for _, h := range []*host{moon, sun} {
		if !h.logHas("detected CHILD_REKEY collision with CHILD_REKEY") {
			t.Fatalf("%s did not detect the collision", h.name)
		}
	}
	bothLog(t, moon, sun, "CHILD_SA rekey collision won, deleting old child net-net{1}",
		"CHILD_SA rekey collision lost, deleting redundant child net-net{")
	m, s := moon.established(), sun.established()
	if len(m) != 1 || len(s) != 1 || len(m[0].Children) != 1 || len(s[0].Children) != 1 {
		t.Fatalf("after the collision: moon %+v, sun %+v", m, s)
	}
	mc, sc := m[0].Children[0], s[0].Children[0]
	if mc.SPIIn != sc.SPIOut || mc.SPIOut != sc.SPIIn || mc.State != ChildInstalled || sc.State != ChildInstalled {
		t.Fatalf("surviving CHILD_SAs differ: %+v / %+v", mc, sc)
	}
	if mc.SPIIn == old.SPIIn || mc.SPIOut == old.SPIOut || mc.ReqID != old.ReqID {
		t.Fatalf("surviving CHILD_SA %+v is not a rekeyed one of %+v", mc, old)
	}
	if crossCheck(t, moon, sun) != 2 {
		t.Fatal("old or redundant SAs left in the kernel")
	}
	// the survivor works: rekey it again
	moon.mgr.Post(m[0].UniqueID, rekeyFirstChild)
	e.settle()
	if crossCheck(t, moon, sun) != 2 || moon.established()[0].Children[0].SPIIn == mc.SPIIn {
		t.Fatal("rekeying the surviving CHILD_SA failed")
	}
}

// A CHILD_SA rekeying collides with the peer deleting the same CHILD_SA,
// either way round: the peer answers TEMPORARY_FAILURE, the rekeying gives
// up without retrying, and the CHILD_SA is gone on both ends.
func TestChildRekeyDeleteCollision(t *testing.T) {
	for _, rekeyer := range []string{"moon", "sun"} {
		t.Run(rekeyer+" rekeys", func(t *testing.T) {
			e, moon, sun := establishNet(t, "", "")
			fm, fs := rekeyFirstChild, deleteFirstChild
			r, d := moon, sun
			if rekeyer == "sun" {
				fm, fs, r, d = fs, fm, sun, moon
			}
			release := e.net.hold(func(p Packet) bool {
				h, ok := exchangeOf(p)
				return ok && h.IsRequest() && h.Exchange != message.ExchangeIKESAInit
			})
			moon.mgr.Post(moon.snapshots()[0].UniqueID, fm)
			sun.mgr.Post(sun.snapshots()[0].UniqueID, fs)
			e.settle()
			release()
			e.settle()
			if !r.logHas("detected CHILD_REKEY collision with CHILD_DELETE") ||
				!d.logHas("unable to rekey, we are deleting the CHILD_SA") ||
				!d.logLine("generating CREATE_CHILD_SA response", "[ N(TEMP_FAIL) ]") ||
				!r.logHas("received TEMPORARY_FAILURE notify, will retry later") {
				t.Fatal("rekey/delete collision not resolved as charon does")
			}
			e.run(30 * time.Second)
			if r.logHas("CHILD_SA rekeying failed, trying again") {
				t.Fatal("rekeying of a deleted CHILD_SA retried")
			}
			for _, h := range []*host{moon, sun} {
				if ss := h.established(); len(ss) != 1 || len(ss[0].Children) != 0 || len(h.kernel.SAs()) != 0 {
					t.Fatalf("%s: %+v, kernel %v", h.name, ss, h.kernel.SAs())
				}
			}
		})
	}
}

// A CHILD_SA (or the IKE_SA) is rekeyed while the peer deletes the IKE_SA:
// the peer refuses with TEMPORARY_FAILURE and both ends lose the IKE_SA.
func TestRekeyIKEDeleteCollision(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rekey func(*IKESA)
		logs  string
	}{
		{"CHILD_SA", rekeyFirstChild, "unable to create CHILD_SA while deleting IKE_SA"},
		{"IKE_SA", func(s *IKESA) { s.Rekey() }, "peer initiated rekeying, but we are deleting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
			release := e.net.hold(func(p Packet) bool {
				h, ok := exchangeOf(p)
				return ok && h.IsRequest()
			})
			moon.mgr.Post(moon.snapshots()[0].UniqueID, tc.rekey)
			sun.mgr.Post(sun.snapshots()[0].UniqueID, func(s *IKESA) { s.Delete() })
			e.settle()
			release()
			e.settle()
			if !sun.logHas(tc.logs) || !sun.logLine("generating CREATE_CHILD_SA response", "[ N(TEMP_FAIL) ]") ||
				!moon.logHas("received DELETE for IKE_SA net-net[1]") {
				t.Fatal("rekey/delete collision not resolved as charon does")
			}
			for _, h := range []*host{moon, sun} {
				if h.mgr.Count() != 0 || len(h.kernel.SAs()) != 0 || len(h.kernel.Policies()) != 0 {
					t.Fatalf("%s: %d IKE_SAs, kernel %v %v", h.name, h.mgr.Count(), h.kernel.SAs(), h.kernel.Policies())
				}
			}
		})
	}
}

// RFC 7296 section 2.8.2: both peers rekey the IKE_SA. The new IKE_SA with
// the lowest nonce is deleted by its creator; the CHILD_SAs end up on the
// surviving IKE_SA on both ends, and the old IKE_SA is deleted.
func TestIKERekeyCollision(t *testing.T) {
	e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
	old := moon.established()[0]
	rekey := func(s *IKESA) { s.Rekey() }
	e.both(message.ExchangeCreateChildSA, moon, sun, rekey, rekey)
	for _, h := range []*host{moon, sun} {
		if !h.logHas("detected IKE_REKEY collision with IKE_REKEY") {
			t.Fatalf("%s did not detect the collision", h.name)
		}
	}
	bothLog(t, moon, sun, "IKE_SA rekey collision won, waiting for delete for redundant IKE_SA net-net[",
		"IKE_SA rekey collision lost, deleting redundant IKE_SA net-net[")
	e.settle()
	m, s := moon.established(), sun.established()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(m) != 1 || len(s) != 1 {
		t.Fatalf("IKE_SAs after the collision: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
	if m[0].SPIi == old.SPIi || m[0].SPIi != s[0].SPIi || m[0].SPIr != s[0].SPIr {
		t.Fatalf("moon and sun kept different IKE_SAs: %x/%x vs %x/%x", m[0].SPIi, m[0].SPIr, s[0].SPIi, s[0].SPIr)
	}
	if len(m[0].Children) != 1 || len(s[0].Children) != 1 || crossCheck(t, moon, sun) != 2 ||
		m[0].Children[0].SPIIn != old.Children[0].SPIIn {
		t.Fatal("CHILD_SA not moved to the surviving IKE_SA")
	}
	for _, h := range []*host{moon, sun} {
		if strings.Contains(h.log(), "giving up after") {
			t.Fatalf("%s: an exchange went unanswered", h.name)
		}
	}
	// the surviving IKE_SA works on both ends
	moon.mgr.Post(m[0].UniqueID, rekeyFirstChild)
	e.settle()
	sun.mgr.Post(s[0].UniqueID, rekeyFirstChild)
	e.settle()
	if crossCheck(t, moon, sun) != 2 || strings.Contains(moon.log()+sun.log(), "TEMP_FAIL") {
		t.Fatal("CHILD_SA rekeyings over the surviving IKE_SA failed")
	}
	// the timer that deletes a redundant IKE_SA the peer failed to delete
	// finds nothing to do
	e.run(time.Minute)
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 {
		t.Fatal("the surviving IKE_SA was deleted")
	}
}

// The peer rekeys the IKE_SA while we rekey a CHILD_SA: we refuse with
// TEMPORARY_FAILURE (a CHILD_SA is half-open), the peer refuses our
// CREATE_CHILD_SA the same way (it is rekeying the IKE_SA); both retry
// later and succeed.
func TestIKERekeyWhileChildRekey(t *testing.T) {
	e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
	old := moon.established()[0]
	e.both(message.ExchangeCreateChildSA, moon, sun, rekeyFirstChild, func(s *IKESA) { s.Rekey() })
	for _, want := range []string{"peer initiated rekeying, but a child is half-open",
		"received TEMPORARY_FAILURE notify, will retry later", "CHILD_SA rekeying failed, trying again in"} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	for _, want := range []string{"unable to create CHILD_SA while rekeying IKE_SA",
		"received TEMPORARY_FAILURE notify error", "IKE_SA rekeying failed, trying again in"} {
		if !sun.logHas(want) {
			t.Errorf("sun's log lacks %q", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	e.run(time.Minute)
	m, s := moon.established(), sun.established()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(m) != 1 || len(s) != 1 || m[0].SPIi == old.SPIi ||
		m[0].SPIi != s[0].SPIi {
		t.Fatalf("IKE_SA not rekeyed after the retry: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
	if len(m[0].Children) != 1 || m[0].Children[0].SPIIn == old.Children[0].SPIIn || crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not rekeyed after the retry")
	}
}

// A CREATE_CHILD_SA for a new CHILD_SA arrives while the IKE_SA is being
// rekeyed: TEMPORARY_FAILURE, and the CHILD_SA is created later on the
// new IKE_SA.
func TestCreateChildWhileIKERekeying(t *testing.T) {
	e, moon, sun := establishNet(t, "\treauth=no\n", "\treauth=no\n")
	done := make(chan error, 1)
	// a second CHILD_SA config (another conn's), not a duplicate of the first
	second := *moon.conf.Peers[0].Children[0]
	second.Name = "second"
	e.both(message.ExchangeCreateChildSA, moon, sun, func(s *IKESA) {
		s.InitiateChild(&second, func(err error) { done <- err })
	}, func(s *IKESA) { s.Rekey() })
	if !sun.logHas("unable to create CHILD_SA while rekeying IKE_SA") ||
		!moon.logHas("creating CHILD_SA failed, trying again in") {
		t.Fatal("CREATE_CHILD_SA during IKE_SA rekeying not refused as charon does")
	}
	e.run(time.Minute)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the CHILD_SA was not created")
	}
	m, s := moon.established(), sun.established()
	if len(m) != 1 || len(s) != 1 || len(m[0].Children) != 2 || len(s[0].Children) != 2 || crossCheck(t, moon, sun) != 4 {
		t.Fatalf("after the retries: moon %+v", m)
	}
}

// Both peers delete the same CHILD_SA at once: each answers without a
// Delete payload (it is deleting that CHILD_SA itself) and both remove it.
func TestCrossingChildDeletes(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	e.both(message.ExchangeInformational, moon, sun, deleteFirstChild, deleteFirstChild)
	for _, h := range []*host{moon, sun} {
		if !h.logLine("generating INFORMATIONAL response", "[ ]") || !h.logHas("CHILD_SA closed") {
			t.Fatalf("%s did not answer the crossing delete as charon does", h.name)
		}
		if ss := h.established(); len(ss) != 1 || len(ss[0].Children) != 0 || len(h.kernel.SAs()) != 0 {
			t.Fatalf("%s: CHILD_SA left: %+v", h.name, ss)
		}
	}
}

// Both peers delete the IKE_SA at once: both go.
func TestCrossingIKEDeletes(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	del := func(s *IKESA) { s.Delete() }
	e.both(message.ExchangeInformational, moon, sun, del, del)
	for _, h := range []*host{moon, sun} {
		if !h.logHas("received DELETE for IKE_SA net-net[1]") || !h.logHas("IKE_SA deleted") {
			t.Fatalf("%s did not handle the crossing delete", h.name)
		}
		if h.mgr.Count() != 0 || len(h.kernel.SAs()) != 0 || len(h.kernel.Policies()) != 0 {
			t.Fatalf("%s: state left", h.name)
		}
	}
}
