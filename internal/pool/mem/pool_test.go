package mem

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// logCapture collects the messages logged up to level 2.
type logCapture struct {
	L   *log.Logger
	sub *log.Subscription
}

func newCapture(t *testing.T) *logCapture {
	l := log.New(log.Options{Stderr: io.Discard, Stdout: io.Discard})
	c := &logCapture{L: l, sub: l.Subscribe(log.Filter{Level: log.Diag, Buffer: 1 << 16})}
	t.Cleanup(func() { l.Close() })
	return c
}

// lines returns and forgets the messages logged so far.
func (c *logCapture) lines() []string {
	var out []string
	for {
		select {
		case r := <-c.sub.Records():
			out = append(out, fmt.Sprintf("[%s] %s", r.Group, r.Message))
		default:
			return out
		}
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

var any4 = netip.IPv4Unspecified()

func peer(id, addr string) attr.SA {
	return attr.SA{Name: "rw", UniqueID: 1, PeerID: identity.MustParse(id), PeerAddr: netip.MustParseAddrPort(addr)}
}

func TestPoolSizes(t *testing.T) {
	tests := []struct {
		spec        string
		size        uint32
		first, last string
		logs        []string
	}{
		{spec: "10.3.0.0/28", size: 14, first: "10.3.0.1", last: "10.3.0.14"},
		{spec: "10.3.0.5/28", size: 10, first: "10.3.0.5", last: "10.3.0.14"},
		{spec: "10.3.0.0/16", size: 65534, first: "10.3.0.1", last: "10.3.255.254"},
		{spec: "10.3.0.0/30", size: 2, first: "10.3.0.1", last: "10.3.0.2"},
		{spec: "10.3.0.0/31", size: 2, first: "10.3.0.0", last: "10.3.0.1"},
		{spec: "10.3.0.1/31", size: 1, first: "10.3.0.1", last: "10.3.0.1"},
		{spec: "10.3.0.7/32", size: 1, first: "10.3.0.7", last: "10.3.0.7"},
		{spec: "10.3.0.7", size: 1, first: "10.3.0.7", last: "10.3.0.7"},
		{spec: "10.3.0.1-10.3.0.20", size: 20, first: "10.3.0.1", last: "10.3.0.20"},
		{spec: "10.3.0.9-10.3.0.9", size: 1, first: "10.3.0.9", last: "10.3.0.9"},
		{spec: "fec3::/120", size: 254, first: "fec3::1", last: "fec3::fe"},
		{spec: "fec3::1-fec3::fe", size: 254, first: "fec3::1", last: "fec3::fe"},
		{spec: "fec3::/64", size: 1<<31 - 2, first: "fec3::1", last: "fec3::7fff:fffe",
			logs: []string{"[CFG] virtual IP pool too large, limiting to fec3::/97"}},
		// the base is no network address of a /1: charon starts there
		{spec: "10.0.0.0/0", size: 1<<31 - 10<<24 - 1, first: "10.0.0.0", last: "127.255.255.254",
			logs: []string{"[CFG] virtual IP pool too large, limiting to 10.0.0.0/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			c := newCapture(t)
			p, ok := Parse(tt.spec, c.L)
			if !ok {
				t.Fatal("does not parse")
			}
			if p.Name() != tt.spec || p.Size() != tt.size {
				t.Fatalf("name %q size %d, want %d", p.Name(), p.Size(), tt.size)
			}
			first := ip(tt.first)
			if o, ok := p.offset(first); !ok || p.addr(o) != first {
				t.Errorf("first %s not in pool", first)
			}
			// fill from the bottom: the first lease is the first address
			a, ok := p.acquire(peer("carol@strongswan.org", "192.168.0.100:4500"), netip.IPv6Unspecified(), opNew)
			if first.Is4() {
				a, ok = p.acquire(peer("carol@strongswan.org", "192.168.0.100:4500"), any4, opNew)
			}
			if !ok || a != first {
				t.Errorf("first lease %s %v, want %s", a, ok, first)
			}
			base := p.Base()
			lastOff := p.size
			if p.netID {
				lastOff++
			}
			if got := p.addr(lastOff); got != ip(tt.last) {
				t.Errorf("last address %s, want %s (base %s)", got, tt.last, base)
			}
			got := slices.DeleteFunc(c.lines(), func(s string) bool { return strings.Contains(s, "assigning") })
			if !slices.Equal(got, tt.logs) {
				t.Errorf("logs %q, want %q", got, tt.logs)
			}
		})
	}
}

func TestPoolInvalid(t *testing.T) {
	tests := []struct {
		spec string
		log  string
	}{
		{"10.3.0.9-10.3.0.1", "[CFG] invalid IP address range: 10.3.0.9-10.3.0.1"},
		{"fec3::1-fec4::1", "[CFG] IP address range too large: fec3::1-fec4::1"},
		{"10.3.0.1-fec3::1", ""},
		{"bogus", ""},
		{"10.3.0.0/", ""}, // atoi("") is 0: a huge pool, as in charon
	}
	for _, tt := range tests {
		c := newCapture(t)
		p, ok := Parse(tt.spec, c.L)
		if tt.spec == "10.3.0.0/" {
			if !ok || p.Size() != 1<<31-(10<<24+3<<16)-1 {
				t.Errorf("%s: %v", tt.spec, ok)
			}
			continue
		}
		if ok {
			t.Errorf("%s parses", tt.spec)
		}
		got := strings.Join(c.lines(), "\n")
		if got != tt.log {
			t.Errorf("%s: logs %q, want %q", tt.spec, got, tt.log)
		}
	}
}

// step is one acquire or release against a set of pools.
type step struct {
	release bool
	id      string
	peer    string // address:port
	req     string // requested address, "" for 0.0.0.0
	want    string // acquired address, "" for none
	logs    []string
}

func runSteps(t *testing.T, c *logCapture, ps *Pools, pools []string, steps []step) {
	t.Helper()
	for i, s := range steps {
		sa := peer(s.id, s.peer)
		req := any4
		if s.req != "" {
			req = ip(s.req)
		}
		var got string
		if s.release {
			if ps.ReleaseAddress(pools, ip(s.req), sa) {
				got = s.req
			}
		} else if a, ok := ps.AcquireAddress(pools, sa, req); ok {
			got = a.String()
		}
		if got != s.want {
			t.Errorf("step %d (%s %s): got %q, want %q", i, s.id, s.peer, got, s.want)
		}
		if l := c.lines(); !slices.Equal(l, s.logs) {
			t.Errorf("step %d: logs\n%q\nwant\n%q", i, l, s.logs)
		}
	}
}

const (
	carol = "carol@strongswan.org"
	dave  = "dave@strongswan.org"
	alice = "alice@strongswan.org"
	venus = "venus.strongswan.org"
)

func TestLeaseSemantics(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	p, _ := Parse("10.3.0.0/30", c.L) // two addresses
	ps.Add(p)
	c.lines()
	pools := []string{"10.3.0.0/30"}
	runSteps(t, c, ps, pools, []step{
		{id: carol, peer: "192.168.0.100:4500", want: "10.3.0.1",
			logs: []string{"[CFG] assigning new lease to 'carol@strongswan.org'"}},
		{id: dave, peer: "192.168.0.200:4500", want: "10.3.0.2",
			logs: []string{"[CFG] assigning new lease to 'dave@strongswan.org'"}},
		// the pool is full and nobody is offline
		{id: alice, peer: "10.1.0.10:4500", want: "",
			logs: []string{"[CFG] pool '10.3.0.0/30' is full, unable to assign address"}},
		// carol again from the same address and port: shares her lease
		{id: carol, peer: "192.168.0.100:4500", want: "10.3.0.1",
			logs: []string{"[CFG] reassigning online lease to 'carol@strongswan.org'"}},
		// ... also when she asks for it
		{id: carol, peer: "192.168.0.100:4500", req: "10.3.0.1", want: "10.3.0.1",
			logs: []string{"[CFG] reassigning online lease to 'carol@strongswan.org'"}},
		// but not when she asks for another one, nor from another port
		{id: carol, peer: "192.168.0.100:4500", req: "10.3.0.2", want: "",
			logs: []string{"[CFG] pool '10.3.0.0/30' is full, unable to assign address"}},
		{id: carol, peer: "192.168.0.100:1024", want: "",
			logs: []string{"[CFG] pool '10.3.0.0/30' is full, unable to assign address"}},
		// three IKE_SAs share 10.3.0.1: it goes offline with the last
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "10.3.0.1", want: "10.3.0.1"},
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "10.3.0.1", want: "10.3.0.1"},
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "10.3.0.1", want: "10.3.0.1",
			logs: []string{"[CFG] lease 10.3.0.1 by 'carol@strongswan.org' went offline"}},
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "10.3.0.1", want: ""},
		// not dave's to release
		{release: true, id: dave, peer: "192.168.0.200:4500", req: "10.3.0.1", want: ""},
		// carol comes back, from anywhere: her offline lease
		{id: carol, peer: "192.168.0.101:4500", want: "10.3.0.1",
			logs: []string{"[CFG] reassigning offline lease to 'carol@strongswan.org'"}},
		{release: true, id: carol, peer: "192.168.0.101:4500", req: "10.3.0.1", want: "10.3.0.1",
			logs: []string{"[CFG] lease 10.3.0.1 by 'carol@strongswan.org' went offline"}},
		{release: true, id: dave, peer: "192.168.0.200:4500", req: "10.3.0.2", want: "10.3.0.2",
			logs: []string{"[CFG] lease 10.3.0.2 by 'dave@strongswan.org' went offline"}},
		// the pool is used up: alice gets the offline lease of the
		// identity that came first (carol), then venus dave's
		{id: alice, peer: "10.1.0.10:4500", want: "10.3.0.1",
			logs: []string{"[CFG] reassigning existing offline lease by 'carol@strongswan.org' to 'alice@strongswan.org'"}},
		{id: venus, peer: "10.1.0.20:4500", want: "10.3.0.2",
			logs: []string{"[CFG] reassigning existing offline lease by 'dave@strongswan.org' to 'venus.strongswan.org'"}},
		{id: carol, peer: "192.168.0.100:4500", want: "",
			logs: []string{"[CFG] pool '10.3.0.0/30' is full, unable to assign address"}},
	})
	on, off := p.Counts()
	if on != 2 || off != 0 {
		t.Errorf("online %d offline %d", on, off)
	}
	// carol's and dave's entries are gone; alice and venus are listed in
	// the order they got their leases
	want := []Lease{{ip("10.3.0.1"), identity.MustParse(alice), true}, {ip("10.3.0.2"), identity.MustParse(venus), true}}
	if got := p.Leases(); !slices.EqualFunc(got, want, func(a, b Lease) bool {
		return a.Addr == b.Addr && a.Identity.Equal(b.Identity) && a.Online == b.Online
	}) {
		t.Errorf("leases %v", got)
	}
}

