package sa

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
)

// netConf returns moon's and sun's net-net configs with extra lines in
// conn %default of each.
func netConf(moonExtra, sunExtra string) (string, string) {
	add := func(conf, extra string) string {
		return strings.Replace(conf, "\tmobike=no\n", "\tmobike=no\n"+extra, 1)
	}
	return add(moonNet, moonExtra), add(sunNet, sunExtra)
}

func exchangeOf(p Packet) (message.Header, bool) {
	h, err := message.ParseHeader(p.Data)
	return h, err == nil
}

func TestRetransmitAndCachedResponse(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	// lose sun's first IKE_AUTH response: moon retransmits its request,
	// sun must answer with the same bytes without processing it again
	var dropped atomic.Int32
	e.net.filter = func(p Packet) bool {
		h, _ := exchangeOf(p)
		if h.Exchange == message.ExchangeIKEAuth && h.IsResponse() && dropped.Add(1) == 1 {
			return false
		}
		return true
	}
	done := make(chan error, 1)
	if err := moon.mgr.Initiate("net-net", nil, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	e.settle()
	select {
	case err := <-done:
		t.Fatalf("finished before the retransmit: %v", err)
	default:
	}
	e.clock.Advance(4 * time.Second) // retransmit_timeout
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result after the retransmit")
	}
	e.settle()
	if !moon.logHas("retransmit 1 of request with message ID 1") ||
		!sun.logHas("received retransmit of request with ID 1, retransmitting response") {
		t.Fatal("retransmission not logged as charon does")
	}
	if strings.Count(sun.log(), "CHILD_SA net-net{1} established") != 1 || len(sun.kernel.SAs()) != 2 {
		t.Fatalf("sun processed the retransmitted request twice: %d SAs", len(sun.kernel.SAs()))
	}
	if len(moon.established()) != 1 || len(sun.established()) != 1 {
		t.Fatal("not established")
	}
}

