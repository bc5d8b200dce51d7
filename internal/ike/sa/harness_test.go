package sa

import (
	"bytes"
	cryptorand "crypto/rand"
	"crypto/x509"
	"errors"
	"path/filepath"

	"fmt"
	"github.com/goswan/goswan/internal/credentials"
	"io"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/fake"
	"github.com/goswan/goswan/internal/log"
)

// net is an in-memory network between the hosts of a test: Send delivers
// to the host owning the destination address (synchronously posting to
// its manager), unless the test's filter drops the packet.
type testNet struct {
	mu     sync.Mutex
	hosts  map[netip.Addr]*host
	filter func(p Packet) bool // false: drop
	sent   []Packet
	nat    *natBox
	// queuing: packets are appended to queue and delivered in order by
	// deliver instead of at once (see hold)
	queuing bool
	queue   []Packet
	// noRecord: sent is not kept (benchmarks)
	noRecord bool
}

// natBox translates the source of packets from inside to public, with
// its own port mapping, and the destination of replies back.
type natBox struct {
	inside, public netip.Addr
	ports          map[uint16]uint16 // inside port -> public port
}

func (n *natBox) translate(p Packet) Packet {
	if n == nil {
		return p
	}
	if p.Src.Addr() == n.inside {
		p.Src = netip.AddrPortFrom(n.public, n.ports[p.Src.Port()])
	}
	if p.Dst.Addr() == n.public {
		for in, out := range n.ports {
			if out == p.Dst.Port() {
				p.Dst = netip.AddrPortFrom(n.inside, in)
			}
		}
	}
	return p
}

// host is one IKE daemon of a test.
type host struct {
	t      testing.TB
	name   string
	addr   netip.Addr
	mgr    *Manager
	kernel *fake.Kernel
	logBuf *syncBuffer
	logger *log.Logger
	creds  Creds
	conf   *cfg.Config
	dir    string // the host's /etc
	// for reloadCreds
	secrets   *config.Secrets
	certFiles []string
	now       func() time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEnv struct {
	// keyTypes chooses a host's key ("ecdsa" by default, "rsa", "ed25519")
	keyTypes map[string]string
	t        testing.TB
	pki      *testPKI
	settings func(*Settings) // adjusts the hosts' settings
	clock    *clock.Fake
	net      *testNet
	hosts    map[string]*host
	// attrs are the attribute managers of hosts (by name) that have one
	attrs map[string]*attr.Manager
	// bench: the hosts log at charon's default level 1 to nowhere, draw
	// randomness from crypto/rand as the daemon does (safe for concurrent
	// SAs) and the network keeps no copy of the packets sent
	bench bool
	// ipsec, if set, gives the kernel.IPsec a host uses instead of its
	// fake kernel
	ipsec func(*fake.Kernel) kernel.IPsec
}

func newTestEnv(t testing.TB) *testEnv {
	return &testEnv{t: t, pki: newTestPKI(t), clock: clock.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)),
		net: &testNet{hosts: map[netip.Addr]*host{}}, hosts: map[string]*host{}}
}

func (n *testNet) send(p Packet) error {
	// the network carries its own copy, as from a socket: a filter may
	// tamper with it without touching the sender's retransmit cache
	p.Data = append([]byte(nil), p.Data...)
	n.mu.Lock()
	p = n.nat.translate(p)
	f := n.filter
	dst := n.hosts[p.Dst.Addr()]
	if !n.noRecord {
		n.sent = append(n.sent, p)
	}
	n.mu.Unlock()
	if f != nil && !f(p) {
		return nil
	}
	n.mu.Lock()
	if n.queuing {
		n.queue = append(n.queue, p)
		n.mu.Unlock()
		return nil
	}
	n.mu.Unlock()
	if dst == nil {
		return fmt.Errorf("no host %v", p.Dst.Addr())
	}
	if p.Keepalive {
		return nil
	}
	dst.mgr.Receive(p)
	return nil
}

