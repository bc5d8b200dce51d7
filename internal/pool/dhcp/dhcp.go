// Package dhcp is an attribute provider that obtains the virtual IPs of
// peers from a DHCP server, as strongSwan's dhcp plugin does: it serves the
// pool named "dhcp" (rightsourceip=%dhcp), runs DISCOVER/OFFER/REQUEST/ACK
// for each peer (as a broadcasting client or, with a configured server, as
// a relay agent), hands out the DNS and NBNS servers of the lease as
// INTERNAL_IP4_DNS/NBNS attributes and sends a RELEASE when the address is
// given back. Unlike strongSwan it also renews leases at T1 (rebinding
// after T2) for as long as the peer keeps the address.
//
// Settings (charon.plugins.dhcp.*): server (default 255.255.255.255),
// force_server_address, identity_lease, interface, use_server_port.
//
// It imports only the attribute interface of the IKE core, never the SA
// machinery; the daemon registers a Provider with the attribute manager.
package dhcp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// PoolName is the pool this provider serves (rightsourceip=%dhcp).
const PoolName = "dhcp"

const (
	serverPort = 67
	clientPort = 68
	// tries is strongSwan's DHCP_TRIES: each of DISCOVER and REQUEST is
	// sent up to five times, waiting 1, 2, 3, 4 and 5 seconds for a reply.
	tries = 5
	// minRetransmit is RFC 2131's lower bound (section 4.4.5) for the
	// wait between renewal attempts.
	minRetransmit = 60 * time.Second
)

// settings are the charon.plugins.dhcp options.
type settings struct {
	server        netip.Addr // where DISCOVERs go (the broadcast address by default)
	force         bool       // send everything to server, not to the server that offered
	identityLease bool       // client-id and MAC derived from the peer identity
	iface         string     // bind to this interface
	useServerPort bool       // relay mode: send from port 67
}

func (s settings) broadcast() bool { return s.server == netip.AddrFrom4([4]byte{255, 255, 255, 255}) }

func readSettings(s *config.Settings) (settings, error) {
	var st settings
	if s == nil {
		s, _ = config.ParseSettings(nil, "", nil)
	}
	const ns = "charon.plugins.dhcp."
	srv := s.GetString(ns+"server", "255.255.255.255")
	a, err := netip.ParseAddr(srv)
	if err != nil || !a.Unmap().Is4() {
		return st, errors.New("configured DHCP server address invalid")
	}
	st.server = a.Unmap()
	// strongSwan reads force_server_address with get_str, so any value
	// (even "no") forces; we take the documented boolean meaning.
	st.force = s.GetBool(ns+"force_server_address", false)
	st.identityLease = s.GetBool(ns+"identity_lease", false)
	st.iface = s.GetString(ns+"interface", "")
	st.useServerPort = !st.broadcast() && s.GetBool(ns+"use_server_port", false)
	return st, nil
}

// conn is the network below the provider: the real one opens a UDP socket
// to send and a packet socket to receive; tests use a fake.
type conn interface {
	// send sends a DHCP message to dst, port 67.
	send(b []byte, dst netip.Addr) error
	// recv reads the next packet that may be a reply to us: an IPv4
	// packet, IP header included. It fails once the conn is closed.
	recv(buf []byte) (int, error)
	// source returns the local address the kernel uses to reach dst
	// (our giaddr as relay agent).
	source(dst netip.Addr) (netip.Addr, error)
	close() error
}

// Provider is the DHCP attribute provider. Its methods are safe for
// concurrent use; AcquireAddress blocks for the DHCP exchange (up to
// 2 x 15 seconds without answers, as strongSwan).
type Provider struct {
	cfg   settings
	log   *log.Logger
	clock clock.Clock
	conn  conn
	// timeout is how long to wait for a reply after the try'th
	// transmission.
	timeout func(try int) time.Duration

	mu      sync.Mutex
	pending map[dhcpv4.TransactionID]*exchange // exchanges waiting for replies
	leases  map[leaseKey]*lease                // addresses handed out
	closed  bool

	done chan struct{}  // closed by Close
	wg   sync.WaitGroup // the receive loop and renewals
}