func TestRequestedAndFamilies(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	p4, _ := Parse("10.3.0.0/28", c.L)
	p6, _ := Parse("fec3::/120", c.L)
	ps.Add(p4)
	ps.Add(p6)
	c.lines()
	pools := []string{"10.3.0.0/28", "fec3::/120"}
	runSteps(t, c, ps, pools, []step{
		// a new lease is the next free address whatever the peer asks
		// for (charon's mem_pool ignores the wish)
		{id: carol, peer: "192.168.0.100:4500", req: "10.3.0.5", want: "10.3.0.1",
			logs: []string{"[CFG] assigning new lease to 'carol@strongswan.org'"}},
		{id: carol, peer: "192.168.0.100:4500", req: "::", want: "fec3::1",
			logs: []string{"[CFG] assigning new lease to 'carol@strongswan.org'"}},
		{id: dave, peer: "192.168.0.200:4500", req: "fec3::1", want: "fec3::2",
			logs: []string{"[CFG] assigning new lease to 'dave@strongswan.org'"}},
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "fec3::1", want: "fec3::1",
			logs: []string{"[CFG] lease fec3::1 by 'carol@strongswan.org' went offline"}},
		// an address of the other family is nobody's
		{release: true, id: carol, peer: "192.168.0.100:4500", req: "10.3.0.16", want: ""},
	})
	if _, ok := ps.AcquireAddress([]string{"nonexistent"}, peer(carol, "1.2.3.4:500"), any4); ok {
		t.Error("acquired from an unknown pool")
	}
}

