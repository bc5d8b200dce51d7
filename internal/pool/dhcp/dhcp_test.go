package dhcp

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
)

var pools = []string{"dhcp"}

func TestSettings(t *testing.T) {
	for _, tc := range []struct {
		conf string
		want settings
		err  bool
	}{
		{"", settings{server: netip.MustParseAddr("255.255.255.255")}, false},
		{"charon { plugins { dhcp { server = 10.1.0.1\n use_server_port = yes\n force_server_address = yes\n identity_lease = yes\n interface = eth1 } } }",
			settings{server: netip.MustParseAddr("10.1.0.1"), force: true, identityLease: true, iface: "eth1", useServerPort: true}, false},
		// use_server_port only matters as relay agent
		{"charon { plugins { dhcp { use_server_port = yes } } }", settings{server: netip.MustParseAddr("255.255.255.255")}, false},
		{"charon { plugins { dhcp { server = fec0::1 } } }", settings{}, true},
		{"charon { plugins { dhcp { server = dhcp.example } } }", settings{}, true},
	} {
		s, _ := config.ParseSettings(nil, "strongswan.conf", []byte(tc.conf))
		got, err := readSettings(s)
		if (err != nil) != tc.err {
			t.Errorf("%q: err %v", tc.conf, err)
			continue
		}
		if err == nil && got != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.conf, got, tc.want)
		}
	}
}

// strongSwan's chunk_hash_static vectors (SipHash-2-4 of 00 01 02 ...,
// low half), from its test_chunk.c.
func TestHashStatic(t *testing.T) {
	want := map[int]uint32{0: 0xdd0e0e31, 1: 0x93dc67fd, 7: 0x8b01d137, 8: 0x9a932462,
		15: 0x49be45e5, 16: 0x57c29bdb, 63: 0xeb064572}
	for n, w := range want {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i)
		}
		if got := hashStatic(in); got != w {
			t.Errorf("len %d: got %#x, want %#x", n, got, w)
		}
	}
}

func TestClientMAC(t *testing.T) {
	id := peer("carol@strongswan.org").PeerID
	xid := dhcpv4.TransactionID{0xde, 0xad, 0xbe, 0xef}
	if got := clientMAC(id, xid, false).String(); got != "7a:a7:de:ad:be:ef" {
		t.Errorf("random lease MAC %s", got)
	}
	h := hashStatic([]byte("carol@strongswan.org"))
	want := fmt.Sprintf("7a:a7:%02x:%02x:%02x:%02x", byte(h>>24), byte(h>>16), byte(h>>8), byte(h))
	if got := clientMAC(id, xid, true).String(); got != want {
		t.Errorf("identity MAC %s, want %s", got, want)
	}
}