var _ attr.Provider = (*Provider)(nil)

// New opens the DHCP sockets as configured in s (charon.plugins.dhcp.*)
// and starts receiving. It needs CAP_NET_RAW and CAP_NET_BIND_SERVICE.
// The sockets live in the network namespace of the calling thread.
func New(s *config.Settings, l *log.Logger) (*Provider, error) {
	st, err := readSettings(s)
	if err != nil {
		l.Log(log.CFG, 1, log.Context{}, "%s", err)
		return nil, err
	}
	c, err := openConn(st, l)
	if err != nil {
		return nil, err
	}
	return newProvider(st, c, clock.Real{}, l), nil
}

func newProvider(st settings, c conn, clk clock.Clock, l *log.Logger) *Provider {
	p := &Provider{
		cfg: st, log: l, clock: clk, conn: c,
		timeout: func(try int) time.Duration { return time.Duration(try) * time.Second },
		pending: map[dhcpv4.TransactionID]*exchange{},
		leases:  map[leaseKey]*lease{},
		done:    make(chan struct{}),
	}
	p.wg.Add(1)
	go p.receive()
	return p
}

// Close stops renewals, closes the sockets and makes pending acquisitions
// fail. Leases are not released (the IKE_SAs release their addresses when
// they go).
func (p *Provider) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	for _, l := range p.leases {
		l.stopTimer()
	}
	p.mu.Unlock()
	close(p.done)
	err := p.conn.close()
	p.wg.Wait()
	return err
}

