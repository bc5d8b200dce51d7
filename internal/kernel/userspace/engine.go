package userspace

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Defaults, as strongSwan's kernel-libipsec and kernel-netlink have them.
const (
	DefaultTUNName      = "ipsec0"
	DefaultMTU          = 1400 // charon.plugins.kernel-libipsec.mtu
	DefaultRoutingTable = 220  // charon.routing_table
	DefaultOuterMTU     = 1500
	// DefaultAcquireInterval is how long a trap stays quiet after it raised
	// an acquire for a reqid (the lifetime of an XFRM larval state,
	// net.core.xfrm_acq_expires), unless an SA for the reqid is added.
	DefaultAcquireInterval = 30 * time.Second
	// SPIs are allocated in charon's default range.
	DefaultSPIMin = 0xc0000000
	DefaultSPIMax = 0xcfffffff
)

// Router installs routes; kernel.Net (internal/kernel/linuxnet) is one.
// If it also implements AddressFinder and ThrowRouter (linuxnet does), the
// engine uses them for route sources and pass policies.
type Router interface {
	AddRoute(ctx context.Context, r kernel.Route) error
	DelRoute(ctx context.Context, r kernel.Route) error
}

// AddressFinder finds a local address inside a traffic selector, as
// charon's get_address_by_ts: the unspecified address if ts includes the
// loopback address, else a virtual IP, else any other.
type AddressFinder interface {
	AddressInTS(ctx context.Context, ts kernel.TS) (addr netip.Addr, vip bool, err error)
}

// ThrowRouter installs "throw" routes in the routing table, so that the
// traffic of pass policies is routed by the main table instead of into the
// TUN device.
type ThrowRouter interface {
	AddThrowRoute(ctx context.Context, dst netip.Prefix) error
	DelThrowRoute(ctx context.Context, dst netip.Prefix) error
}

// Config configures an Engine. The zero value works as root in a network
// namespace: a TUN device "ipsec0" with MTU 1400, raw ESP sockets, routes
// in table 220 installed over netlink.
type Config struct {
	// TUNName names the TUN device (DefaultTUNName if empty). Virtual IPs
	// belong on it, as with kernel-libipsec (install_virtual_ip_on).
	TUNName string
	// MTU of the TUN device (DefaultMTU if 0, at most MaxMTU).
	MTU int
	// OuterMTU is the MTU of the path to the peers (DefaultOuterMTU if 0):
	// inner packets that do not fit once encrypted are answered with ICMP
	// "fragmentation needed" / "packet too big" if they may not be
	// fragmented.
	OuterMTU int
	// TUN, if set, is used instead of creating a device (tests). The
	// Engine closes it.
	TUN tun.Device

	// NoRawESP disables the raw IPPROTO_ESP sockets: SAs then need UDP
	// encapsulation.
	NoRawESP bool
	// FwMark is set (SO_MARK) on the engine's raw sockets. The daemon's
	// IKE/NAT-T sockets must carry the same mark and the routing rule must
	// keep marked packets out of the routing table (InstallRule, or the
	// kernel.Net backend's rule), else ESP to a peer covered by a remote
	// traffic selector would loop through the TUN device. Without a mark,
	// routes that cover an SA's peer are refused.
	FwMark uint32
	// SendUDP sends one ESP-in-UDP packet (RFC 3948, no non-ESP marker)
	// from src to dst: the daemon's socket.Socket.SendESP. pkt is only
	// valid during the call. Needed for SAs with Encap.
	SendUDP func(src, dst netip.AddrPort, pkt []byte) error
	// SendUDPBatch, if set, is used instead of SendUDP: it sends pkts[i]
	// from src[i] to dst[i] (socket.Socket.SendESPBatch, one sendmmsg
	// per address family) and returns how many were sent; the slices
	// and packets are only valid during the call.
	SendUDPBatch func(src, dst []netip.AddrPort, pkts [][]byte) (int, error)
	// Bypass sends an IP packet that matched a pass policy around the
	// tunnel (nil: a raw IPPROTO_RAW socket with FwMark).
	Bypass func(pkt []byte) error

	// NoRoutes disables the routes for outbound policies.
	NoRoutes bool
	// RoutingTable for the routes (DefaultRoutingTable if 0).
	RoutingTable uint32
	// Router installs the routes; nil uses netlink in the engine's network
	// namespace (the one of the goroutine calling New).
	Router Router
	// InstallRule adds the rule "not fwmark FwMark lookup RoutingTable"
	// (priority RoutingTable) for IPv4 and IPv6 while the engine runs,
	// as charon's kernel-netlink does. Leave it off when the kernel.Net
	// backend installs that rule.
	InstallRule bool
	// LocalAddr returns a local address (virtual IPs included) inside a
	// traffic selector, the source of the route for a policy with it as
	// local selector (nil: the Router's AddressInTS if it is an
	// AddressFinder, else the addresses of the engine's network namespace,
	// over netlink).
	LocalAddr func(ts kernel.TS) (netip.Addr, bool)

	// Workers is the number of crypto goroutines (GOMAXPROCS if 0).
	// Inline (or Workers < 0) has the goroutines that read packets
	// encrypt, decrypt and deliver them themselves, without crypto
	// workers: what suits machines with few cores; New chooses it when
	// GOMAXPROCS is 2 or less and Workers is 0.
	Workers int
	Inline  bool
	// AcquireInterval limits acquires per reqid (DefaultAcquireInterval
	// if 0).
	AcquireInterval time.Duration
	// SPIMin and SPIMax bound the SPIs GetSPI hands out (DefaultSPIMin/
	// DefaultSPIMax if both 0).
	SPIMin, SPIMax uint32

	Clock clock.Clock // nil: the system clock
	Log   *log.Logger // nil: silent

	// rawConns replaces the raw sockets (tests): index 0 IPv4, 1 IPv6.
	rawConns [2]packetConn
}