func TestAcquireRelease(t *testing.T) {
	p, c, logs := newTestProvider(t, testOpts{})
	vip := netip.MustParseAddr("10.0.0.50")
	seen := make(chan sent, 16)
	serve(t, c, vip, 3600, seen)
	sa := peer("carol.strongswan.org")

	got, ok := p.AcquireAddress(pools, sa, anyV4)
	if !ok || got != vip {
		t.Fatalf("AcquireAddress = %v, %v", got, ok)
	}
	disc, req := <-seen, <-seen
	if disc.m.MessageType() != dhcpv4.MessageTypeDiscover || req.m.MessageType() != dhcpv4.MessageTypeRequest {
		t.Fatalf("sent %s, %s", disc.m.MessageType(), req.m.MessageType())
	}
	if disc.dst.String() != "255.255.255.255" || req.dst != serverAddr {
		t.Errorf("DISCOVER to %s, REQUEST to %s", disc.dst, req.dst)
	}
	for _, s := range []sent{disc, req} {
		m := s.m
		if !m.IsBroadcast() || !m.GatewayIPAddr.Equal(net.IPv4zero) {
			t.Errorf("%s: broadcast %v giaddr %s", m.MessageType(), m.IsBroadcast(), m.GatewayIPAddr)
		}
		if m.TransactionID != disc.m.TransactionID {
			t.Errorf("%s: xid changed", m.MessageType())
		}
		if !bytes.Equal(m.ClientHWAddr[2:], m.TransactionID[:]) || m.ClientHWAddr[0] != 0x7a || m.ClientHWAddr[1] != 0xa7 {
			t.Errorf("%s: chaddr %s for xid %s", m.MessageType(), m.ClientHWAddr, m.TransactionID)
		}
		if h := m.Options.Get(dhcpv4.OptionHostName); string(h) != "carol.strongswan.org" {
			t.Errorf("%s: host name %q", m.MessageType(), h)
		}
		if m.Options.Has(dhcpv4.OptionClientIdentifier) {
			t.Errorf("%s: client identifier without identity_lease", m.MessageType())
		}
		if prl := m.Options.Get(dhcpv4.OptionParameterRequestList); !bytes.Equal(prl, []byte{6, 44}) {
			t.Errorf("%s: parameter request list %v", m.MessageType(), prl)
		}
	}
	if a := req.m.Options.Get(dhcpv4.OptionRequestedIPAddress); !bytes.Equal(a, vip.AsSlice()) {
		t.Errorf("REQUEST for %v", a)
	}
	if a := req.m.Options.Get(dhcpv4.OptionServerIdentifier); !bytes.Equal(a, serverAddr.AsSlice()) {
		t.Errorf("REQUEST server id %v", a)
	}
	logs.waitFor(t, "sending DHCP DISCOVER for "+disc.m.ClientHWAddr.String()+" to 255.255.255.255")
	logs.waitFor(t, "received DHCP OFFER 10.0.0.50 from 10.0.0.1")
	logs.waitFor(t, "sending DHCP REQUEST for 10.0.0.50 to 10.0.0.1")
	logs.waitFor(t, "received DHCP ACK for 10.0.0.50")

	attrs := p.Attributes(pools, sa, []netip.Addr{vip})
	want := []attr.Attribute{
		{Type: message.CPInternalIP4DNS, Value: dns1.AsSlice()},
		{Type: message.CPInternalIP4DNS, Value: dns2.AsSlice()},
		{Type: message.CPInternalIP4NBNS, Value: nbns1.AsSlice()},
	}
	if !slices.EqualFunc(attrs, want, func(a, b attr.Attribute) bool { return a.Type == b.Type && bytes.Equal(a.Value, b.Value) }) {
		t.Errorf("attributes %v", attrs)
	}
	if a := p.Attributes([]string{"other"}, sa, []netip.Addr{vip}); a != nil {
		t.Errorf("attributes for another pool: %v", a)
	}
	if a := p.Attributes(pools, peer("dave@strongswan.org"), []netip.Addr{vip}); a != nil {
		t.Errorf("attributes for another peer: %v", a)
	}

	if p.ReleaseAddress(pools, vip, peer("dave@strongswan.org")) {
		t.Error("released another peer's address")
	}
	if !p.ReleaseAddress(pools, vip, sa) {
		t.Fatal("ReleaseAddress = false")
	}
	rel := <-seen
	if rel.m.MessageType() != dhcpv4.MessageTypeRelease || rel.dst != serverAddr {
		t.Fatalf("sent %s to %s", rel.m.MessageType(), rel.dst)
	}
	if !rel.m.ClientIPAddr.Equal(vip.AsSlice()) || !bytes.Equal(rel.m.ClientHWAddr, disc.m.ClientHWAddr) ||
		!bytes.Equal(rel.m.Options.Get(dhcpv4.OptionServerIdentifier), serverAddr.AsSlice()) {
		t.Errorf("RELEASE ciaddr %s chaddr %s", rel.m.ClientIPAddr, rel.m.ClientHWAddr)
	}
	logs.waitFor(t, "sending DHCP RELEASE for 10.0.0.50 to 10.0.0.1")
	if p.ReleaseAddress(pools, vip, sa) {
		t.Error("released twice")
	}
	if a := p.Attributes(pools, sa, []netip.Addr{vip}); a != nil {
		t.Errorf("attributes after release: %v", a)
	}
}