// AcquireAddress runs a DHCP exchange for the peer if pools names "dhcp"
// and an IPv4 address is requested.
func (p *Provider) AcquireAddress(pools []string, sa attr.SA, requested netip.Addr) (netip.Addr, bool) {
	if !requested.Unmap().Is4() || !slices.Contains(pools, PoolName) {
		return netip.Addr{}, false
	}
	l, ok := p.enroll(sa)
	if !ok {
		return netip.Addr{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return netip.Addr{}, false
	}
	if old := p.leases[l.key]; old != nil {
		// the same peer identity got the same address again (identity
		// leases): one lease at the server, counted per holder
		old.refs++
		old.update(l)
		p.schedule(old)
		return old.addr, true
	}
	l.refs = 1
	p.leases[l.key] = l
	p.schedule(l)
	return l.addr, true
}

// ReleaseAddress sends a RELEASE for an address this provider acquired
// for the peer, once no other holder of the same lease is left.
func (p *Provider) ReleaseAddress(pools []string, addr netip.Addr, sa attr.SA) bool {
	addr = addr.Unmap()
	if !addr.Is4() || !slices.Contains(pools, PoolName) {
		return false
	}
	key := leaseKey{id: sa.PeerID.Key(), addr: addr}
	p.mu.Lock()
	l := p.leases[key]
	if l == nil {
		p.mu.Unlock()
		return false
	}
	l.refs--
	if l.refs > 0 {
		p.mu.Unlock()
		return true
	}
	delete(p.leases, key)
	l.gone = true
	l.stopTimer()
	lost, server := l.lost, l.server
	p.mu.Unlock()
	if !lost {
		p.release(l, server, logCtx(sa))
	}
	return true
}

// Attributes returns the DNS and NBNS servers of the lease of one of the
// peer's virtual IPs.
func (p *Provider) Attributes(pools []string, sa attr.SA, vips []netip.Addr) []attr.Attribute {
	if !slices.Contains(pools, PoolName) {
		return nil
	}
	id := sa.PeerID.Key()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range vips {
		if l := p.leases[leaseKey{id: id, addr: v.Unmap()}]; l != nil {
			out := make([]attr.Attribute, len(l.attrs))
			for i, a := range l.attrs {
				out[i] = attr.Attribute{Type: a.Type, Value: slices.Clone(a.Value)}
			}
			return out
		}
	}
	return nil
}

// leaseKey identifies a lease as strongSwan's provider does: by peer
// identity and address.
type leaseKey struct {
	id   string
	addr netip.Addr
}

// lease is an address obtained for a peer. Fields below refs are guarded
// by Provider.mu once the lease is in Provider.leases.
type lease struct {
	key leaseKey
	id  identity.ID
	xid dhcpv4.TransactionID // of the acquisition (RELEASE reuses it, as strongSwan)
	mac net.HardwareAddr
	// addr is the leased address.
	addr netip.Addr

	refs   int
	server netip.Addr // the server that granted (and renews) the lease
	attrs  []attr.Attribute
	times  leaseTimes
	timer  clock.Timer // the next renewal attempt
	gen    uint64      // counts schedulings; a stale timer or renewal sees another
	gone   bool        // released (or the provider closed)
	lost   bool        // expired or refused: no more renewals, no RELEASE
}

// leaseTimes are a lease's timers relative to start (when the REQUEST
// that got the ACK was sent). A zero lease time means infinite.
type leaseTimes struct {
	start            time.Time
	t1, t2, duration time.Duration
}

func (l *lease) stopTimer() {
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}

// update takes the fresher state of n, a second acquisition of the same
// lease.
func (l *lease) update(n *lease) {
	l.server, l.attrs, l.times, l.lost = n.server, n.attrs, n.times, false
}

// leaseTimesFrom reads lease time, T1 and T2 from an ACK (RFC 2131 section
// 4.4.5 defaults for T1 and T2).
func leaseTimesFrom(m *dhcpv4.DHCPv4, start time.Time) leaseTimes {
	lt := leaseTimes{start: start}
	secs := func(code dhcpv4.OptionCode) (time.Duration, bool) {
		b := m.Options.Get(code)
		if len(b) != 4 {
			return 0, false
		}
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return time.Duration(v) * time.Second, v != 0xffffffff
	}
	d, ok := secs(dhcpv4.OptionIPAddressLeaseTime)
	if !ok || d == 0 {
		return lt // infinite (or unknown): nothing to renew
	}
	lt.duration = d
	lt.t1, lt.t2 = d/2, d*7/8
	if t2, ok := secs(dhcpv4.OptionRebindingTimeValue); ok && t2 > 0 && t2 < d {
		lt.t2 = t2
	}
	if t1, ok := secs(dhcpv4.OptionRenewTimeValue); ok && t1 > 0 && t1 < lt.t2 {
		lt.t1 = t1
	} else if lt.t1 >= lt.t2 {
		lt.t1 = lt.t2 / 2
	}
	return lt
}

// exchange is one DHCP transaction waiting for replies with its xid.
type exchange struct {
	xid     dhcpv4.TransactionID
	mac     net.HardwareAddr
	replies chan reply
}

type reply struct {
	m   *dhcpv4.DHCPv4
	src netip.Addr // the IP source of the packet
}

// newExchange registers a fresh transaction ID. mac is the client hardware
// address to use; nil derives it as strongSwan does (from the identity
// with identity_lease, else from the xid).
func (p *Provider) newExchange(id identity.ID, mac net.HardwareAddr) (*exchange, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("closed")
	}
	var xid dhcpv4.TransactionID
	for {
		if _, err := rand.Read(xid[:]); err != nil {
			return nil, err
		}
		if _, dup := p.pending[xid]; !dup {
			break
		}
	}
	if mac == nil {
		mac = clientMAC(id, xid, p.cfg.identityLease)
	}
	ex := &exchange{xid: xid, mac: mac, replies: make(chan reply, 8)}
	p.pending[xid] = ex
	return ex, nil
}

func (p *Provider) endExchange(ex *exchange) {
	p.mu.Lock()
	delete(p.pending, ex.xid)
	p.mu.Unlock()
}

// clientMAC is strongSwan's chaddr: the locally administered unicast
// prefix 7a:a7 followed by chunk_hash_static of the identity encoding
// (identity_lease) or by the transaction ID.
func clientMAC(id identity.ID, xid dhcpv4.TransactionID, identityLease bool) net.HardwareAddr {
	mac := net.HardwareAddr{0x7a, 0xa7, 0, 0, 0, 0}
	if identityLease {
		h := hashStatic(id.Data())
		mac[2], mac[3], mac[4], mac[5] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	} else {
		copy(mac[2:], xid[:])
	}
	return mac
}

