package sa

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
)

func TestFragmentation(t *testing.T) {
	e := newTestEnv(t)
	e.settings = func(s *Settings) { s.FragmentSize = 300 }
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("splitting IKE message") || !moon.logHas("generating IKE_AUTH request 1 [ EF(1/") ||
		!sun.logHas("parsed IKE_AUTH request 1 [ EF(2/") || !sun.logHas("reassembled fragmented IKE message") {
		t.Fatal("IKE_AUTH not fragmented as RFC 7383 says")
	}
	for _, p := range e.net.sent {
		if h, _ := exchangeOf(p); h.Exchange != message.ExchangeIKESAInit && len(p.Data)+28 > 300 {
			t.Fatalf("datagram of %d bytes (+28) exceeds fragment_size 300", len(p.Data))
		}
	}
	crossCheck(t, moon, sun)
}

func TestCookies(t *testing.T) {
	e := newTestEnv(t)
	e.settings = func(s *Settings) { s.CookieThreshold, s.CookieThresholdIP = 1, 1 }
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	// one half-open SA from somewhere else makes sun demand cookies
	sun.mgr.mu.Lock()
	sun.mgr.nHalf = 1
	sun.mgr.mu.Unlock()
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("parsed IKE_SA_INIT response 0 [ N(COOKIE) ]") ||
		!moon.logHas("generating IKE_SA_INIT request 0 [ N(COOKIE) SA KE No") {
		t.Fatal("cookie exchange missing")
	}
	crossCheck(t, moon, sun)
	// a request with a forged cookie is answered with a new cookie, no SA
	before := sun.mgr.Count()
	var forged []byte
	for _, p := range e.net.sent {
		if h, ok := exchangeOf(p); ok && h.Exchange == message.ExchangeIKESAInit && h.IsRequest() {
			m, err := message.Parse(p.Data)
			if err == nil && m.Notify(message.NotifyCookie) != nil {
				m.Notify(message.NotifyCookie).Data[5] ^= 1
				m.SPIi++
				forged, _ = m.AppendMarshal(nil)
			}
		}
	}
	sun.mgr.Receive(Packet{Src: moonAddrPort(), Dst: sunAddrPort(), Data: forged})
	e.settle()
	if sun.mgr.Count() != before || !sun.logHas("received invalid cookie") {
		t.Fatal("forged cookie accepted")
	}
}

func moonAddrPort() netipAddrPort { return mustAP("192.168.0.1:500") }
func sunAddrPort() netipAddrPort  { return mustAP("192.168.0.2:500") }

func TestTransportModeAndNarrowing(t *testing.T) {
	e := newTestEnv(t)
	mc := strings.Replace(moonNet, "leftsubnet=10.1.0.0/16\n", "leftsubnet=10.1.0.0/16,10.3.0.0/24\n", 1)
	// sun only accepts 10.1.0.0/24 of moon's subnets
	sc := strings.Replace(sunNet, "rightsubnet=10.1.0.0/16\n", "rightsubnet=10.1.0.0/24\n", 1)
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	c := moon.established()[0].Children[0]
	if got := kernel.FormatTSList(c.Local); got != "10.1.0.0/24" {
		t.Fatalf("narrowed TSi %s", got)
	}
	if got := kernel.FormatTSList(sun.established()[0].Children[0].Remote); got != "10.1.0.0/24" {
		t.Fatalf("sun's remote TS %s", got)
	}
	// transport mode between the hosts themselves
	e2 := newTestEnv(t)
	host2host := func(self, peer, selfID, peerID string) string {
		return "conn host-host\n\tleft=" + self + "\n\tleftid=" + selfID + "\n\tright=" + peer + "\n\trightid=" + peerID +
			"\n\tauthby=secret\n\ttype=transport\n\tkeyexchange=ikev2\n\tmobike=no\n\tauto=add\n"
	}
	moon2 := e2.addHost("moon", "192.168.0.1", host2host("192.168.0.1", "192.168.0.2", "@moon.strongswan.org", "@sun.strongswan.org"), netPSK, 1)
	sun2 := e2.addHost("sun", "192.168.0.2", host2host("192.168.0.2", "192.168.0.1", "@sun.strongswan.org", "@moon.strongswan.org"), netPSK, 2)
	if err := moon2.up("host-host"); err != nil {
		t.Fatal(err)
	}
	e2.settle()
	for _, h := range []*host{moon2, sun2} {
		c := h.established()[0].Children[0]
		if c.Mode != kernel.ModeTransport || len(h.kernel.Policies()) != 2 {
			t.Fatalf("%s: mode %v, %d policies", h.name, c.Mode, len(h.kernel.Policies()))
		}
	}
	if !moon2.logHas("AUTH N(USE_TRANSP) SA TSi TSr") {
		t.Fatal("USE_TRANSPORT_MODE not sent")
	}
}

func TestChildFailureKeepsIKESA(t *testing.T) {
	e := newTestEnv(t)
	sc := strings.Replace(sunNet, "rightsubnet=10.1.0.0/16\n", "rightsubnet=10.9.0.0/16\n", 1)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sc, netPSK, 2)
	if err := moon.up("net-net"); err == nil {
		t.Fatal("CHILD_SA with unacceptable traffic selectors reported as up")
	}
	e.settle()
	if !sun.logHas("generating IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]") || !moon.logHas("received TS_UNACCEPTABLE notify, no CHILD_SA built") {
		t.Fatal("TS_UNACCEPTABLE not exchanged")
	}
	if len(moon.established()) != 1 || len(sun.established()) != 1 || len(moon.kernel.SAs()) != 0 {
		t.Fatal("the IKE_SA must stay up without a CHILD_SA")
	}
}