func TestNotOurs(t *testing.T) {
	p, c, _ := newTestProvider(t, testOpts{})
	sa := peer("carol@strongswan.org")
	for _, tc := range []struct {
		pools []string
		req   netip.Addr
	}{
		{[]string{"mem"}, anyV4},
		{nil, anyV4},
		{pools, netip.IPv6Unspecified()},
		{pools, netip.Addr{}},
	} {
		if a, ok := p.AcquireAddress(tc.pools, sa, tc.req); ok {
			t.Errorf("%v %v: got %s", tc.pools, tc.req, a)
		}
	}
	if p.ReleaseAddress(pools, netip.MustParseAddr("10.0.0.9"), sa) {
		t.Error("released an unknown address")
	}
	c.none(t, 50*time.Millisecond)
}

func TestIdentityLease(t *testing.T) {
	p, c, _ := newTestProvider(t, testOpts{identityLease: true})
	vip := netip.MustParseAddr("10.0.0.60")
	seen := make(chan sent, 16)
	serve(t, c, vip, 3600, seen)
	sa := peer("carol@strongswan.org")
	sa2 := sa
	sa2.UniqueID = 2

	for _, s := range []attr.SA{sa, sa2} {
		if got, ok := p.AcquireAddress(pools, s, anyV4); !ok || got != vip {
			t.Fatalf("AcquireAddress = %v, %v", got, ok)
		}
	}
	h := hashStatic([]byte("carol@strongswan.org"))
	mac := net.HardwareAddr{0x7a, 0xa7, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
	for range 4 {
		s := <-seen
		if !bytes.Equal(s.m.ClientHWAddr, mac) {
			t.Errorf("%s: chaddr %s, want %s", s.m.MessageType(), s.m.ClientHWAddr, mac)
		}
		if id := s.m.Options.Get(dhcpv4.OptionClientIdentifier); string(id) != "carol@strongswan.org" {
			t.Errorf("%s: client id %q", s.m.MessageType(), id)
		}
		if s.m.Options.Has(dhcpv4.OptionHostName) {
			t.Errorf("%s: host name for an RFC822 identity", s.m.MessageType())
		}
	}
	// two holders of one lease: the first release keeps it
	if !p.ReleaseAddress(pools, vip, sa) {
		t.Fatal("first release")
	}
	select {
	case s := <-seen:
		t.Fatalf("sent %s while the lease is still held", s.m.MessageType())
	case <-time.After(50 * time.Millisecond):
	}
	if a := p.Attributes(pools, sa2, []netip.Addr{vip}); len(a) != 3 {
		t.Errorf("attributes of the remaining holder: %v", a)
	}
	if !p.ReleaseAddress(pools, vip, sa2) {
		t.Fatal("second release")
	}
	if s := <-seen; s.m.MessageType() != dhcpv4.MessageTypeRelease {
		t.Fatalf("sent %s", s.m.MessageType())
	}
}

// Truncation of long identities as strongSwan's prepare_dhcp.
func TestLongIdentity(t *testing.T) {
	p, c, _ := newTestProvider(t, testOpts{identityLease: true})
	long := make([]byte, 400)
	for i := range long {
		long[i] = 'a'
	}
	sa := peer(string(long)) // FQDN: host name and client id
	m := p.newMessage(dhcpv4.MessageTypeDiscover, dhcpv4.TransactionID{1, 2, 3, 4}, clientMAC(sa.PeerID, dhcpv4.TransactionID{}, true), sa.PeerID)
	if n := len(m.Options.Get(dhcpv4.OptionHostName)); n != 255 {
		t.Errorf("host name of %d octets", n)
	}
	if n := len(m.Options.Get(dhcpv4.OptionClientIdentifier)); n != 288-257-2 {
		t.Errorf("client id of %d octets", n)
	}
	if _, err := dhcpv4.FromBytes(m.ToBytes()); err != nil {
		t.Error(err)
	}
	c.none(t, 10*time.Millisecond)
}

func TestRelayAgent(t *testing.T) {
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("force=%v", force), func(t *testing.T) {
			p, c, _ := newTestProvider(t, testOpts{server: "10.9.0.1", force: force})
			vip := netip.MustParseAddr("10.0.0.70")
			seen := make(chan sent, 16)
			serve(t, c, vip, 3600, seen) // answers as 10.0.0.1
			sa := peer("carol@strongswan.org")
			if got, ok := p.AcquireAddress(pools, sa, anyV4); !ok || got != vip {
				t.Fatalf("AcquireAddress = %v, %v", got, ok)
			}
			want := serverAddr
			if force {
				want = netip.MustParseAddr("10.9.0.1")
			}
			disc, req := <-seen, <-seen
			if disc.dst.String() != "10.9.0.1" || req.dst != want {
				t.Errorf("DISCOVER to %s, REQUEST to %s", disc.dst, req.dst)
			}
			for _, s := range []sent{disc, req} {
				if s.m.IsBroadcast() || !s.m.GatewayIPAddr.Equal(c.src.AsSlice()) {
					t.Errorf("%s: broadcast %v, giaddr %s", s.m.MessageType(), s.m.IsBroadcast(), s.m.GatewayIPAddr)
				}
			}
			p.ReleaseAddress(pools, vip, sa)
			if rel := <-seen; rel.dst != want {
				t.Errorf("RELEASE to %s", rel.dst)
			}
		})
	}
}