// Counters of the datapath, for tests, benchmarks and status output.
type Stats struct {
	TUNRead, TUNWritten   uint64 // inner packets from/to the TUN device
	ESPSent, ESPReceived  uint64 // raw ESP packets
	UDPSent, UDPReceived  uint64 // ESP-in-UDP packets
	Bypassed              uint64 // pass policies
	ICMPSent              uint64 // fragmentation needed / packet too big
	Acquires              uint64
	DropNoPolicy          uint64 // outbound: no policy matched
	DropPolicy            uint64 // outbound: a drop policy matched
	DropNoSA              uint64 // outbound: policy without SA (trap)
	DropTooBig            uint64 // outbound: too big, ICMP sent or not
	DropExpired           uint64 // a hard limit or sequence overflow
	DropInvalid           uint64 // malformed packets
	DropUnknownSPI        uint64 // inbound: no SA
	DropIntegrity         uint64 // inbound: ICV or padding wrong
	DropReplay            uint64 // inbound: replayed or too old
	DropSelector          uint64 // inbound: inner packet outside the SA's selectors
	DropOverload          uint64 // inbound UDP: no free buffer
	SendErrors, TUNErrors uint64
}

type counter int

const (
	cTUNRead counter = iota
	cTUNWritten
	cESPSent
	cESPReceived
	cUDPSent
	cUDPReceived
	cBypassed
	cICMPSent
	cAcquires
	cDropNoPolicy
	cDropPolicy
	cDropNoSA
	cDropTooBig
	cDropExpired
	cDropInvalid
	cDropUnknownSPI
	cDropIntegrity
	cDropReplay
	cDropSelector
	cDropOverload
	cSendErrors
	cTUNErrors
	numCounters
)

