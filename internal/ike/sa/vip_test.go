package sa

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
)

// testPool is a provider for the tests: addresses base+1.. of one named
// pool, an identity gets its previous address back.
type testPool struct {
	mu       sync.Mutex
	name     string
	base     netip.Addr
	size     int
	byID     map[string]netip.Addr
	online   map[netip.Addr]bool
	released []string
	attrs    []attr.Attribute
}

func newTestPool(name, base string, size int, attrs ...attr.Attribute) *testPool {
	return &testPool{name: name, base: netip.MustParseAddr(base), size: size,
		byID: map[string]netip.Addr{}, online: map[netip.Addr]bool{}, attrs: attrs}
}

func (p *testPool) serves(pools []string) bool { return slices.Contains(pools, p.name) }

func (p *testPool) AcquireAddress(pools []string, sa attr.SA, req netip.Addr) (netip.Addr, bool) {
	if !p.serves(pools) || !req.Is4() {
		return netip.Addr{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := sa.PeerID.String()
	if a, ok := p.byID[id]; ok {
		p.online[a] = true
		return a, true
	}
	a := p.base
	for i := 0; i < p.size; i++ {
		a = a.Next()
		if _, used := p.online[a]; !used && (req.IsUnspecified() || req == a) {
			p.byID[id], p.online[a] = a, true
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (p *testPool) ReleaseAddress(pools []string, a netip.Addr, sa attr.SA) bool {
	if !p.serves(pools) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.online[a] {
		return false
	}
	p.online[a] = false
	p.released = append(p.released, a.String()+" "+sa.PeerID.String())
	return true
}

func (p *testPool) Attributes(pools []string, _ attr.SA, vips []netip.Addr) []attr.Attribute {
	if !p.serves(pools) || len(vips) == 0 {
		return nil
	}
	return p.attrs
}

func (p *testPool) onlineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, on := range p.online {
		if on {
			n++
		}
	}
	return n
}

// dnsHandler takes INTERNAL_IP4_DNS attributes, as the resolve plugin.
type dnsHandler struct {
	mu        sync.Mutex
	installed []string
	log       []string
}

func (h *dnsHandler) Handle(_ attr.SA, a attr.Attribute) bool {
	if a.Type != message.CPInternalIP4DNS {
		return false
	}
	ip, ok := a.Addr()
	if !ok {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.installed = append(h.installed, ip.String())
	h.log = append(h.log, "+"+ip.String())
	return true
}

func (h *dnsHandler) Release(_ attr.SA, a attr.Attribute) {
	ip, _ := a.Addr()
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := slices.Index(h.installed, ip.String()); i >= 0 {
		h.installed = slices.Delete(h.installed, i, i+1)
	}
	h.log = append(h.log, "-"+ip.String())
}

func (h *dnsHandler) Requests(_ attr.SA, vips []netip.Addr) []attr.Attribute {
	for _, v := range vips {
		if v.Is4() {
			return []attr.Attribute{{Type: message.CPInternalIP4DNS}}
		}
	}
	return nil
}

func (h *dnsHandler) state() ([]string, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.installed), slices.Clone(h.log)
}

func moonPool(sourceip string) string {
	return strings.Replace(moonRW, "\tright=%any\n", "\tright=%any\n\trightsourceip="+sourceip+"\n", 1)
}

func rwVIPHost(e *testEnv, name, addr, sourceip string, seed uint64) *host {
	conf := strings.Replace(roadwarrior(name), "PH_ADDR", addr, 1)
	if sourceip != "" {
		conf = strings.Replace(conf, "\tleftcert=", "\tleftsourceip="+sourceip+"\n\tleftcert=", 1)
	}
	return e.addHost(name, addr, conf, keySecret(name), seed)
}

func vipEnv(t *testing.T, pool *testPool, dns *dnsHandler) *testEnv {
	e := newTestEnv(t)
	e.attrs = map[string]*attr.Manager{"moon": {}, "carol": {}, "dave": {}}
	if pool != nil {
		e.attrs["moon"].AddProvider(pool)
	}
	if dns != nil {
		e.attrs["carol"].AddHandler(dns)
		e.attrs["dave"].AddHandler(dns)
	}
	return e
}

func childTS(c ChildSnapshot) string {
	return kernel.FormatTSList(c.Local) + " === " + kernel.FormatTSList(c.Remote)
}

func TestVirtualIPFromPool(t *testing.T) {
	pool := newTestPool("10.3.0.0/28", "10.3.0.0", 14,
		message.IP4Attr(message.CPInternalIP4DNS, netip.MustParseAddr("10.1.0.10")),
		message.IP4Attr(message.CPInternalIP4NBNS, netip.MustParseAddr("10.1.0.20")))
	dns := &dnsHandler{}
	e := vipEnv(t, pool, dns)
	moon := e.addHost("moon", "192.168.0.1", moonPool("10.3.0.0/28"), keySecret("moon"), 1)
	carol := rwVIPHost(e, "carol", "192.168.0.100", "%config", 3)
	dave := rwVIPHost(e, "dave", "192.168.0.200", "%config", 4)
	for _, h := range []*host{carol, dave} {
		if err := h.up("home"); err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
	}
	e.settle()
	want := map[string]string{"carol": "10.3.0.1", "dave": "10.3.0.2"}
	for _, h := range []*host{carol, dave} {
		vip := want[h.name]
		sas := h.established()
		if len(sas) != 1 || len(sas[0].Children) != 1 {
			t.Fatalf("%s: %d IKE_SAs", h.name, len(sas))
		}
		if got := fmt.Sprint(sas[0].MyVIPs); got != "["+vip+"]" {
			t.Errorf("%s: virtual IPs %s", h.name, got)
		}
		if got := fmt.Sprint(h.kernel.VirtualIPs()); got != "["+vip+"/32]" {
			t.Errorf("%s: installed virtual IPs %s", h.name, got)
		}
		if got := childTS(sas[0].Children[0]); got != vip+"/32 === 10.1.0.0/16" {
			t.Errorf("%s: CHILD_SA TS %s", h.name, got)
		}
		for _, l := range []string{
			"generating IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ IDr AUTH CPRQ(ADDR DNS) SA TSi TSr",
			"parsed IKE_AUTH response 1 [ IDr CERT AUTH CPRP(ADDR DNS NBNS) SA TSi TSr",
			"installing new virtual IP " + vip,
			"handling INTERNAL_IP4_NBNS attribute failed",
		} {
			if !h.logHas(l) {
				t.Errorf("%s's log lacks %q", h.name, l)
			}
		}
		if !moon.logHas("assigning virtual IP " + vip + " to peer '" + h.name + "@strongswan.org'") {
			t.Errorf("moon did not log the assignment of %s", vip)
		}
	}
	if !moon.logHas("peer requested virtual IP %any") {
		t.Error("moon's log lacks the request")
	}
	ms := moon.established()
	if len(ms) != 2 {
		t.Fatalf("moon has %d IKE_SAs", len(ms))
	}
	for _, s := range ms {
		vip := want[strings.TrimSuffix(s.RemoteID, "@strongswan.org")]
		if fmt.Sprint(s.PeerVIPs) != "["+vip+"]" || childTS(s.Children[0]) != "10.1.0.0/16 === "+vip+"/32" {
			t.Errorf("moon's SA with %s: VIPs %v TS %s", s.RemoteID, s.PeerVIPs, childTS(s.Children[0]))
		}
	}
	if inst, _ := dns.state(); fmt.Sprint(inst) != "[10.1.0.10 10.1.0.10]" {
		t.Errorf("DNS servers installed: %v", inst)
	}
	// closing releases everything: the address goes back to the pool, the
	// client removes its virtual IP and DNS server
	carol.mgr.Post(carol.established()[0].UniqueID, func(s *IKESA) { s.Delete() })
	e.settle()
	e.settle()
	if got := carol.kernel.VirtualIPs(); len(got) != 0 {
		t.Errorf("carol still has virtual IPs %v", got)
	}
	if inst, _ := dns.state(); fmt.Sprint(inst) != "[10.1.0.10]" {
		t.Errorf("DNS servers left: %v", inst)
	}
	if pool.onlineCount() != 1 || fmt.Sprint(pool.released) != "[10.3.0.1 carol@strongswan.org]" {
		t.Errorf("pool: %d online, released %v", pool.onlineCount(), pool.released)
	}
	// carol comes back and gets her address again
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if got := fmt.Sprint(carol.established()[0].MyVIPs); got != "[10.3.0.1]" {
		t.Errorf("carol's address on return: %s", got)
	}
}

func TestVirtualIPRequested(t *testing.T) {
	pool := newTestPool("10.3.0.0/28", "10.3.0.0", 14)
	e := vipEnv(t, pool, nil)
	moon := e.addHost("moon", "192.168.0.1", moonPool("10.3.0.0/28"), keySecret("moon"), 1)
	carol := rwVIPHost(e, "carol", "192.168.0.100", "10.3.0.5", 3)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	if !moon.logHas("peer requested virtual IP 10.3.0.5") || !moon.logHas("assigning virtual IP 10.3.0.5 to peer 'carol@strongswan.org'") {
		t.Error("moon did not assign the requested address")
	}
	if got := fmt.Sprint(carol.kernel.VirtualIPs()); got != "[10.3.0.5/32]" {
		t.Errorf("carol's virtual IPs %s", got)
	}
}

func TestVirtualIPPoolExhausted(t *testing.T) {
	pool := newTestPool("10.3.0.0/30", "10.3.0.0", 1)
	e := vipEnv(t, pool, nil)
	moon := e.addHost("moon", "192.168.0.1", moonPool("10.3.0.0/30"), keySecret("moon"), 1)
	carol := rwVIPHost(e, "carol", "192.168.0.100", "%config", 3)
	dave := rwVIPHost(e, "dave", "192.168.0.200", "%config", 4)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	if err := dave.up("home"); err == nil {
		t.Fatal("dave got a CHILD_SA from an exhausted pool")
	}
	e.settle()
	for _, l := range []string{
		"no virtual IP found for %any requested by 'dave@strongswan.org'",
		"no virtual IP found, sending INTERNAL_ADDRESS_FAILURE",
		"configuration payload negotiation failed, no CHILD_SA built",
	} {
		if !moon.logHas(l) {
			t.Errorf("moon's log lacks %q", l)
		}
	}
	if !dave.logHas("received INTERNAL_ADDRESS_FAILURE notify, no CHILD_SA built") {
		t.Error("dave's log lacks the failure")
	}
	// the IKE_SA stays (charon keeps it without CHILD_SA), without address
	ds := dave.established()
	if len(ds) != 1 || len(ds[0].Children) != 0 || len(ds[0].MyVIPs) != 0 || len(dave.kernel.VirtualIPs()) != 0 {
		t.Errorf("dave: %+v, vips %v", ds, dave.kernel.VirtualIPs())
	}
}

func TestVirtualIPNotRequested(t *testing.T) {
	pool := newTestPool("10.3.0.0/28", "10.3.0.0", 14)
	e := vipEnv(t, pool, nil)
	moon := e.addHost("moon", "192.168.0.1", moonPool("10.3.0.0/28"), keySecret("moon"), 1)
	carol := rwVIPHost(e, "carol", "192.168.0.100", "", 3)
	if err := carol.up("home"); err == nil {
		t.Fatal("a CHILD_SA came up without the virtual IP moon insists on")
	}
	e.settle()
	if !moon.logHas("expected a virtual IP request, sending FAILED_CP_REQUIRED") {
		t.Error("moon's log lacks FAILED_CP_REQUIRED")
	}
	if !carol.logHas("received FAILED_CP_REQUIRED notify, no CHILD_SA built") {
		t.Error("carol's log lacks the failure")
	}
}

// An IKE rekeying keeps the virtual IPs with the new IKE_SA; a
// reauthentication asks for the same address again and the host keeps it
// all along.
func TestVirtualIPRekeyReauth(t *testing.T) {
	pool := newTestPool("10.3.0.0/28", "10.3.0.0", 14)
	dns := &dnsHandler{}
	e := vipEnv(t, pool, dns)
	pool.attrs = []attr.Attribute{message.IP4Attr(message.CPInternalIP4DNS, netip.MustParseAddr("10.1.0.10"))}
	moon := e.addHost("moon", "192.168.0.1", moonPool("10.3.0.0/28"), keySecret("moon"), 1)
	carol := rwVIPHost(e, "carol", "192.168.0.100", "%config", 3)
	if err := carol.up("home"); err != nil {
		t.Fatal(err)
	}
	e.settle()
	id := carol.established()[0].UniqueID
	carol.mgr.Post(id, func(s *IKESA) { s.Rekey() })
	e.settle()
	e.run(10 * time.Second)
	cs, ms := carol.established(), moon.established()
	if len(cs) != 1 || cs[0].UniqueID == id || fmt.Sprint(cs[0].MyVIPs) != "[10.3.0.1]" {
		t.Fatalf("after rekeying carol has %+v", cs)
	}
	if len(ms) != 1 || fmt.Sprint(ms[0].PeerVIPs) != "[10.3.0.1]" || len(pool.released) != 0 {
		t.Fatalf("after rekeying moon has VIPs %v, released %v", ms[0].PeerVIPs, pool.released)
	}
	if got := fmt.Sprint(carol.kernel.VirtualIPs()); got != "[10.3.0.1/32]" {
		t.Fatalf("carol's virtual IPs after rekeying %s", got)
	}
	if inst, _ := dns.state(); fmt.Sprint(inst) != "[10.1.0.10]" {
		t.Errorf("DNS after rekeying %v", inst)
	}
	// reauthentication (break-before-make)
	rekeyed := cs[0].UniqueID
	carol.mgr.Post(rekeyed, func(s *IKESA) { s.Reauthenticate() })
	e.settle()
	e.run(10 * time.Second)
	cs = carol.established()
	if len(cs) != 1 || cs[0].UniqueID == rekeyed || fmt.Sprint(cs[0].MyVIPs) != "[10.3.0.1]" || len(cs[0].Children) != 1 {
		t.Fatalf("after reauthentication carol has %+v", cs)
	}
	if got := fmt.Sprint(carol.kernel.VirtualIPs()); got != "[10.3.0.1/32]" {
		t.Fatalf("carol's virtual IPs after reauthentication %s", got)
	}
	if inst, _ := dns.state(); fmt.Sprint(inst) != "[10.1.0.10]" {
		t.Errorf("DNS after reauthentication %v", inst)
	}
	if got := childTS(cs[0].Children[0]); got != "10.3.0.1/32 === 10.1.0.0/16" {
		t.Errorf("TS after reauthentication %s", got)
	}
}