func TestGiveUpAfterRetransmits(t *testing.T) {
	e := newTestEnv(t)
	moonConf, _ := netConf("\tkeyingtries=1\n", "")
	moon := e.addHost("moon", "192.168.0.1", moonConf, netPSK, 1)
	e.net.filter = func(Packet) bool { return false } // sun is unreachable
	done := make(chan error, 1)
	if err := moon.mgr.Initiate("net-net", nil, func(err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	e.settle()
	// 4s * 1.8^n for n = 0..5: 4 + 7.2 + 12.96 + 23.33 + 41.99 + 75.58 = 165s
	for i := 0; i < 6; i++ {
		next, ok := e.clock.Next()
		if !ok {
			t.Fatalf("no timer pending after %d retransmits", i)
		}
		e.clock.Advance(next.Sub(e.clock.Now()))
		e.settle()
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("initiation succeeded without a peer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no failure reported")
	}
	e.settle()
	if !moon.logHas("retransmit 5 of request with message ID 0") || !moon.logHas("giving up after 5 retransmits") ||
		!moon.logHas("establishing IKE_SA failed, peer not responding") {
		t.Fatal("missing retransmit log lines")
	}
	if moon.mgr.Count() != 0 {
		t.Fatalf("%d SAs left", moon.mgr.Count())
	}
	var inits int
	for _, p := range e.net.sent {
		if h, ok := exchangeOf(p); ok && h.Exchange == message.ExchangeIKESAInit {
			inits++
		}
	}
	if inits != 6 {
		t.Fatalf("%d IKE_SA_INIT transmissions, want 6", inits)
	}
}

func TestKeyingTriesRetry(t *testing.T) {
	e := newTestEnv(t)
	moonConf, _ := netConf("\tkeyingtries=2\n", "")
	moon := e.addHost("moon", "192.168.0.1", moonConf, netPSK, 1)
	e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	// sun is unreachable for the first attempt only
	var attempt atomic.Int32
	first := uint64(0)
	e.net.filter = func(p Packet) bool {
		h, _ := exchangeOf(p)
		if first == 0 {
			first = h.SPIi
		}
		if h.SPIi == first {
			attempt.Add(1)
			return false
		}
		return true
	}
	done := make(chan error, 1)
	moon.mgr.Initiate("net-net", nil, func(err error) { done <- err })
	e.settle()
	for i := 0; i < 6; i++ {
		next, _ := e.clock.Next()
		e.clock.Advance(next.Sub(e.clock.Now()))
		e.settle()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second keying try failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	if !moon.logHas("peer not responding, trying again (2/2)") {
		t.Fatal("keyingtries retry not logged")
	}
}

func TestInvalidKEPayloadRetry(t *testing.T) {
	e := newTestEnv(t)
	moonConf, sunConf := netConf("\tike=aes128-sha256-ecp256-modp3072!\n", "\tike=aes128-sha256-modp3072!\n")
	moon := e.addHost("moon", "192.168.0.1", moonConf, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunConf, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !sun.logHas("DH group ECP_256 unacceptable, requesting MODP_3072") ||
		!moon.logHas("peer didn't accept DH group ECP_256, it requested MODP_3072") ||
		!moon.logHas("parsed IKE_SA_INIT response 0 [ N(INVAL_KE) ]") {
		t.Fatal("INVALID_KE_PAYLOAD exchange not as charon logs it")
	}
	m := moon.established()
	if len(m) != 1 || !strings.HasSuffix(m[0].Proposal, "MODP_3072") {
		t.Fatalf("established: %+v", m)
	}
	if sun.mgr.Count() != 1 {
		t.Fatalf("sun kept %d SAs (the refused one must be gone)", sun.mgr.Count())
	}
}

func TestWrongPSK(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, "@moon.strongswan.org @sun.strongswan.org : PSK \"wrong\"\n", 2)
	if err := moon.up("net-net"); err == nil {
		t.Fatal("established with a wrong PSK")
	}
	e.settle()
	if !sun.logHas("tried 1 shared key for 'sun.strongswan.org' - 'moon.strongswan.org', but MAC mismatched") ||
		!sun.logHas("generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]") ||
		!moon.logHas("received AUTHENTICATION_FAILED notify error") {
		t.Fatal("authentication failure not handled as charon does")
	}
	if moon.mgr.Count() != 0 || sun.mgr.Count() != 0 || len(moon.kernel.SAs()) != 0 || len(sun.kernel.SAs()) != 0 {
		t.Fatal("state left after a failed authentication")
	}
}

func TestTamperedMessageIsDropped(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	var n atomic.Int32
	e.net.filter = func(p Packet) bool {
		h, _ := exchangeOf(p)
		if h.Exchange == message.ExchangeIKEAuth && h.IsRequest() && n.Add(1) == 1 {
			p.Data[len(p.Data)-1] ^= 0x01 // flip an ICV bit in flight
		}
		return true
	}
	done := make(chan error, 1)
	moon.mgr.Initiate("net-net", nil, func(err error) { done <- err })
	e.settle()
	if !sun.logHas("integrity check failed") {
		t.Fatal("tampered message not detected")
	}
	e.clock.Advance(4 * time.Second)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the untampered retransmit failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result after the retransmit")
	}
}

// TestPSKSelection: with several PSK lines, each side authenticates with
// the best match for the two identities (not the first or last line).
func TestPSKSelection(t *testing.T) {
	e := newTestEnv(t)
	moonSecrets := `@moon.strongswan.org @sun.strongswan.org : PSK "the right one"
@moon.strongswan.org %any : PSK 0x0123456789abcdef
@sun.strongswan.org : PSK "sun only"
: PSK "anyone"
192.168.0.1 : PSK "by address"
`
	sunSecrets := `@moon.strongswan.org @sun.strongswan.org : PSK "the right one"
`
	moon := e.addHost("moon", "192.168.0.1", moonNet, moonSecrets, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, sunSecrets, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !sun.logHas("authentication of 'moon.strongswan.org' with pre-shared key successful") {
		t.Fatal("moon did not use the best-matching PSK")
	}
}

// TestUpReusesIKESA: ipsec up of a conn whose IKE_SA is established uses
// that IKE_SA (charon.reuse_ikesa) and, as charon, creates no duplicate
// of an installed CHILD_SA; a CHILD_SA that was closed is recreated on it.
func TestUpReusesIKESA(t *testing.T) {
	e := newTestEnv(t)
	moon := e.addHost("moon", "192.168.0.1", moonNet, netPSK, 1)
	sun := e.addHost("sun", "192.168.0.2", sunNet, netPSK, 2)
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if moon.mgr.Count() != 1 || sun.mgr.Count() != 1 || len(moon.established()[0].Children) != 1 {
		t.Fatalf("IKE_SAs: moon %d, sun %d", moon.mgr.Count(), sun.mgr.Count())
	}
	if !moon.logHas("not establishing CHILD_SA net-net{2} due to existing duplicate {1} with SPIs") {
		t.Fatal("duplicate CHILD_SA not refused as charon does")
	}
	sn := moon.established()[0]
	moon.mgr.Post(sn.UniqueID, func(s *IKESA) { s.DeleteChild(s.Children[0]) })
	e.settle()
	if err := moon.up("net-net"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if moon.mgr.Count() != 1 || len(moon.established()[0].Children) != 1 ||
		!moon.logHas("generating CREATE_CHILD_SA request 3 [ SA No TSi TSr ]") {
		t.Fatal("CHILD_SA not recreated on the existing IKE_SA")
	}
	crossCheck(t, moon, sun)
}