func TestConfigPool(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	names := ps.AddConn("rw", []config.SourceIP{{Kind: config.SourceIPConfig, Raw: "%config"}}, nil)
	if !slices.Equal(names, []string{"rw"}) {
		t.Fatalf("names %q", names)
	}
	if l := c.lines(); len(l) != 0 {
		t.Errorf("logs %q", l)
	}
	sa := peer(carol, "192.168.0.100:4500")
	if a, ok := ps.AcquireAddress(names, sa, ip("10.9.9.9")); !ok || a != ip("10.9.9.9") {
		t.Errorf("got %s %v", a, ok)
	}
	if a, ok := ps.AcquireAddress(names, sa, any4); !ok || a != any4 {
		t.Errorf("got %s %v", a, ok)
	}
	if _, ok := ps.AcquireAddress(names, sa, netip.Addr{}); ok {
		t.Error("acquired without a request")
	}
	if ps.ReleaseAddress(names, ip("10.9.9.9"), sa) {
		t.Error("released from the empty pool")
	}
	if st := ps.Status(); len(st) != 0 {
		t.Errorf("status lists %v", st)
	}
	ps.AddConn("rw", []config.SourceIP{{Kind: config.SourceIPConfig, Raw: "%config"}}, nil)
	if len(ps.pools) != 1 {
		t.Errorf("%d pools after reload", len(ps.pools))
	}
}

