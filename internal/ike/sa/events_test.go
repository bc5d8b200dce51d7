package sa

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/kernel"
)

// auto=route: the trap policies installed by Route raise an acquire for
// the first packet, which initiates the connection with the trap's reqid.
func TestRouteAndAcquire(t *testing.T) {
	e := newTestEnv(t)
	mc, _ := netConf("\tauto=route\n", "")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.mgr.Route("nonexistent"); !errors.Is(err, ErrNoConfig) {
		t.Fatalf("routing an unknown conn: %v", err)
	}
	if err := moon.mgr.Route("net-net"); err != nil {
		t.Fatal(err)
	}
	tp := traps(moon)
	if len(tp) != 3 {
		t.Fatalf("trap policies: %+v", moon.kernel.Policies())
	}
	reqid := tp[0].ReqID
	for _, p := range tp {
		if p.SPI != 0 || p.ReqID != reqid || p.Type != kernel.PolicyIPsec {
			t.Fatalf("trap policy %+v", p)
		}
	}
	r := moon.mgr.Routes()
	if len(r) != 1 || r[0].Name != "net-net" || r[0].State != ChildRouted || r[0].ReqID != reqid ||
		kernel.FormatTSList(r[0].Local) != "10.1.0.0/16" || kernel.FormatTSList(r[0].Remote) != "10.2.0.0/16" {
		t.Fatalf("routes: %+v", r)
	}
	// the network holds the exchange back until both acquires were
	// handled: the second one must find the attempt pending
	release := e.net.hold(func(Packet) bool { return true })
	moon.mgr.HandleKernelEvent(kernel.Acquire{ReqID: 99})
	moon.mgr.HandleKernelEvent(acquireFor(reqid))
	moon.mgr.HandleKernelEvent(acquireFor(reqid))
	e.settle()
	release()
	e.settle()
	for _, want := range []string{"creating acquire job for policy with reqid {99}",
		"trap not found, unable to acquire reqid 99",
		fmt.Sprintf("creating acquire job for policy 10.1.0.5/32 === 10.2.0.5/32 with reqid {%d}", reqid),
		fmt.Sprintf("ignoring acquire for reqid %d, connection attempt pending", reqid)} {
		if !moon.logHas(want) {
			t.Errorf("moon's log lacks %q", want)
		}
	}
	m := moon.established()
	if len(m) != 1 || len(m[0].Children) != 1 || m[0].Children[0].ReqID != reqid || crossCheck(t, moon, sun) != 2 {
		t.Fatalf("acquire did not establish the conn: %+v", m)
	}
	if strings.Count(moon.log(), "initiating IKE_SA") != 1 {
		t.Fatal("more than one IKE_SA initiated")
	}
	// the trap stays while the CHILD_SA is up
	if len(moon.mgr.Routes()) != 1 {
		t.Fatal("trap gone")
	}
	if err := moon.mgr.Unroute("net-net"); err != nil {
		t.Fatal(err)
	}
	if err := moon.mgr.Unroute("net-net"); !errors.Is(err, ErrNotRouted) {
		t.Fatalf("unrouting twice: %v", err)
	}
	dels := 0
	for _, c := range moon.kernel.Calls() {
		if strings.HasPrefix(c, "DelPolicy") {
			dels++
		}
	}
	if dels != 3 || len(moon.mgr.Routes()) != 0 {
		t.Fatalf("%d policies deleted for unroute", dels)
	}
}

// A routed conn whose IKE_SA is up gets the acquired CHILD_SA on that
// IKE_SA.
func TestAcquireReusesIKESA(t *testing.T) {
	e, moon, sun := establishNet(t, "", "")
	if err := moon.mgr.Route("net-net"); err != nil {
		t.Fatal(err)
	}
	reqid := traps(moon)[0].ReqID
	moon.mgr.HandleKernelEvent(acquireFor(reqid))
	e.settle()
	m := moon.established()
	if moon.mgr.Count() != 1 || len(m[0].Children) != 2 || m[0].Children[1].ReqID != reqid || crossCheck(t, moon, sun) != 4 {
		t.Fatalf("acquired CHILD_SA not on the existing IKE_SA: %+v", m)
	}
}

// A NAT mapping change the kernel reports moves the SAs to the peer's new
// port, as charon's update_sa_job; the peer behind the NAT ignores it.
func TestNATMappingChange(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", strings.Replace(sunNet, "right=192.168.0.1", "right=%any", 1), netPSK, 2)
	public := netip.MustParseAddr("192.168.0.254")
	e.net.nat = &natBox{inside: moon.addr, public: public, ports: map[uint16]uint16{500: 1025, 4500: 1026}}
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	c := sun.established()[0].Children[0]
	moved := netip.AddrPortFrom(public, 2000)
	sun.mgr.HandleKernelEvent(kernel.Mapping{ID: kernel.SAID{Src: public, Dst: sun.addr, SPI: c.SPIIn, Proto: kernel.ProtoESP},
		New: moved})
	e.settle()
	for _, want := range []string{
		fmt.Sprintf("NAT mappings of CHILD_SA ESP/0x%08x/192.168.0.2 changed to 192.168.0.254[2000], queuing update job", c.SPIIn),
		"remote endpoint changed from 192.168.0.254[1026] to 192.168.0.254[2000]"} {
		if !sun.logHas(want) {
			t.Errorf("sun's log lacks %q", want)
		}
	}
	if s := sun.established()[0]; s.Remote != moved || s.Children[0].RemoteAddr != public {
		t.Fatalf("sun's view of moon: %v", s.Remote)
	}
	for _, sa := range sun.kernel.SAs() {
		port := sa.DstPort
		if sa.Inbound {
			port = sa.SrcPort
		}
		if port != 2000 {
			t.Fatalf("SA %08x not moved: %+v", sa.SPI, sa)
		}
	}
	// moon is the original initiator behind the NAT: it does not follow
	mc := moon.established()[0].Children[0]
	moon.mgr.HandleKernelEvent(kernel.Mapping{ID: kernel.SAID{Src: sun.addr, Dst: moon.addr, SPI: mc.SPIIn, Proto: kernel.ProtoESP},
		New: netip.MustParseAddrPort("192.168.0.2:4501")})
	e.settle()
	if moon.established()[0].Remote.Port() != 4500 {
		t.Fatal("moon followed a mapping change of the peer not behind a NAT")
	}
}