// Engine is the userspace IPsec datapath; it implements kernel.IPsec. All
// methods are safe for concurrent use.
type Engine struct {
	cfg      Config
	clock    clock.Clock
	log      *log.Logger
	name     string
	table    uint32
	outerMTU int
	acqIval  time.Duration
	spiMin   uint32
	spiMax   uint32

	tun     tun.Device
	raw     [2]packetConn
	host    *nlHost // netlink in the engine's namespace (nil with fakes)
	bypassC *bypassConn

	sad *sad
	spd *spd

	stats [numCounters]atomic.Uint64

	// datapath
	work      chan *batch
	outQ      chan *batch
	inQ       chan *batch
	freeOut   chan *batch
	freeIn    chan *batch
	done      chan struct{}
	producers sync.WaitGroup
	consumers sync.WaitGroup
	// inline mode (Config.Inline): inMu serializes the ordered part of
	// the inbound path, inlineRaw is the TUN reader's send scratch,
	// scratch holds the readers' crypto scratch
	inline    bool
	inMu      sync.Mutex
	inlineRaw sendScratch
	scratch   sync.Pool
	udpKick   chan struct{}
	udpMu     sync.Mutex // guards udpPending, closed for HandleUDPESP
	udpBatch  *batch
	closed    bool

	acqMu   sync.Mutex           // guards acqLast
	acqLast map[uint32]time.Time // per reqid

	routeMu sync.Mutex // guards routes
	routes  map[routeKey]*routeEntry
	ruleOn  bool

	evMu     sync.Mutex // guards evQueue, evClosed
	evQueue  []kernel.Event
	evClosed bool
	evKick   chan struct{}
	events   chan kernel.Event
	evDone   chan struct{}

	closeOnce sync.Once
}

var _ kernel.IPsec = (*Engine)(nil)

// New creates the TUN device and sockets and starts the datapath. Call it
// on a goroutine in the network namespace the engine is for.
func New(cfg Config) (*Engine, error) {
	e := &Engine{cfg: cfg, clock: cfg.Clock, log: cfg.Log, name: cfg.TUNName, table: cfg.RoutingTable,
		outerMTU: cfg.OuterMTU, acqIval: cfg.AcquireInterval, spiMin: cfg.SPIMin, spiMax: cfg.SPIMax,
		sad: newSAD(), spd: newSPD(), acqLast: map[uint32]time.Time{}, routes: map[routeKey]*routeEntry{},
		done: make(chan struct{}), udpKick: make(chan struct{}, 1),
		evKick: make(chan struct{}, 1), events: make(chan kernel.Event, 64), evDone: make(chan struct{})}
	if e.clock == nil {
		e.clock = clock.Real{}
	}
	if e.name == "" {
		e.name = DefaultTUNName
	}
	if e.table == 0 {
		e.table = DefaultRoutingTable
	}
	if e.outerMTU == 0 {
		e.outerMTU = DefaultOuterMTU
	}
	if e.acqIval == 0 {
		e.acqIval = DefaultAcquireInterval
	}
	if e.spiMin == 0 && e.spiMax == 0 {
		e.spiMin, e.spiMax = DefaultSPIMin, DefaultSPIMax
	}
	if e.spiMax < e.spiMin || e.spiMax-e.spiMin < 1024 {
		return nil, fmt.Errorf("SPI range %08x-%08x too small", e.spiMin, e.spiMax)
	}
	mtu := cfg.MTU
	if mtu == 0 {
		mtu = DefaultMTU
	}
	if mtu < 576 || mtu > MaxMTU {
		return nil, fmt.Errorf("TUN MTU %d out of range 576-%d", mtu, MaxMTU)
	}
	if cfg.InstallRule && cfg.FwMark == 0 {
		return nil, errors.New("InstallRule needs FwMark")
	}
	_, finder := cfg.Router.(AddressFinder)
	needHost := cfg.TUN == nil || (!cfg.NoRoutes && cfg.Router == nil) || (cfg.LocalAddr == nil && !finder) || cfg.InstallRule
	if needHost {
		h, err := newNLHost(e.table)
		if err != nil {
			return nil, err
		}
		e.host = h
	}
	fail := func(err error) (*Engine, error) {
		e.cleanupSetup()
		return nil, err
	}
	e.tun = cfg.TUN
	if e.tun == nil {
		t, err := createTUN(e.host, e.name, mtu)
		if err != nil {
			return fail(fmt.Errorf("creating TUN device %s: %w", e.name, err))
		}
		e.tun = t
	}
	if n, err := e.tun.Name(); err == nil && n != "" {
		e.name = n
	}
	e.raw = cfg.rawConns
	if !cfg.NoRawESP && e.raw[0] == nil && e.raw[1] == nil {
		c4, err := newRawConn(false, cfg.FwMark)
		if err != nil {
			return fail(fmt.Errorf("opening raw ESP socket: %w", err))
		}
		e.raw[0] = c4
		if c6, err := newRawConn(true, cfg.FwMark); err != nil {
			e.logf(log.Ctrl, "no raw IPv6 ESP socket: %v", err)
		} else {
			e.raw[1] = c6
		}
	}
	if cfg.Bypass == nil && cfg.rawConns == [2]packetConn{} {
		// opened now, in the engine's network namespace
		var err error
		if e.bypassC, err = newBypassConn(cfg.FwMark); err != nil {
			e.logf(log.Ctrl, "pass policies will not work: %v", err)
		}
	}
	if cfg.InstallRule && cfg.FwMark != 0 && e.host != nil {
		if err := e.host.addRule(cfg.FwMark, e.table); err != nil {
			return fail(fmt.Errorf("installing routing rule for table %d: %w", e.table, err))
		}
		e.ruleOn = true
	}
	e.inline = cfg.Inline || cfg.Workers < 0 || (cfg.Workers == 0 && runtime.GOMAXPROCS(0) <= 2)
	e.scratch.New = func() any { return new(scratch) }
	e.start()
	return e, nil
}