func sourceIPs(t *testing.T, specs ...string) []config.SourceIP {
	var out []config.SourceIP
	for _, s := range specs {
		sip := config.SourceIP{Raw: s}
		switch {
		case s == "%config":
			sip.Kind = config.SourceIPConfig
		case strings.HasPrefix(s, "%"):
			sip.Kind, sip.Pool = config.SourceIPPool, s[1:]
		case strings.Contains(s, "-"):
			sip.Kind = config.SourceIPRange
		case strings.Contains(s, "/"):
			sip.Kind = config.SourceIPPrefix
		default:
			sip.Kind = config.SourceIPAddr
		}
		out = append(out, sip)
	}
	return out
}

func TestAddConnReuseAndRetain(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	names := ps.AddConn("rw", sourceIPs(t, "10.3.0.0/28", "%bigpool", "fec3::/120", "10.9.0.1-10.9.0.0"), nil)
	if want := []string{"10.3.0.0/28", "bigpool", "fec3::/120"}; !slices.Equal(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	want := []string{
		"[CFG] adding virtual IP address pool 10.3.0.0/28",
		"[CFG] adding virtual IP address pool fec3::/120",
		"[CFG] invalid IP address range: 10.9.0.1-10.9.0.0",
		"[CFG] IP pool 10.9.0.1-10.9.0.0 invalid, ignored",
	}
	if l := c.lines(); !slices.Equal(l, want) {
		t.Errorf("logs\n%q\nwant\n%q", l, want)
	}
	sa := peer(carol, "192.168.0.100:4500")
	if a, _ := ps.AcquireAddress(names, sa, any4); a != ip("10.3.0.1") {
		t.Fatalf("acquired %s", a)
	}
	c.lines()
	// reload: the same pool again is reused with its leases
	ps.AddConn("rw", sourceIPs(t, "10.3.0.0/28"), nil)
	if l := c.lines(); !slices.Equal(l, []string{"[CFG] reusing virtual IP address pool 10.3.0.0/28"}) {
		t.Errorf("logs %q", l)
	}
	// a pool with the same first address and size under another name is
	// the existing one too (charon compares base and size)
	ps.AddConn("rw2", sourceIPs(t, "10.3.0.0-10.3.0.13"), nil)
	if l := c.lines(); !slices.Equal(l, []string{"[CFG] reusing virtual IP address pool 10.3.0.0/28"}) {
		t.Errorf("logs %q", l)
	}
	ps.Retain([]string{"10.3.0.0/28"})
	if st := ps.Status(); len(st) != 1 || st[0] != (control.Pool{Name: "10.3.0.0/28", Size: 14, Online: 1}) {
		t.Errorf("status %+v", st)
	}
	// a pool no conn names survives while it has online leases
	ps.Retain(nil)
	if ps.Get("10.3.0.0/28") == nil {
		t.Fatal("pool with an online lease dropped")
	}
	ps.ReleaseAddress(names, ip("10.3.0.1"), sa)
	ps.Retain(nil)
	if ps.Get("10.3.0.0/28") != nil {
		t.Fatal("idle pool kept")
	}
}

func TestDNSAttributes(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	ps.AddConn("rw", nil, []config.DNSServer{
		{Addr: ip("10.1.0.20")}, {Request: true, Addr: any4}, {Addr: ip("fec1::20")},
	})
	if l := c.lines(); !slices.Equal(l, []string{"[CFG] ignoring invalid DNS address '%config4'"}) {
		t.Errorf("logs %q", l)
	}
	got := ps.Attributes(nil, attr.SA{Name: "rw"}, nil)
	want := []attr.Attribute{
		{Type: message.CPInternalIP4DNS, Value: []byte{10, 1, 0, 20}},
		{Type: message.CPInternalIP6DNS, Value: ip("fec1::20").AsSlice()},
	}
	if !slices.EqualFunc(got, want, func(a, b attr.Attribute) bool { return a.Type == b.Type && bytes.Equal(a.Value, b.Value) }) {
		t.Errorf("attributes %v", got)
	}
	if got := ps.Attributes(nil, attr.SA{Name: "other"}, nil); len(got) != 0 {
		t.Errorf("other conn gets %v", got)
	}
	ps.DelConn("rw")
	if got := ps.Attributes(nil, attr.SA{Name: "rw"}, nil); len(got) != 0 {
		t.Errorf("deleted conn gets %v", got)
	}
}

func TestLeasesView(t *testing.T) {
	c := newCapture(t)
	ps := NewPools(c.L)
	names := ps.AddConn("rw", sourceIPs(t, "10.3.0.0/28"), nil)
	ps.AddConn("int", sourceIPs(t, "10.4.0.0/28"), nil)
	for _, s := range []struct{ id, peer string }{{dave, "192.168.0.200:4500"}, {carol, "192.168.0.100:4500"}, {alice, "10.1.0.10:4500"}} {
		ps.AcquireAddress(names, peer(s.id, s.peer), any4)
	}
	ps.ReleaseAddress(names, ip("10.3.0.1"), peer(dave, "192.168.0.200:4500"))

	render := func(pool, filter string) string {
		var b strings.Builder
		control.WriteLeases(&b, &control.Leases{Pools: ps.Leases(pool, filter)}, pool, filter)
		return b.String()
	}
	tests := []struct{ pool, filter, want string }{
		{"", "", `Leases in pool '10.3.0.0/28', usage: 3/14, 2 online
         10.3.0.1   offline   'dave@strongswan.org'
         10.3.0.2   online   'carol@strongswan.org'
         10.3.0.3   online   'alice@strongswan.org'
Leases in pool '10.4.0.0/28', usage: 0/14, 0 online
  no matching leases found
`},
		{"10.3.0.0/28", "10.3.0.2", `Leases in pool '10.3.0.0/28', usage: 3/14, 2 online
         10.3.0.2   online   'carol@strongswan.org'
`},
		{"10.3.0.0/28", "alice@strongswan.org", `Leases in pool '10.3.0.0/28', usage: 3/14, 2 online
         10.3.0.3   online   'alice@strongswan.org'
`},
		{"10.3.0.0/28", "10.3.0.9", `Leases in pool '10.3.0.0/28', usage: 3/14, 2 online
  no matching leases found
`},
		{"nopool", "", "pool 'nopool' not found\n"},
	}
	for _, tt := range tests {
		if got := render(tt.pool, tt.filter); got != tt.want {
			t.Errorf("leases %q %q:\n%s\nwant\n%s", tt.pool, tt.filter, got, tt.want)
		}
	}
	var b strings.Builder
	control.WriteLeases(&b, &control.Leases{Pools: NewPools(nil).Leases("", "")}, "", "")
	if b.String() != "no pools found\n" {
		t.Errorf("empty: %q", b.String())
	}
}

func TestNilLogger(t *testing.T) {
	ps := NewPools(nil)
	names := ps.AddConn("rw", sourceIPs(t, "10.3.0.0/30", "bad"), nil)
	sa := peer(carol, "192.168.0.100:4500")
	for range 3 {
		ps.AcquireAddress(names, sa, any4)
	}
	ps.ReleaseAddress(names, ip("10.3.0.1"), sa)
}

// TestConcurrent has many IKE_SAs acquire and release at once: an address
// is never online for two identities, and the counts add up.
func TestConcurrent(t *testing.T) {
	ps := NewPools(nil)
	names := ps.AddConn("rw", sourceIPs(t, "10.3.0.0/24", "10.4.0.0/28"), nil)
	const workers, rounds = 16, 300
	var (
		mu    sync.Mutex
		owner = map[netip.Addr]string{}
		fail  = make(chan string, workers)
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				id := fmt.Sprintf("user%d-%d@example.org", w, r%20)
				sa := peer(id, fmt.Sprintf("192.0.2.%d:4500", w+1))
				a, ok := ps.AcquireAddress(names, sa, any4)
				if !ok {
					continue
				}
				mu.Lock()
				if o, taken := owner[a]; taken && o != id {
					fail <- fmt.Sprintf("%s given to %s while %s holds it", a, id, o)
					mu.Unlock()
					return
				}
				owner[a] = id
				mu.Unlock()
				ps.Leases("", "")
				mu.Lock()
				delete(owner, a)
				mu.Unlock()
				if !ps.ReleaseAddress(names, a, sa) {
					fail <- fmt.Sprintf("release of %s by %s failed", a, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(fail)
	for f := range fail {
		t.Error(f)
	}
	for _, st := range ps.Status() {
		if st.Online != 0 || st.Online+st.Offline > st.Size {
			t.Errorf("%+v", st)
		}
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	ps := NewPools(nil)
	names := ps.AddConn("rw", []config.SourceIP{{Kind: config.SourceIPPrefix, Raw: "10.3.0.0/16"}}, nil)
	ids := make([]attr.SA, 1<<16)
	for i := range ids {
		ids[i] = attr.SA{PeerID: identity.New(identity.RFC822, fmt.Appendf(nil, "user%d@example.org", i)),
			PeerAddr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)}), 4500)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			sa := ids[i&(len(ids)-1)]
			i += 7919
			a, ok := ps.AcquireAddress(names, sa, any4)
			if ok {
				ps.ReleaseAddress(names, a, sa)
			}
		}
	})
}
