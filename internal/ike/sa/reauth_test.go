package sa

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
)

// callIndex returns the index of the first kernel call of h starting with
// prefix and containing sub, -1 if none.
func callIndex(h *host, prefix, sub string) int {
	for i, c := range h.kernel.Calls() {
		if strings.HasPrefix(c, prefix) && strings.Contains(c, sub) {
			return i
		}
	}
	return -1
}

func logIndex(h *host, sub string) int { return strings.Index(h.log(), sub) }

const shortIKELifetime = "\tikelifetime=20m\n\tmargintime=1m\n\trekeyfuzz=0%\n"

// Break-before-make reauthentication, charon 5.9's default: the IKE_SA is
// deleted, then a new one with the same CHILD_SAs (and reqids) set up.
func TestReauthBreakBeforeMake(t *testing.T) {
	e, moon, sun := establishNet(t, shortIKELifetime, "")
	old := moon.established()[0]
	if !moon.logHas("scheduling reauthentication in 1140s") || !moon.logHas("maximum IKE_SA lifetime 1200s") {
		t.Fatal("reauthentication not scheduled as configured")
	}
	e.run(19*time.Minute + time.Second)
	for _, want := range []string{"reauthenticating IKE_SA net-net[1]", "deleting IKE_SA net-net[1] between",
		"restarting CHILD_SA net-net", "IKE_SA net-net[2] established"} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	m, s := moon.established(), sun.established()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(m) != 1 || len(s) != 1 || m[0].SPIi == old.SPIi {
		t.Fatalf("after reauthentication: moon %d, sun %d IKE_SAs", moon.mgr.Count(), sun.mgr.Count())
	}
	if len(m[0].Children) != 1 || m[0].Children[0].ReqID != old.Children[0].ReqID || crossCheck(t, moon, sun) != 2 {
		t.Fatal("CHILD_SA not recreated with its reqid")
	}
	del := callIndex(moon, "DelSA", fmt.Sprintf("spi %08x", old.Children[0].SPIIn))
	add := callIndex(moon, "AddSA", fmt.Sprintf("spi %08x", m[0].Children[0].SPIIn))
	if del < 0 || add < 0 || del > add {
		t.Fatalf("break-before-make: old SA deleted at call %d, new one added at %d", del, add)
	}
}

// Make-before-break reauthentication: the new IKE_SA and its CHILD_SAs
// are established before the old IKE_SA is deleted.
func TestReauthMakeBeforeBreak(t *testing.T) {
	e := newTestEnv(t)
	e.settings = func(s *Settings) { s.MakeBeforeBreak = true }
	mc, sc := netConf(shortIKELifetime, "")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	old := moon.established()[0]
	e.run(19*time.Minute + time.Second)
	m := moon.established()
	if moon.mgr.Count() != 1 || len(m) != 1 || m[0].SPIi == old.SPIi || len(m[0].Children) != 1 {
		t.Fatalf("after reauthentication: %d IKE_SAs", moon.mgr.Count())
	}
	newSPI := m[0].Children[0].SPIIn
	addIn := callIndex(moon, "AddSA in", fmt.Sprintf("spi %08x", newSPI))
	addOut := callIndex(moon, "AddSA out", fmt.Sprintf("spi %08x", m[0].Children[0].SPIOut))
	delOld := callIndex(moon, "DelSA", fmt.Sprintf("spi %08x", old.Children[0].SPIIn))
	if addIn < 0 || addOut < 0 || delOld < 0 || addIn > delOld || addOut > delOld {
		t.Fatalf("make-before-break: new SAs added at calls %d/%d, old deleted at %d:\n%s", addIn, addOut, delOld,
			strings.Join(moon.kernel.Calls(), "\n"))
	}
	up, del := logIndex(moon, "IKE_SA net-net[2] established"), logIndex(moon, "deleting IKE_SA net-net[1]")
	if up < 0 || del < 0 || up > del || !moon.logHas("reauthenticating IKE_SA net-net[1]") {
		t.Fatal("the old IKE_SA was deleted before the new one was up")
	}
	if !sun.logHas("schedule delete of duplicate IKE_SA for peer 'moon.strongswan.org' due to uniqueness policy and suspected reauthentication") {
		t.Fatal("sun did not treat the new IKE_SA as a reauthentication")
	}
	e.run(15 * time.Second)
	if sun.mgr.Count() != 1 || crossCheck(t, moon, sun) != 2 {
		t.Fatalf("sun has %d IKE_SAs", sun.mgr.Count())
	}
}