// receive reads replies and hands them to the exchange with their xid.
func (p *Provider) receive() {
	defer p.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := p.conn.recv(buf)
		if err != nil {
			select {
			case <-p.done:
				return
			default:
			}
			p.log.Log(log.NET, 1, log.Context{}, "receiving DHCP message failed: %s", err)
			select {
			case <-p.done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		p.handle(buf[:n])
	}
}

// handle delivers one received packet; anything malformed or unexpected is
// dropped.
func (p *Provider) handle(pkt []byte) {
	m, src, err := parseReply(pkt)
	if err != nil {
		p.log.Log(log.CFG, 2, log.Context{}, "dropping invalid DHCP message: %s", err)
		return
	}
	p.mu.Lock()
	ex := p.pending[m.TransactionID]
	p.mu.Unlock()
	if ex == nil {
		p.log.Log(log.CFG, 3, log.Context{}, "ignoring DHCP %s for unknown transaction %s", m.MessageType(), m.TransactionID)
		return
	}
	if len(m.ClientHWAddr) != 0 && !slices.Equal(m.ClientHWAddr, ex.mac) {
		p.log.Log(log.CFG, 2, log.Context{}, "ignoring DHCP %s for %s, expected %s", m.MessageType(), m.ClientHWAddr, ex.mac)
		return
	}
	select {
	case ex.replies <- reply{m: m, src: src}:
	default: // a flood for one xid: the exchange has enough to choose from
	}
}

// await waits up to d for a reply that accept takes.
func (p *Provider) await(ex *exchange, d time.Duration, accept func(reply) bool) (reply, bool) {
	expired := make(chan struct{})
	t := p.clock.AfterFunc(d, func() { close(expired) })
	defer t.Stop()
	for {
		select {
		case r := <-ex.replies:
			if accept(r) {
				return r, true
			}
		case <-expired:
			return reply{}, false
		case <-p.done:
			return reply{}, false
		}
	}
}

func logCtx(sa attr.SA) log.Context { return sa.LogContext() }

// enroll obtains a lease for the peer: DISCOVER until an OFFER arrives,
// then REQUEST until the ACK (strongSwan's dhcp_socket enroll()).
func (p *Provider) enroll(sa attr.SA) (*lease, bool) {
	ctx := logCtx(sa)
	ex, err := p.newExchange(sa.PeerID, nil)
	if err != nil {
		p.log.Log(log.CFG, 1, ctx, "DHCP DISCOVER failed, no transaction ID")
		return nil, false
	}
	defer p.endExchange(ex)

	var offer reply
	got := false
	for try := 1; try <= tries && !got; try++ {
		if !p.sendDiscover(ctx, ex, sa.PeerID) {
			break
		}
		offer, got = p.await(ex, p.timeout(try), func(r reply) bool {
			if r.m.MessageType() != dhcpv4.MessageTypeOffer {
				return false
			}
			if a := ipv4(r.m.YourIPAddr); !a.IsValid() || a.IsUnspecified() {
				p.log.Log(log.CFG, 1, ctx, "ignoring DHCP OFFER %s from %s", formatAddrPlus(a), formatHost(ipv4(r.m.ServerIPAddr)))
				return false
			}
			return true
		})
	}
	if !got {
		p.log.Log(log.CFG, 1, ctx, "DHCP DISCOVER timed out")
		return nil, false
	}
	offered := ipv4(offer.m.YourIPAddr)
	server := serverOf(offer)
	p.log.Log(log.CFG, 1, ctx, "received DHCP OFFER %s from %s", formatHost(offered), formatHost(server))

	var ack reply
	var sent time.Time
	got = false
	for try := 1; try <= tries && !got; try++ {
		sent = p.clock.Now()
		if !p.sendRequest(ctx, ex, sa.PeerID, offered, server) {
			break
		}
		ack, got = p.await(ex, p.timeout(try), isAckOrNak)
	}
	if !got {
		p.log.Log(log.CFG, 1, ctx, "DHCP REQUEST timed out")
		return nil, false
	}
	if ack.m.MessageType() == dhcpv4.MessageTypeNak {
		p.log.Log(log.CFG, 1, ctx, "received DHCP NAK for %s from %s%s", formatHost(offered), formatHost(serverOf(ack)), nakMessage(ack.m))
		return nil, false
	}
	addr := ipv4(ack.m.YourIPAddr)
	if !addr.IsValid() || addr.IsUnspecified() {
		addr = offered
	}
	p.log.Log(log.CFG, 1, ctx, "received DHCP ACK for %s", formatHost(addr))
	attrs := attributesOf(ack.m)
	if len(attrs) == 0 {
		attrs = attributesOf(offer.m) // strongSwan takes them from the OFFER
	}
	if s := serverID(ack.m); s.IsValid() {
		server = s
	}
	l := &lease{
		key: leaseKey{id: sa.PeerID.Key(), addr: addr}, id: sa.PeerID,
		xid: ex.xid, mac: ex.mac, addr: addr,
		server: server, attrs: attrs, times: leaseTimesFrom(ack.m, sent),
	}
	return l, true
}

func isAckOrNak(r reply) bool {
	t := r.m.MessageType()
	return t == dhcpv4.MessageTypeAck || t == dhcpv4.MessageTypeNak
}

func nakMessage(m *dhcpv4.DHCPv4) string {
	if s := m.Message(); s != "" {
		return fmt.Sprintf(" (%s)", printable(s))
	}
	return ""
}

// printable replaces what a log line should not carry.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

// serverOf is the server a reply came from: its server identifier, else
// the packet's source, else siaddr.
func serverOf(r reply) netip.Addr {
	if s := serverID(r.m); s.IsValid() {
		return s
	}
	if r.src.IsValid() && !r.src.IsUnspecified() {
		return r.src
	}
	return ipv4(r.m.ServerIPAddr)
}

func serverID(m *dhcpv4.DHCPv4) netip.Addr {
	if b := m.Options.Get(dhcpv4.OptionServerIdentifier); len(b) == 4 {
		if a := netip.AddrFrom4([4]byte(b)); !a.IsUnspecified() {
			return a
		}
	}
	return netip.Addr{}
}

// attributesOf turns the DNS and NBNS servers of a reply into attributes.
func attributesOf(m *dhcpv4.DHCPv4) []attr.Attribute {
	var out []attr.Attribute
	for _, o := range []struct {
		code dhcpv4.OptionCode
		typ  message.CPAttrType
	}{
		{dhcpv4.OptionDomainNameServer, message.CPInternalIP4DNS},
		{dhcpv4.OptionNetBIOSOverTCPIPNameServer, message.CPInternalIP4NBNS},
	} {
		b := m.Options.Get(o.code)
		for i := 0; i+4 <= len(b); i += 4 {
			out = append(out, attr.Attribute{Type: o.typ, Value: slices.Clone(b[i : i+4])})
		}
	}
	return out
}

func ipv4(ip net.IP) netip.Addr {
	if v4 := ip.To4(); v4 != nil {
		return netip.AddrFrom4([4]byte(v4))
	}
	return netip.Addr{}
}

// formatHost prints an address as charon's %H: %any for 0.0.0.0.
func formatHost(a netip.Addr) string {
	if !a.IsValid() || a.IsUnspecified() {
		return "%any"
	}
	return a.String()
}

// formatAddrPlus prints an address as charon's %+H.
func formatAddrPlus(a netip.Addr) string {
	if !a.IsValid() {
		return "0.0.0.0"
	}
	return a.String()
}

// message building

// newMessage prepares a BOOTREQUEST as strongSwan's prepare_dhcp: broadcast
// flag when talking to the broadcast address, else giaddr set to our
// address towards the server (we act as relay agent); chaddr mac; the
// identity as host name (FQDN identities) and, with identity_lease, as
// client identifier.
func (p *Provider) newMessage(typ dhcpv4.MessageType, xid dhcpv4.TransactionID, mac net.HardwareAddr, id identity.ID) *dhcpv4.DHCPv4 {
	zero := net.IPv4zero.To4()
	m := &dhcpv4.DHCPv4{
		OpCode: dhcpv4.OpcodeBootRequest, HWType: iana.HWTypeEthernet,
		TransactionID: xid, ClientHWAddr: mac,
		ClientIPAddr: zero, YourIPAddr: zero, ServerIPAddr: zero, GatewayIPAddr: zero,
		Options: dhcpv4.Options{},
	}
	if p.cfg.broadcast() {
		// we do not own the MAC we ask for: replies must be broadcast
		m.SetBroadcast()
	} else if src, err := p.conn.source(p.cfg.server); err == nil && src.Is4() {
		m.GatewayIPAddr = src.AsSlice()
	}
	m.Options[dhcpv4.OptionDHCPMessageType.Code()] = []byte{byte(typ)}
	enc := id.Data()
	// strongSwan caps what the identity may fill to what is left in its
	// 308-octet option field after the REQUEST's fixed options: 288
	remaining := 288
	if id.Type() == identity.FQDN {
		n := min(len(enc), remaining-2, 255)
		m.Options[dhcpv4.OptionHostName.Code()] = slices.Clone(enc[:n])
		remaining -= 2 + n
	}
	if p.cfg.identityLease && remaining >= 4 {
		n := min(len(enc), remaining-2, 255)
		m.Options[dhcpv4.OptionClientIdentifier.Code()] = slices.Clone(enc[:n])
	}
	return m
}

var paramRequests = []byte{byte(dhcpv4.OptionDomainNameServer), byte(dhcpv4.OptionNetBIOSOverTCPIPNameServer)}

// destination is where a message about a lease of server goes.
func (p *Provider) destination(server netip.Addr) netip.Addr {
	if !server.IsValid() || server.IsUnspecified() || p.cfg.force {
		return p.cfg.server
	}
	return server
}

func (p *Provider) sendDiscover(ctx log.Context, ex *exchange, id identity.ID) bool {
	m := p.newMessage(dhcpv4.MessageTypeDiscover, ex.xid, ex.mac, id)
	m.Options[dhcpv4.OptionParameterRequestList.Code()] = paramRequests
	p.log.Log(log.CFG, 1, ctx, "sending DHCP DISCOVER for %s to %s", ex.mac, formatHost(p.cfg.server))
	if err := p.conn.send(m.ToBytes(), p.cfg.server); err != nil {
		p.log.Log(log.CFG, 1, ctx, "sending DHCP DISCOVER failed: %s", errText(err))
		return false
	}
	return true
}

func (p *Provider) sendRequest(ctx log.Context, ex *exchange, id identity.ID, offer, server netip.Addr) bool {
	m := p.newMessage(dhcpv4.MessageTypeRequest, ex.xid, ex.mac, id)
	m.Options[dhcpv4.OptionRequestedIPAddress.Code()] = offer.AsSlice()
	m.Options[dhcpv4.OptionServerIdentifier.Code()] = server.AsSlice()
	m.Options[dhcpv4.OptionParameterRequestList.Code()] = paramRequests
	p.log.Log(log.CFG, 1, ctx, "sending DHCP REQUEST for %s to %s", formatHost(offer), formatHost(server))
	if err := p.conn.send(m.ToBytes(), p.destination(server)); err != nil {
		p.log.Log(log.CFG, 1, ctx, "sending DHCP REQUEST failed: %s", errText(err))
		return false
	}
	return true
}

func (p *Provider) release(l *lease, server netip.Addr, ctx log.Context) {
	m := p.newMessage(dhcpv4.MessageTypeRelease, l.xid, l.mac, l.id)
	m.ClientIPAddr = l.addr.AsSlice()
	if server.IsValid() {
		m.Options[dhcpv4.OptionServerIdentifier.Code()] = server.AsSlice()
	}
	p.log.Log(log.CFG, 1, ctx, "sending DHCP RELEASE for %s to %s", formatHost(l.addr), formatHost(server))
	if err := p.conn.send(m.ToBytes(), p.destination(server)); err != nil {
		p.log.Log(log.CFG, 1, ctx, "sending DHCP RELEASE failed: %s", errText(err))
	}
}

// errText is the error as strerror would print it.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
