package dhcp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/log"
)

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the log contains s.
func (l *logBuffer) waitFor(t testing.TB, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(l.String(), s) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("log lacks %q:\n%s", s, l.String())
}

// waitCount waits until the log contains s n times.
func (l *logBuffer) waitCount(t testing.TB, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Count(l.String(), s) >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("log lacks %d x %q:\n%s", n, s, l.String())
}

func testLogger(t testing.TB) (*log.Logger, *logBuffer) {
	buf := &logBuffer{}
	l := log.New(log.Options{Foreground: true, Stdout: buf, Stderr: buf, SyslogPath: "/nonexistent/log"})
	s, _ := config.ParseSettings(nil, "strongswan.conf", []byte("charon { filelog { stdout { default = 3 } } }"))
	if err := l.Configure(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("log:\n%s", buf.String())
		}
	})
	return l, buf
}

// sent is a message the provider sent.
type sent struct {
	m   *dhcpv4.DHCPv4
	dst netip.Addr
}

// fakeConn records what the provider sends and feeds it packets.
type fakeConn struct {
	out     chan sent
	in      chan []byte
	done    chan struct{}
	once    sync.Once
	src     netip.Addr // what source() reports
	mu      sync.Mutex
	sendErr error
}

func newFakeConn() *fakeConn {
	return &fakeConn{out: make(chan sent, 256), in: make(chan []byte, 256), done: make(chan struct{}),
		src: netip.MustParseAddr("10.0.0.2")}
}

func (c *fakeConn) send(b []byte, dst netip.Addr) error {
	c.mu.Lock()
	err := c.sendErr
	c.mu.Unlock()
	if err != nil {
		return err
	}
	m, perr := dhcpv4.FromBytes(b)
	if perr != nil {
		panic("provider sent an unparsable message: " + perr.Error())
	}
	if len(b) < 300 {
		panic("provider sent a message shorter than BOOTP's 300 octets")
	}
	c.out <- sent{m: m, dst: dst}
	return nil
}

func (c *fakeConn) recv(buf []byte) (int, error) {
	select {
	case p := <-c.in:
		return copy(buf, p), nil
	case <-c.done:
		return 0, net.ErrClosed
	}
}

func (c *fakeConn) source(netip.Addr) (netip.Addr, error) {
	if !c.src.IsValid() {
		return netip.Addr{}, errors.New("no route")
	}
	return c.src, nil
}

func (c *fakeConn) close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// next returns the next sent message.
func (c *fakeConn) next(t testing.TB) sent {
	t.Helper()
	select {
	case s := <-c.out:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("provider sent nothing")
		return sent{}
	}
}

// none checks that nothing is sent for a while.
func (c *fakeConn) none(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case s := <-c.out:
		t.Fatalf("unexpected %s to %s", s.m.MessageType(), s.dst)
	case <-time.After(d):
	}
}

// inject wraps a reply into IPv4/UDP from src:67 to port 68 and feeds it.
func (c *fakeConn) inject(m *dhcpv4.DHCPv4, src netip.Addr) {
	c.in <- ipUDP(m.ToBytes(), src, netip.AddrFrom4([4]byte{255, 255, 255, 255}), serverPort, clientPort)
}

// ipUDP builds an IPv4/UDP packet (checksums left zero).
func ipUDP(payload []byte, src, dst netip.Addr, sport, dport uint16) []byte {
	p := make([]byte, 28+len(payload))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	p[8] = 64
	p[9] = 17
	s4, d4 := src.As4(), dst.As4()
	copy(p[12:], s4[:])
	copy(p[16:], d4[:])
	binary.BigEndian.PutUint16(p[20:], sport)
	binary.BigEndian.PutUint16(p[22:], dport)
	binary.BigEndian.PutUint16(p[24:], uint16(8+len(payload)))
	copy(p[28:], payload)
	return p
}

var (
	serverAddr = netip.MustParseAddr("10.0.0.1")
	dns1       = netip.MustParseAddr("10.0.0.53")
	dns2       = netip.MustParseAddr("10.0.0.54")
	nbns1      = netip.MustParseAddr("10.0.0.55")
)

// replyTo builds a server reply of type typ to request q.
func replyTo(q *dhcpv4.DHCPv4, typ dhcpv4.MessageType, yiaddr netip.Addr, opts ...dhcpv4.Option) *dhcpv4.DHCPv4 {
	r := &dhcpv4.DHCPv4{
		OpCode: dhcpv4.OpcodeBootReply, HWType: iana.HWTypeEthernet, TransactionID: q.TransactionID,
		Flags: q.Flags, ClientHWAddr: q.ClientHWAddr, GatewayIPAddr: q.GatewayIPAddr,
		ClientIPAddr: net.IPv4zero.To4(), YourIPAddr: yiaddr.AsSlice(), ServerIPAddr: serverAddr.AsSlice(),
		Options: dhcpv4.Options{},
	}
	r.UpdateOption(dhcpv4.OptMessageType(typ))
	r.UpdateOption(dhcpv4.OptServerIdentifier(serverAddr.AsSlice()))
	for _, o := range opts {
		r.UpdateOption(o)
	}
	return r
}

func leaseOpts(secs uint32) []dhcpv4.Option {
	return []dhcpv4.Option{
		dhcpv4.OptIPAddressLeaseTime(time.Duration(secs) * time.Second),
		dhcpv4.OptDNS(dns1.AsSlice(), dns2.AsSlice()),
		dhcpv4.OptGeneric(dhcpv4.OptionNetBIOSOverTCPIPNameServer, nbns1.AsSlice()),
	}
}

// serve answers DISCOVERs with an OFFER of addr and REQUESTs with an ACK,
// until the test ends; it passes everything it sees to seen if not nil.
func serve(t testing.TB, c *fakeConn, addr netip.Addr, lease uint32, seen chan<- sent) {
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		for {
			select {
			case s := <-c.out:
				if seen != nil {
					seen <- s
				}
				switch s.m.MessageType() {
				case dhcpv4.MessageTypeDiscover:
					c.inject(replyTo(s.m, dhcpv4.MessageTypeOffer, addr, leaseOpts(lease)...), serverAddr)
				case dhcpv4.MessageTypeRequest:
					c.inject(replyTo(s.m, dhcpv4.MessageTypeAck, addr, leaseOpts(lease)...), serverAddr)
				}
			case <-stop:
				return
			}
		}
	}()
}

type testOpts struct {
	server        string
	force         bool
	identityLease bool
	clock         clock.Clock
	timeout       time.Duration // per try unit
}

func newTestProvider(t testing.TB, o testOpts) (*Provider, *fakeConn, *logBuffer) {
	t.Helper()
	st := settings{server: netip.AddrFrom4([4]byte{255, 255, 255, 255}), force: o.force, identityLease: o.identityLease}
	if o.server != "" {
		st.server = netip.MustParseAddr(o.server)
	}
	clk := o.clock
	if clk == nil {
		clk = clock.Real{}
	}
	c := newFakeConn()
	lg, buf := testLogger(t)
	p := newProvider(st, c, clk, lg)
	if o.timeout != 0 {
		p.timeout = func(try int) time.Duration { return time.Duration(try) * o.timeout }
	}
	t.Cleanup(func() { p.Close() })
	return p, c, buf
}

func peer(id string) attr.SA {
	var pid identity.ID
	switch {
	case strings.Contains(id, "@"):
		pid = identity.New(identity.RFC822, []byte(id))
	default:
		pid = identity.New(identity.FQDN, []byte(id))
	}
	return attr.SA{Name: "rw", UniqueID: 1, PeerID: pid}
}

var anyV4 = netip.IPv4Unspecified()