// cleanupSetup undoes what New did before it failed.
func (e *Engine) cleanupSetup() {
	for _, c := range e.raw {
		if c != nil {
			c.close()
		}
	}
	if e.tun != nil {
		e.tun.Close()
	}
	if e.ruleOn {
		e.host.delRule(e.cfg.FwMark, e.table)
	}
	if e.bypassC != nil {
		e.bypassC.close()
	}
	if e.host != nil {
		e.host.close()
	}
}

// Name returns the TUN device's name (where virtual IPs go).
func (e *Engine) Name() string { return e.name }

// Stats returns the datapath's counters.
func (e *Engine) Stats() Stats {
	v := func(c counter) uint64 { return e.stats[c].Load() }
	return Stats{
		TUNRead: v(cTUNRead), TUNWritten: v(cTUNWritten), ESPSent: v(cESPSent), ESPReceived: v(cESPReceived),
		UDPSent: v(cUDPSent), UDPReceived: v(cUDPReceived), Bypassed: v(cBypassed), ICMPSent: v(cICMPSent),
		Acquires: v(cAcquires), DropNoPolicy: v(cDropNoPolicy), DropPolicy: v(cDropPolicy), DropNoSA: v(cDropNoSA),
		DropTooBig: v(cDropTooBig), DropExpired: v(cDropExpired), DropInvalid: v(cDropInvalid),
		DropUnknownSPI: v(cDropUnknownSPI), DropIntegrity: v(cDropIntegrity), DropReplay: v(cDropReplay),
		DropSelector: v(cDropSelector), DropOverload: v(cDropOverload), SendErrors: v(cSendErrors),
		TUNErrors: v(cTUNErrors),
	}
}

func (e *Engine) count(c counter) { e.stats[c].Add(1) }

func (e *Engine) logf(lv log.Level, format string, args ...any) {
	if e.log.Enabled(log.ESP, lv) {
		e.log.Log(log.ESP, lv, log.Context{}, format, args...)
	}
}

func (e *Engine) klogf(lv log.Level, format string, args ...any) {
	if e.log.Enabled(log.KNL, lv) {
		e.log.Log(log.KNL, lv, log.Context{}, format, args...)
	}
}

