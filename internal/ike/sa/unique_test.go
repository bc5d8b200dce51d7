package sa

import (
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
)

// gateway returns moon's roadwarrior config with a config setup section.
func gateway(setup string) string {
	return "config setup\n" + setup + `
conn rw
	keyexchange=ikev2
	authby=secret
	mobike=no
	left=192.168.0.1
	leftid=@moon.strongswan.org
	leftsubnet=10.1.0.0/16
	right=%any
	rightid=carol@strongswan.org
	auto=add
`
}

// pskClient returns the client config of a host at addr using carol's
// identity.
func pskClient(addr, setup string) string {
	return "config setup\n" + setup + `
conn home
	keyexchange=ikev2
	authby=secret
	mobike=no
	left=` + addr + `
	leftid=carol@strongswan.org
	right=192.168.0.1
	rightid=@moon.strongswan.org
	rightsubnet=10.1.0.0/16
	auto=add
`
}

const rwPSK = "carol@strongswan.org @moon.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n"

// uniqueids=yes: a roadwarrior that reconnects after a reboot sends
// INITIAL_CONTACT, the gateway destroys its old IKE_SA at once.
func TestUniqueIDsReconnectAfterReboot(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", gateway("\tuniqueids=yes"), rwPSK, 1)
	carol := e.addHost("carol", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 3)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	old := moon.established()[0]
	// carol reboots: a fresh daemon at the same address
	carol2 := e.addHost("carol2", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 4)
	if err := carol2.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !carol2.logHas("IDi N(INIT_CONTACT)") ||
		!moon.logHas("destroying duplicate IKE_SA for peer 'carol@strongswan.org', received INITIAL_CONTACT") {
		t.Fatal("INITIAL_CONTACT not honoured")
	}
	m := moon.established()
	if moon.mgr.Count() != 1 || len(m) != 1 || m[0].UniqueID == old.UniqueID || len(moon.kernel.SAs()) != 2 {
		t.Fatalf("gateway kept %d IKE_SAs, %d SAs", moon.mgr.Count(), len(moon.kernel.SAs()))
	}
	crossCheck(t, moon, carol2)
}

// uniqueids=yes: the same identity from another address (without
// INITIAL_CONTACT) makes the gateway delete the old IKE_SA, with a DELETE
// to the old peer.
func TestUniqueIDsReplace(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", gateway(""), rwPSK, 1)
	carol := e.addHost("carol", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 3)
	dave := e.addHost("dave", "192.168.0.200", pskClient("192.168.0.200", "\tuniqueids=never"), rwPSK, 4)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if err := dave.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if dave.logHas("N(INIT_CONTACT)") {
		t.Fatal("uniqueids=never must not send INITIAL_CONTACT")
	}
	if !moon.logHas("deleting duplicate IKE_SA for peer 'carol@strongswan.org' due to uniqueness policy") ||
		!carol.logHas("received DELETE for IKE_SA home[1]") {
		t.Fatal("duplicate not deleted")
	}
	m := moon.established()
	if moon.mgr.Count() != 1 || len(m) != 1 || m[0].Remote.Addr() != dave.addr || carol.mgr.Count() != 0 {
		t.Fatalf("gateway: %+v", m)
	}
	crossCheck(t, moon, dave)
}

// uniqueids=keep: the gateway refuses the same identity from another
// address, keeping the first IKE_SA.
func TestUniqueIDsKeep(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", gateway("\tuniqueids=keep"), rwPSK, 1)
	carol := e.addHost("carol", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 3)
	dave := e.addHost("dave", "192.168.0.200", pskClient("192.168.0.200", "\tuniqueids=never"), rwPSK, 4)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if err := dave.up("home"); err == nil {
		t.Fatal("the duplicate was accepted")
	}
	e.settle()
	if !moon.logHas("canceling IKE_SA setup due to uniqueness policy") ||
		!moon.logHas("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]") ||
		!dave.logHas("received AUTHENTICATION_FAILED notify error") {
		t.Fatal("duplicate not refused as charon does")
	}
	m := moon.established()
	if moon.mgr.Count() != 1 || len(m) != 1 || m[0].Remote.Addr() != carol.addr || dave.mgr.Count() != 0 {
		t.Fatalf("gateway: %+v", m)
	}
	crossCheck(t, moon, carol)
}

// uniqueids=no keeps duplicates, but INITIAL_CONTACT destroys all other
// IKE_SAs with the same identities; never even ignores INITIAL_CONTACT.
func TestUniqueIDsNoAndNever(t *testing.T) {
	for _, tc := range []struct {
		setup string
		want  int // IKE_SAs on the gateway after a reboot with INITIAL_CONTACT
	}{{"\tuniqueids=no", 1}, {"\tuniqueids=never", 3}} {
		t.Run(strings.TrimSpace(tc.setup), func(t *testing.T) {
			e := newTestEnv(t)
			moon := e.addHost("moon", "192.168.0.1", gateway(tc.setup), rwPSK, 1)
			carol := e.addHost("carol", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 3)
			dave := e.addHost("dave", "192.168.0.200", pskClient("192.168.0.200", "\tuniqueids=never"), rwPSK, 4)
			for _, h := range []*host{carol, dave} {
				if err := h.up("home"); err != nil {
					t.Fatal(err)
				}
				e.settle()
			}
			if moon.mgr.Count() != 2 {
				t.Fatalf("gateway has %d IKE_SAs, want both", moon.mgr.Count())
			}
			carol2 := e.addHost("carol2", "192.168.0.100", pskClient("192.168.0.100", ""), rwPSK, 5)
			if err := carol2.up("home"); err != nil {
				t.Fatal(err)
			}
			e.settle()
			if got := moon.mgr.Count(); got != tc.want {
				t.Fatalf("gateway has %d IKE_SAs after INITIAL_CONTACT, want %d", got, tc.want)
			}
		})
	}
}

// A responder IKE_SA that does not complete IKE_AUTH within
// half_open_timeout is deleted.
func TestHalfOpenTimeout(t *testing.T) {
	e := newTestEnv(t)
	mc, _ := netConf("\tkeyingtries=1\n", "")
	moon := e.addHost("moon", "192.168.0.1", mc, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	e.net.filter = func(p Packet) bool {
		h, _ := exchangeOf(p)
		return h.Exchange != message.ExchangeIKEAuth
	}
	moon.mgr.Initiate("net-net", nil, nil)
	e.settle()
	if sun.mgr.Count() != 1 || sun.snapshots()[0].State != StateConnecting {
		t.Fatal("no half-open IKE_SA")
	}
	e.run(29 * time.Second)
	if sun.mgr.Count() != 1 {
		t.Fatal("half-open IKE_SA deleted too early")
	}
	e.run(time.Second)
	if sun.mgr.Count() != 0 || !sun.logHas("deleting half open IKE_SA with 192.168.0.1 after timeout") {
		t.Fatal("half-open IKE_SA not deleted after half_open_timeout")
	}
	sun.mgr.mu.RLock()
	n, perSrc := sun.mgr.nHalf, len(sun.mgr.perSrc)
	sun.mgr.mu.RUnlock()
	if n != 0 || perSrc != 0 {
		t.Fatalf("half-open counters not released: %d, %d", n, perSrc)
	}
}