// addHost creates a daemon at addr with the given ipsec.conf and
// ipsec.secrets, and the test PKI's CA, its own certificate and key in its
// ipsec.d.
func (e *testEnv) addHost(name, addr, ipsecConf, secrets string, seed uint64) *host {
	t := e.t
	a := netip.MustParseAddr(addr)
	h := &host{t: t, name: name, addr: a, kernel: fake.New(uint32(seed)<<24|1, a), logBuf: &syncBuffer{},
		dir: e.pki.hostDirKey(t, name, e.keyTypes[name])}
	c, ds := config.ParseIPsecConf(nil, filepath.Join(h.dir, "ipsec.conf"), []byte(ipsecConf))
	if config.HasErrors(ds) {
		t.Fatalf("%s: %v", name, ds)
	}
	sec, ds := config.ParseSecrets(nil, filepath.Join(h.dir, "ipsec.secrets"), []byte(secrets), filepath.Join(h.dir, "ipsec.d", "private"))
	if config.HasErrors(ds) {
		t.Fatalf("%s secrets: %v", name, ds)
	}
	var certFiles []string
	for _, conn := range c.Conns {
		certFiles = append(certFiles, conn.Left.Certs...)
		certFiles = append(certFiles, conn.Right.Certs...)
	}
	store, sds := credentials.NewStore(credentials.Options{IPsecDir: filepath.Join(h.dir, "ipsec.d"), Secrets: sec, CertFiles: certFiles})
	for _, d := range sds {
		if d.Err != nil {
			t.Fatalf("%s credentials: %v", name, d)
		}
	}
	h.secrets, h.certFiles, h.now = sec, certFiles, e.clock.Now
	h.creds = StoreCreds(store, e.clock.Now, credentials.CRLPolicyNo)
	conf, ds := cfg.Build(c, cfg.Env{IsLocal: func(x netip.Addr) bool { return x == a }, LoadCert: func(f string) (*x509.Certificate, error) {
		if cert, ok := store.Cert(f); ok {
			return cert, nil
		}
		return nil, errors.New("no such certificate")
	}})
	if len(ds) > 0 {
		t.Fatalf("%s: %v", name, ds)
	}
	h.conf = conf
	var out io.Writer = h.logBuf
	level, rnd := "2", io.Reader(rand.NewChaCha8([32]byte{byte(seed)}))
	if e.bench {
		out, level, rnd = io.Discard, "1", cryptorand.Reader
	}
	logger := log.New(log.Options{Foreground: true, Stdout: out, SyslogPath: "/nonexistent/log"})
	settings, _ := config.ParseSettings(nil, "/"+name+"/strongswan.conf", []byte("charon {\n  filelog {\n    stdout {\n      default = "+level+"\n      ike_name = yes\n    }\n  }\n}\n"))
	logger.Configure(settings)
	h.logger = logger
	st := DefaultSettings()
	if e.settings != nil {
		e.settings(&st)
	}
	var ipsec kernel.IPsec = h.kernel
	if e.ipsec != nil {
		ipsec = e.ipsec(h.kernel)
	}
	env := &Env{
		Clock: e.clock, Rand: rnd, Log: logger,
		Kernel: ipsec, Net: h.kernel.Net(), Settings: st,
		Creds:  func() Creds { return h.creds },
		Config: func() *cfg.Config { return h.conf },
		Send:   e.net.send, Port: 500, NATTPort: 4500, Bus: &Bus{},
		Attrs: e.attrs[name],
	}
	m, err := NewManager(env)
	if err != nil {
		t.Fatal(err)
	}
	h.mgr = m
	e.net.mu.Lock()
	e.net.hosts[a] = h
	e.net.mu.Unlock()
	e.hosts[name] = h
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("--- log of %s:\n%s", name, h.log())
		}
	})
	return h
}

// up initiates a conn and waits for the result.
func (h *host) up(name string) error {
	done := make(chan error, 1)
	if err := h.mgr.Initiate(name, nil, func(err error) { done <- err }); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("timeout waiting for the exchange")
	}
}