// GetSPI allocates a random inbound SPI that no SA uses, and reserves it
// until the SA is added (or ten minutes pass).
func (e *Engine) GetSPI(_ context.Context, src, dst netip.Addr, proto uint8, reqID uint32) (uint32, error) {
	if proto != kernel.ProtoESP {
		return 0, fmt.Errorf("protocol %d not supported", proto)
	}
	now := e.clock.Now()
	e.sad.mu.Lock()
	defer e.sad.mu.Unlock()
	for spi, t := range e.sad.reserved {
		if now.Sub(t) > 10*time.Minute {
			delete(e.sad.reserved, spi)
		}
	}
	span := uint64(e.spiMax-e.spiMin) + 1
	for range 1000 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		spi := e.spiMin + uint32(uint64(binary.BigEndian.Uint32(b[:]))%span)
		if _, used := e.sad.inbound[spi]; used {
			continue
		}
		if _, res := e.sad.reserved[spi]; res {
			continue
		}
		e.sad.reserved[spi] = now
		e.klogf(log.Diag, "allocated SPI %08x for reqid {%d} %v == %v", spi, reqID, src, dst)
		return spi, nil
	}
	return 0, errors.New("unable to allocate SPI")
}

// AddSA installs an SA.
func (e *Engine) AddSA(_ context.Context, k *kernel.SA) error {
	s, err := newSA(k, e.clock.Now())
	if err != nil {
		return err
	}
	if !k.Inbound {
		switch {
		case k.Encap && e.cfg.SendUDP == nil && e.cfg.SendUDPBatch == nil:
			return errors.New("IPsec SA: UDP encapsulation needs a NAT-T socket (Config.SendUDP or SendUDPBatch)")
		case !k.Encap && e.raw[family(k.Dst)] == nil:
			return fmt.Errorf("IPsec SA: no raw ESP socket for %v", k.Dst)
		}
	}
	s.setMTU(e.outerMTU)
	e.sad.mu.Lock()
	if _, dup := e.sad.all[s.currentID()]; dup {
		e.sad.mu.Unlock()
		return fmt.Errorf("IPsec SA: SA with SPI %08x exists", k.SPI)
	}
	e.sad.insert(s)
	e.sad.mu.Unlock()
	l := &k.Lifetime
	s.timersMu.Lock()
	if l.SoftTime > 0 {
		s.timers = append(s.timers, e.clock.AfterFunc(l.SoftTime, func() { e.expire(s, false) }))
	}
	if l.HardTime > 0 {
		s.timers = append(s.timers, e.clock.AfterFunc(l.HardTime, func() { e.expire(s, true) }))
	}
	s.timersMu.Unlock()
	if k.ReqID != 0 {
		e.acqMu.Lock()
		delete(e.acqLast, k.ReqID)
		e.acqMu.Unlock()
	}
	e.logf(log.Diag, "adding %s SA with SPI %08x and reqid {%d} %v == %v", map[bool]string{true: "inbound", false: "outbound"}[k.Inbound],
		k.SPI, k.ReqID, k.Src, k.Dst)
	return nil
}

func family(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 0
	}
	return 1
}

// UpdateSA moves an SA to new endpoints.
func (e *Engine) UpdateSA(_ context.Context, id kernel.SAID, newSrc, newDst netip.AddrPort, encap bool) error {
	e.sad.mu.Lock()
	s := e.sad.all[id]
	if s == nil {
		e.sad.mu.Unlock()
		return kernel.ErrNotFound
	}
	if !s.inbound {
		switch {
		case encap && e.cfg.SendUDP == nil && e.cfg.SendUDPBatch == nil:
			e.sad.mu.Unlock()
			return errors.New("IPsec SA: UDP encapsulation needs a NAT-T socket (Config.SendUDP or SendUDPBatch)")
		case !encap && e.raw[family(newDst.Addr())] == nil:
			e.sad.mu.Unlock()
			return fmt.Errorf("IPsec SA: no raw ESP socket for %v", newDst.Addr())
		}
	}
	ep := &endpoints{src: newSrc, dst: newDst, encap: encap}
	if !encap {
		ep.src, ep.dst = netip.AddrPortFrom(newSrc.Addr(), 0), netip.AddrPortFrom(newDst.Addr(), 0)
	}
	e.sad.remove(s)
	s.ep.Store(ep)
	e.sad.insert(s)
	e.sad.mu.Unlock()
	s.setMTU(e.outerMTU)
	s.mapMu.Lock()
	s.lastMapped = netip.AddrPort{}
	s.mapMu.Unlock()
	e.logf(log.Diag, "updated SA %08x to %v == %v (encap %v)", id.SPI, newSrc, newDst, encap)
	return nil
}