// Replies for other transactions or other clients, or of the wrong type,
// are ignored; the right one is taken.
func TestXIDMatching(t *testing.T) {
	p, c, logs := newTestProvider(t, testOpts{timeout: 200 * time.Millisecond})
	vip := netip.MustParseAddr("10.0.0.80")
	go func() {
		d := c.next(t).m
		other := *d
		other.TransactionID = dhcpv4.TransactionID{d.TransactionID[0] ^ 1, 2, 3, 4}
		c.inject(replyTo(&other, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.99")), serverAddr)
		wrongMAC := *d
		wrongMAC.ClientHWAddr = net.HardwareAddr{1, 2, 3, 4, 5, 6}
		c.inject(replyTo(&wrongMAC, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.98")), serverAddr)
		c.inject(replyTo(d, dhcpv4.MessageTypeAck, netip.MustParseAddr("10.0.0.97")), serverAddr)
		c.inject(replyTo(d, dhcpv4.MessageTypeOffer, netip.IPv4Unspecified()), serverAddr)
		c.inject(replyTo(d, dhcpv4.MessageTypeOffer, vip, leaseOpts(60)...), serverAddr)
		r := c.next(t).m
		if r.MessageType() != dhcpv4.MessageTypeRequest {
			t.Errorf("sent %s", r.MessageType())
		}
		c.inject(replyTo(d, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.96")), serverAddr)
		c.inject(replyTo(r, dhcpv4.MessageTypeAck, vip, leaseOpts(60)...), serverAddr)
	}()
	got, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4)
	if !ok || got != vip {
		t.Fatalf("AcquireAddress = %v, %v", got, ok)
	}
	logs.waitFor(t, "ignoring DHCP OFFER 0.0.0.0 from 10.0.0.1")
	logs.waitFor(t, "ignoring DHCP OFFER for 01:02:03:04:05:06")
}

func TestTimeouts(t *testing.T) {
	t.Run("discover", func(t *testing.T) {
		p, c, logs := newTestProvider(t, testOpts{timeout: 5 * time.Millisecond})
		start := time.Now()
		if a, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); ok {
			t.Fatalf("got %s", a)
		}
		if d := time.Since(start); d < 75*time.Millisecond {
			t.Errorf("gave up after %s, want 1+2+3+4+5 units", d)
		}
		for i := range tries {
			if s := c.next(t); s.m.MessageType() != dhcpv4.MessageTypeDiscover {
				t.Fatalf("try %d: %s", i+1, s.m.MessageType())
			}
		}
		c.none(t, 20*time.Millisecond)
		logs.waitFor(t, "DHCP DISCOVER timed out")
	})
	t.Run("request", func(t *testing.T) {
		p, c, logs := newTestProvider(t, testOpts{timeout: 5 * time.Millisecond})
		go func() {
			d := c.next(t).m
			c.inject(replyTo(d, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.81")), serverAddr)
		}()
		if a, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); ok {
			t.Fatalf("got %s", a)
		}
		for i := range tries {
			if s := c.next(t); s.m.MessageType() != dhcpv4.MessageTypeRequest {
				t.Fatalf("try %d: %s", i+1, s.m.MessageType())
			}
		}
		logs.waitFor(t, "DHCP REQUEST timed out")
	})
	t.Run("send fails", func(t *testing.T) {
		p, c, logs := newTestProvider(t, testOpts{timeout: 5 * time.Millisecond})
		c.sendErr = fmt.Errorf("sendto: %w", net.ErrClosed)
		if _, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); ok {
			t.Fatal("acquired without sending")
		}
		logs.waitFor(t, "sending DHCP DISCOVER failed: sendto: use of closed network connection")
		logs.waitFor(t, "DHCP DISCOVER timed out")
	})
}

func TestNak(t *testing.T) {
	p, c, logs := newTestProvider(t, testOpts{timeout: time.Second})
	go func() {
		d := c.next(t).m
		c.inject(replyTo(d, dhcpv4.MessageTypeOffer, netip.MustParseAddr("10.0.0.82")), serverAddr)
		r := c.next(t).m
		c.inject(replyTo(r, dhcpv4.MessageTypeNak, netip.IPv4Unspecified(), dhcpv4.OptMessage("address\nin use")), serverAddr)
	}()
	start := time.Now()
	if a, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); ok {
		t.Fatalf("got %s", a)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("NAK took %s", d)
	}
	logs.waitFor(t, "received DHCP NAK for 10.0.0.82 from 10.0.0.1 (address?in use)")
}

// Garbage on the wire is dropped with a log line and never disturbs a
// running exchange.
func TestMalformed(t *testing.T) {
	p, c, logs := newTestProvider(t, testOpts{})
	vip := netip.MustParseAddr("10.0.0.83")
	go func() {
		d := c.next(t).m
		good := ipUDP(replyTo(d, dhcpv4.MessageTypeOffer, vip).ToBytes(), serverAddr, netip.IPv4Unspecified(), 67, 68)
		for _, pkt := range [][]byte{
			nil, {0x45}, good[:27], good[:100], good[:len(good)-1],
			ipUDP([]byte("garbage"), serverAddr, serverAddr, 67, 68),
			ipUDP(d.ToBytes(), serverAddr, serverAddr, 67, 68), // a BOOTREQUEST
			ipUDP(good[28:], serverAddr, serverAddr, 68, 67),   // wrong ports
		} {
			c.in <- pkt
		}
		noType := replyTo(d, dhcpv4.MessageTypeOffer, vip)
		noType.Options.Del(dhcpv4.OptionDHCPMessageType)
		c.inject(noType, serverAddr)
		c.in <- good
		r := c.next(t).m
		c.inject(replyTo(r, dhcpv4.MessageTypeAck, vip), serverAddr)
	}()
	if got, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); !ok || got != vip {
		t.Fatalf("AcquireAddress = %v, %v", got, ok)
	}
	logs.waitFor(t, "dropping invalid DHCP message: DHCP message truncated")
	logs.waitFor(t, "dropping invalid DHCP message: not a BOOTREPLY")
	logs.waitFor(t, "without message type")
}

func TestConcurrentAcquire(t *testing.T) {
	p, c, _ := newTestProvider(t, testOpts{timeout: time.Second})
	const n = 32
	// answers in reverse order of arrival, each xid its own address
	go func() {
		addrOf := map[dhcpv4.TransactionID]netip.Addr{}
		for round := range 2 {
			var batch []*dhcpv4.DHCPv4
			for range n {
				batch = append(batch, c.next(t).m)
			}
			for i := len(batch) - 1; i >= 0; i-- {
				m := batch[i]
				if round == 0 {
					addrOf[m.TransactionID] = netip.AddrFrom4([4]byte{10, 1, byte(i), m.TransactionID[0]})
					c.inject(replyTo(m, dhcpv4.MessageTypeOffer, addrOf[m.TransactionID]), serverAddr)
				} else {
					c.inject(replyTo(m, dhcpv4.MessageTypeAck, addrOf[m.TransactionID]), serverAddr)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	got := make([]netip.Addr, n)
	for i := range n {
		wg.Go(func() {
			a, ok := p.AcquireAddress(pools, peer(fmt.Sprintf("peer%d@strongswan.org", i)), anyV4)
			if !ok {
				t.Errorf("peer %d: no address", i)
			}
			got[i] = a
		})
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	for i, a := range got {
		if seen[a] {
			t.Errorf("peer %d: %s handed out twice", i, a)
		}
		seen[a] = true
		if !p.ReleaseAddress(pools, a, peer(fmt.Sprintf("peer%d@strongswan.org", i))) {
			t.Errorf("peer %d: lease %s not under its identity", i, a)
		}
	}
}

func TestCloseUnblocks(t *testing.T) {
	p, c, _ := newTestProvider(t, testOpts{})
	done := make(chan bool)
	go func() {
		_, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4)
		done <- ok
	}()
	c.next(t)
	p.Close()
	select {
	case ok := <-done:
		if ok {
			t.Error("acquired after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left AcquireAddress blocked")
	}
	if _, ok := p.AcquireAddress(pools, peer("carol@strongswan.org"), anyV4); ok {
		t.Error("acquired after Close")
	}
}

func TestLeaseTimes(t *testing.T) {
	start := time.Unix(1000, 0)
	mk := func(opts ...dhcpv4.Option) *dhcpv4.DHCPv4 {
		m := &dhcpv4.DHCPv4{Options: dhcpv4.Options{}}
		for _, o := range opts {
			m.UpdateOption(o)
		}
		return m
	}
	s := time.Second
	for i, tc := range []struct {
		m    *dhcpv4.DHCPv4
		want leaseTimes
	}{
		{mk(), leaseTimes{start: start}},
		{mk(dhcpv4.OptIPAddressLeaseTime(0xffffffff * time.Second)), leaseTimes{start: start}},
		{mk(dhcpv4.OptIPAddressLeaseTime(100 * s)), leaseTimes{start, 50 * s, 87500 * time.Millisecond, 100 * s}},
		{mk(dhcpv4.OptIPAddressLeaseTime(100*s), dhcpv4.OptRenewTimeValue(10*s), dhcpv4.OptRebindingTimeValue(20*s)), leaseTimes{start, 10 * s, 20 * s, 100 * s}},
		// nonsense T1/T2 fall back to the defaults
		{mk(dhcpv4.OptIPAddressLeaseTime(100*s), dhcpv4.OptRenewTimeValue(200*s), dhcpv4.OptRebindingTimeValue(300*s)), leaseTimes{start, 50 * s, 87500 * time.Millisecond, 100 * s}},
		{mk(dhcpv4.OptIPAddressLeaseTime(100*s), dhcpv4.OptRebindingTimeValue(30*s)), leaseTimes{start, 15 * s, 30 * s, 100 * s}},
	} {
		if got := leaseTimesFrom(tc.m, start); got != tc.want {
			t.Errorf("%d: got %+v, want %+v", i, got, tc.want)
		}
	}
	lt := leaseTimes{t1: 500 * s, t2: 875 * s, duration: 1000 * s}
	for _, tc := range []struct{ elapsed, want time.Duration }{
		{500 * s, 187500 * time.Millisecond}, // half of the 375 s to T2
		{800 * s, 60 * s},                    // at least a minute
		{850 * s, 25 * s},                    // but not past T2
		{875 * s, 62500 * time.Millisecond},  // rebinding: half of the rest
		{990 * s, 10 * s},
		{1000 * s, 0},
	} {
		if got := retryDelay(tc.elapsed, lt); got != tc.want {
			t.Errorf("retryDelay(%s) = %s, want %s", tc.elapsed, got, tc.want)
		}
	}
}

var _ clock.Clock = (*clock.Fake)(nil)