// assignVIP stands in for the config payload extension: the responder
// assigns the initiator a virtual IP in IKE_AUTH.
func assignVIP(ike *IKESA, initiator bool, x message.ExchangeType) []Task {
	if initiator || x != message.ExchangeIKESAInit {
		return nil
	}
	return []Task{&vipTask{s: ike}}
}

type vipTask struct{ s *IKESA }

func (*vipTask) Type() TaskType                  { return TaskIKEConfig }
func (*vipTask) Process(*message.Message) Status { return NeedMore }
func (t *vipTask) Build(m *message.Message) Status {
	if m.Exchange != message.ExchangeIKEAuth || !t.s.authDone {
		return NeedMore
	}
	t.s.PeerVIPs = []netip.Addr{netip.MustParseAddr("10.3.0.1")}
	return Success
}

// RFC 4478: a responder that assigned a virtual IP cannot reauthenticate;
// it sends its remaining lifetime in AUTH_LIFETIME, the initiator
// schedules its reauthentication over_time before.
func TestAuthLifetime(t *testing.T) {
	e := newTestEnv(t)
	mc, sc := netConf(shortIKELifetime, "")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	moon.mgr.RegisterTaskFactory(assignVIP)
	if err := sun.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("generating IKE_AUTH response 1 [ IDr AUTH SA TSi TSr N(AUTH_LFT) ]") {
		t.Fatal("no AUTH_LIFETIME sent")
	}
	// sun's over_time is the default 9m: 1140s - 540s
	if !sun.logHas("received AUTH_LIFETIME of 1140s, scheduling reauthentication in 600s") {
		t.Fatal("AUTH_LIFETIME not applied")
	}
	if ra := sun.established()[0].ReauthAt; !ra.Equal(e.clock.Now().Add(600 * time.Second)) {
		t.Fatalf("reauthentication at %v", ra)
	}
	e.run(600*time.Second + time.Second)
	if !sun.logHas("reauthenticating IKE_SA net-net[1]") || !sun.logHas("IKE_SA net-net[2] established") {
		t.Fatal("sun did not reauthenticate")
	}
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || crossCheck(t, moon, sun) != 2 {
		t.Fatalf("after reauthentication: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
}

// The responder that cannot reauthenticate deletes the IKE_SA at the end
// of its lifetime (over_time after the reauthentication time) if the
// initiator did not reauthenticate.
func TestResponderDeletesAtMaximumLifetime(t *testing.T) {
	e := newTestEnv(t)
	mc, sc := netConf(shortIKELifetime, "\trekey=no\n")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	moon.mgr.RegisterTaskFactory(assignVIP)
	if err := sun.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !sun.logHas("received AUTH_LIFETIME of 1140s, scheduling reauthentication in 1140s") {
		t.Fatal("AUTH_LIFETIME not applied")
	}
	// sun is busy rekeying its CHILD_SA (the request does not arrive), so
	// it delays its reauthentication
	e.run(18*time.Minute + 50*time.Second)
	e.net.hold(requestsOf(message.ExchangeCreateChildSA))
	sun.mgr.Post(sun.snapshots()[0].UniqueID, rekeyFirstChild)
	e.run(10*time.Second + time.Millisecond)
	if !sun.logHas("unable to reauthenticate in CHILD_SA REKEYING state, delaying for") ||
		!moon.logHas("initiator did not reauthenticate as requested, IKE_SA net-net[1] will timeout in 60 seconds") {
		t.Fatal("reauthentication not delayed / expected")
	}
	e.run(time.Minute)
	if !moon.logHas("deleting IKE_SA net-net[1] between") || moon.mgr.Count() != 0 || sun.mgr.Count() != 0 {
		t.Fatalf("IKE_SA not deleted at its maximum lifetime: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
}