// QuerySA returns an SA's usage.
func (e *Engine) QuerySA(_ context.Context, id kernel.SAID) (kernel.Usage, error) {
	e.sad.mu.RLock()
	s := e.sad.all[id]
	e.sad.mu.RUnlock()
	if s == nil {
		return kernel.Usage{}, kernel.ErrNotFound
	}
	u := kernel.Usage{Bytes: s.bytes.Load(), Packets: s.packets.Load()}
	if t := s.lastUse.Load(); t != 0 {
		u.LastUse = time.Unix(0, t)
	}
	return u, nil
}

// DelSA removes an SA.
func (e *Engine) DelSA(_ context.Context, id kernel.SAID) error {
	e.sad.mu.Lock()
	s := e.sad.all[id]
	if s == nil {
		e.sad.mu.Unlock()
		return kernel.ErrNotFound
	}
	e.sad.remove(s)
	e.sad.mu.Unlock()
	s.hardDone.Store(true)
	s.stopTimers()
	e.logf(log.Diag, "deleted SA with SPI %08x", id.SPI)
	return nil
}

// expire handles an SA reaching a soft or hard limit: soft raises one
// Expire, hard removes the SA and raises one.
func (e *Engine) expire(s *sa, hard bool) {
	if hard {
		if !s.hardDone.CompareAndSwap(false, true) {
			return
		}
		e.sad.mu.Lock()
		e.sad.remove(s)
		e.sad.mu.Unlock()
		s.stopTimers()
	} else if s.hardDone.Load() || !s.softDone.CompareAndSwap(false, true) {
		return
	}
	id := s.currentID()
	e.logf(log.Ctrl, "%s expire of SA with SPI %08x and reqid {%d}", map[bool]string{true: "hard", false: "soft"}[hard], id.SPI, s.reqID)
	e.emit(kernel.Expire{ID: id, ReqID: s.reqID, Hard: hard})
}

// AddPolicy installs a policy (reference counted per selector) and, for
// outbound IPsec policies, the route that brings their traffic to the TUN
// device.
func (e *Engine) AddPolicy(ctx context.Context, p *kernel.Policy) error {
	p = normalize(p)
	switch p.Dir {
	case kernel.DirIn, kernel.DirOut, kernel.DirFwd:
	default:
		return fmt.Errorf("invalid policy direction %d", p.Dir)
	}
	switch p.Type {
	case kernel.PolicyIPsec, kernel.PolicyPass, kernel.PolicyDrop:
	default:
		return fmt.Errorf("invalid policy type %d", p.Type)
	}
	if p.Src.Start.Is4() != p.Dst.Start.Is4() {
		return fmt.Errorf("policy %v === %v mixes address families", p.Src, p.Dst)
	}
	refs := e.spd.add(p)
	e.klogf(log.Diag, "adding policy %v === %v %v [refcount %d]", p.Src, p.Dst, p.Dir, refs)
	if err := e.routeAdd(ctx, p); err != nil {
		e.spd.del(p)
		return err
	}
	return nil
}

// DelPolicy removes one reference of a policy.
func (e *Engine) DelPolicy(ctx context.Context, p *kernel.Policy) error {
	p = normalize(p)
	refs := e.spd.del(p)
	if refs < 0 {
		return kernel.ErrNotFound
	}
	e.klogf(log.Diag, "deleting policy %v === %v %v [refcount %d]", p.Src, p.Dst, p.Dir, refs)
	e.routeDel(ctx, p)
	return nil
}