// settle waits until no actor has work queued (all messages processed):
// every closure posted to an IKE_SA is counted by its manager until it has
// run, and a packet sent in one is posted to its receiver before that
// ends, so an idle count on all hosts means the network is quiet.
func (e *testEnv) settle() {
	deadline := time.Now().Add(5 * time.Second)
	for idle := 0; time.Now().Before(deadline); {
		busy := false
		for _, h := range e.hosts {
			if h.mgr.busy.Load() != 0 {
				busy = true
			}
		}
		if !busy {
			if idle++; idle > 2 {
				return
			}
			runtime.Gosched()
			continue
		}
		idle = 0
		time.Sleep(50 * time.Microsecond)
	}
	e.t.Fatal("SAs did not settle")
}

// run advances the fake clock by d one timer at a time, letting the SAs
// settle after each (timers armed meanwhile fire in order too).
func (e *testEnv) run(d time.Duration) {
	end := e.clock.Now().Add(d)
	for {
		e.settle()
		next, ok := e.clock.Next()
		if !ok || next.After(end) {
			e.clock.Advance(end.Sub(e.clock.Now()))
			e.settle()
			return
		}
		e.clock.Advance(next.Sub(e.clock.Now()))
	}
}

// hold keeps back the packets for which match returns true instead of
// delivering them; release delivers the held packets (in order) and stops
// holding.
func (n *testNet) hold(match func(Packet) bool) (release func()) {
	var mu sync.Mutex
	var held []Packet
	holding := true
	n.mu.Lock()
	n.filter = func(p Packet) bool {
		mu.Lock()
		defer mu.Unlock()
		if holding && match(p) {
			held = append(held, p)
			return false
		}
		return true
	}
	n.mu.Unlock()
	return func() {
		mu.Lock()
		holding = false
		ps := held
		held = nil
		mu.Unlock()
		n.mu.Lock()
		n.filter = nil
		n.queuing = true
		n.queue = append(n.queue, ps...)
		n.mu.Unlock()
		n.deliver()
	}
}

// deliver hands the queued packets to their hosts one after the other, in
// the order they were sent (what is sent meanwhile queues up behind), so
// that all held packets arrive before any answer to one of them; once the
// queue is empty and all hosts are idle, packets flow directly again.
func (n *testNet) deliver() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.mu.Unlock()
			idle := true
			for _, h := range n.allHosts() {
				idle = idle && h.mgr.busy.Load() == 0
			}
			n.mu.Lock()
			if idle && len(n.queue) == 0 {
				n.queuing = false
				n.mu.Unlock()
				return
			}
			n.mu.Unlock()
			time.Sleep(50 * time.Microsecond)
			continue
		}
		p := n.queue[0]
		n.queue = n.queue[1:]
		dst := n.hosts[p.Dst.Addr()]
		n.mu.Unlock()
		if dst != nil && !p.Keepalive {
			dst.mgr.Receive(p)
		}
	}
	panic("network did not quiesce")
}

func (n *testNet) allHosts() []*host {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*host, 0, len(n.hosts))
	for _, h := range n.hosts {
		out = append(out, h)
	}
	return out
}

// count returns how many of the packets sent so far match.
func (n *testNet) count(match func(Packet) bool) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, p := range n.sent {
		if match(p) {
			c++
		}
	}
	return c
}

func (h *host) snapshots() []*Snapshot { return h.mgr.Snapshots() }

func (h *host) established() []*Snapshot {
	var out []*Snapshot
	for _, s := range h.snapshots() {
		if s.State == StateEstablished {
			out = append(out, s)
		}
	}
	return out
}

func (h *host) log() string {
	h.logger.Flush()
	return h.logBuf.String()
}

func (h *host) logHas(sub string) bool { return strings.Contains(h.log(), sub) }

type netipAddrPort = netip.AddrPort

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// reloadCreds rebuilds the host's credential store from its files.
func (h *host) reloadCreds(t *testing.T) {
	store, _ := credentials.NewStore(credentials.Options{IPsecDir: filepath.Join(h.dir, "ipsec.d"), Secrets: h.secrets, CertFiles: h.certFiles})
	h.creds = StoreCreds(store, h.now, credentials.CRLPolicyNo)
}