// normalize treats a policy without type as an IPsec policy.
func normalize(p *kernel.Policy) *kernel.Policy {
	if p.Type != 0 {
		return p
	}
	q := *p
	q.Type = kernel.PolicyIPsec
	return &q
}

// QueryPolicy returns when traffic last matched the policy in force for
// p's selector.
func (e *Engine) QueryPolicy(_ context.Context, p *kernel.Policy) (time.Time, error) {
	pe := e.spd.get(normalize(p))
	if pe == nil {
		return time.Time{}, kernel.ErrNotFound
	}
	if t := pe.lastUse.Load(); t != 0 {
		return time.Unix(0, t), nil
	}
	return time.Time{}, nil
}

// acquire raises an Acquire for a packet that hit a trap policy, at most
// once per AcquireInterval and reqid.
func (e *Engine) acquire(reqID uint32, f *flow) {
	now := e.clock.Now()
	e.acqMu.Lock()
	if last, ok := e.acqLast[reqID]; ok && now.Sub(last) < e.acqIval {
		e.acqMu.Unlock()
		return
	}
	e.acqLast[reqID] = now
	e.acqMu.Unlock()
	e.count(cAcquires)
	src, dst := hostTS(f.src, f, true), hostTS(f.dst, f, false)
	e.logf(log.Diag, "acquire for reqid {%d}: %v === %v", reqID, src, dst)
	e.emit(kernel.Acquire{ReqID: reqID, Src: src, Dst: dst})
}

// hostTS is the selector of one end of a packet.
func hostTS(a netip.Addr, f *flow, src bool) kernel.TS {
	t := kernel.TS{Proto: f.proto, Start: a, End: a, FromPort: 0, ToPort: 0xffff}
	if f.ports {
		port := f.dport
		if src {
			port = f.sport
		}
		t.FromPort, t.ToPort = port, port
	}
	return t
}

// Events delivers acquires, expires and NAT mapping changes; it is closed
// by Close.
func (e *Engine) Events() <-chan kernel.Event { return e.events }

// emit queues an event without blocking the datapath.
func (e *Engine) emit(ev kernel.Event) {
	e.evMu.Lock()
	if e.evClosed {
		e.evMu.Unlock()
		return
	}
	e.evQueue = append(e.evQueue, ev)
	e.evMu.Unlock()
	select {
	case e.evKick <- struct{}{}:
	default:
	}
}

func (e *Engine) eventLoop() {
	defer close(e.evDone)
	defer close(e.events)
	for {
		select {
		case <-e.evKick:
		case <-e.done:
			return
		}
		for {
			e.evMu.Lock()
			if len(e.evQueue) == 0 {
				e.evMu.Unlock()
				break
			}
			ev := e.evQueue[0]
			e.evQueue[0] = nil
			e.evQueue = e.evQueue[1:]
			e.evMu.Unlock()
			select {
			case e.events <- ev:
			case <-e.done:
				return
			}
		}
	}
}

// Close stops the datapath, removes the routes (and the rule) the engine
// installed and closes the TUN device, which removes it.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.udpMu.Lock()
		e.closed = true
		e.udpMu.Unlock()
		e.evMu.Lock()
		e.evClosed = true
		e.evMu.Unlock()
		close(e.done)
		e.tun.Close()
		for _, c := range e.raw {
			if c != nil {
				c.close()
			}
		}
		e.producers.Wait()
		close(e.work)
		close(e.outQ)
		close(e.inQ)
		e.consumers.Wait()
		<-e.evDone
		e.sad.mu.Lock()
		for _, s := range e.sad.all {
			s.stopTimers()
		}
		e.sad.mu.Unlock()
		e.removeRoutes()
		if e.ruleOn {
			e.host.delRule(e.cfg.FwMark, e.table)
		}
		if e.bypassC != nil {
			e.bypassC.close()
		}
		if e.host != nil {
			e.host.close()
		}
	})
	return nil
}

// workers returns the number of crypto goroutines.
func (e *Engine) workers() int {
	if e.cfg.Workers > 0 {
		return e.cfg.Workers
	}
	return max(runtime.GOMAXPROCS(0), 1)
}
