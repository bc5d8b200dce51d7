package daemon

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/kernel/fake"
	"github.com/goswan/goswan/internal/kernel/hostnet"
	"github.com/goswan/goswan/internal/kernel/linuxnet"
	"github.com/goswan/goswan/internal/kernel/userspace"
	"github.com/goswan/goswan/internal/kernel/xfrm"
	"github.com/goswan/goswan/internal/log"
	"github.com/goswan/goswan/internal/socket"
	"github.com/goswan/goswan/internal/updown"
	"github.com/goswan/goswan/internal/version"

	"crypto/rand"

	"golang.org/x/sys/unix"
)

// Options say where the daemon finds its configuration and what it runs
// on.
type Options struct {
	// ConfDir holds ipsec.conf, ipsec.secrets and ipsec.d (default /etc).
	ConfDir string
	// StrongswanConf is strongswan.conf (default $STRONGSWAN_CONF or
	// /etc/strongswan.conf).
	StrongswanConf string
	// Logger is the daemon's logger; Configure is called on it with
	// strongswan.conf's loggers.
	Logger *log.Logger
	// Kernel and Net are the kernel backends; nil Kernel keeps SAs in
	// memory only (no datapath), nil Net uses the host's addresses.
	Kernel kernel.IPsec
	Net    kernel.Net
}

// state is one generation of the loaded configuration; reload and
// rereadsecrets swap it whole.
type state struct {
	settings *config.Settings
	ipsec    *config.IPsecConf
	secrets  *config.Secrets
	peers    *cfg.Config
	store    *credentials.Store
	creds    sa.Creds
}

// Daemon is a running charon.
type Daemon struct {
	opts    Options
	log     *log.Logger
	started time.Time
	clock   clock.Clock
	kernel  kernel.IPsec
	net     kernel.Net
	mgr     *sa.Manager
	sock    *socket.Socket
	updown  *updown.Listener
	xfrm    bool // the XFRM backend is in use
	// engine is the userspace datapath, if in use; sockMark the mark of
	// the IKE sockets; ownKernel/ownNet: the backends were made here
	// (closed at shutdown)
	engine            *userspace.Engine
	sockMark          uint32
	ownKernel, ownNet bool
	attrs             attributes
	st                atomic.Pointer[state]
	// reloadMu serializes reload, rereadsecrets and rereadall
	reloadMu sync.Mutex

	shutdownOnce sync.Once
	done         chan struct{}
}

func (d *Daemon) logf(g log.Group, lv log.Level, format string, args ...any) {
	d.log.Log(g, lv, log.Context{Thread: 0}, format, args...)
}

// New loads the configuration and opens the IKE sockets.
func New(opts Options) (*Daemon, error) {
	if opts.ConfDir == "" {
		opts.ConfDir = "/etc"
	}
	if opts.StrongswanConf == "" {
		opts.StrongswanConf = config.StrongswanConfPath()
	}
	if opts.Logger == nil {
		opts.Logger = log.New(log.Options{})
	}
	d := &Daemon{opts: opts, log: opts.Logger, started: time.Now(), clock: clock.Real{},
		kernel: opts.Kernel, net: opts.Net, done: make(chan struct{})}
	settings, ds := config.LoadSettings(nil, opts.StrongswanConf)
	if config.HasErrors(ds) {
		for _, e := range ds {
			d.logf(log.DMN, 1, "%v", e)
		}
		return nil, fmt.Errorf("loading %s failed", opts.StrongswanConf)
	}
	settings = settings.WithDaemonFallbacks("charon")
	if err := d.log.Configure(settings); err != nil {
		d.logf(log.DMN, 1, "%v", err)
	}
	u := version.Banner()
	d.logf(log.DMN, 1, "Starting IKE charon daemon (%s)", u)
	datapath, err := d.setupKernel(settings)
	if err != nil {
		return nil, err
	}
	d.setupAttributes(settings)
	st, err := d.load(settings)
	if err != nil {
		return nil, err
	}
	d.st.Store(st)
	env := &sa.Env{
		Clock: d.clock, Rand: rand.Reader, Log: d.log, Kernel: d.kernel, Net: d.net,
		Settings: coreSettings(settings),
		Creds:    func() sa.Creds { return d.st.Load().creds },
		Config:   func() *cfg.Config { return d.st.Load().peers },
		Send:     d.send,
		Resolve:  resolve,
		Port:     uint16(settings.GetInt("charon.port", 500)),
		NATTPort: uint16(settings.GetInt("charon.port_nat_t", 4500)),
		Bus:      &sa.Bus{},
		Attrs:    d.attrs.mgr,
	}
	if d.mgr, err = sa.NewManager(env); err != nil {
		return nil, err
	}
	// leftupdown scripts and leftfirewall rules
	d.updown = updown.New(updown.Options{Log: d.log, Datapath: datapath,
		RoutingTable: settings.GetInt("charon.routing_table", 220), VPNLog: updown.SyslogVPN()})
	env.Bus.Subscribe(d.updown)
	d.setupFarp(settings, env.Bus)
	sc := socket.Config{Port: env.Port, NATTPort: env.NATTPort,
		IPv4: settings.GetBool("charon.plugins.socket-default.use_ipv4", true),
		IPv6: settings.GetBool("charon.plugins.socket-default.use_ipv6", true)}
	sc.Mark = d.sockMark
	if d.engine != nil {
		eng := d.engine
		sc.RecvESPBatch = eng.HandleUDPESPBatch
	}
	if d.sock, err = socket.Open(sc); err != nil {
		if sc.IPv6 {
			// hosts without IPv6 still serve IPv4
			sc.IPv6 = false
			d.sock, err = socket.Open(sc)
		}
		if err != nil {
			return nil, err
		}
	}
	if d.xfrm {
		// the IKE sockets bypass IPsec policies; the kernel decapsulates
		// ESP in UDP arriving on the NAT-T port
		if err := d.sock.Control(func(fd int, v6 bool, port uint16) error {
			family := unix.AF_INET
			if v6 {
				family = unix.AF_INET6
			}
			if err := xfrm.BypassSocket(fd, family); err != nil {
				return err
			}
			if port == env.NATTPort {
				return xfrm.EnableUDPDecap(fd)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("setting up the IKE sockets for XFRM: %w", err)
		}
	}
	return d, nil
}

// defaultESPMark marks the IKE and ESP sockets when the userspace
// datapath runs and strongswan.conf sets no socket-default.fwmark: the
// routing rule keeps marked packets out of table 220, whose routes lead
// into the TUN device, so our own IKE and ESP packets to a peer inside a
// remote subnet do not loop (strongSwan's libipsec needs the admin to set
// this up; we do it ourselves).
const defaultESPMark = 0x42

// parseMark parses a fwmark setting ("0x42", "66", "0x42/0xff"); the mask
// is ignored.
func parseMark(s string) uint32 {
	s, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "!"), "/")
	var v uint32
	if _, err := fmt.Sscanf(s, "0x%x", &v); err != nil {
		fmt.Sscanf(s, "%d", &v)
	}
	return v
}

// setupKernel picks the kernel backends: XFRM when the kernel can do ESP
// (unless charon.plugins.kernel-libipsec.load asks for the userspace
// datapath), else the userspace ESP datapath over a TUN device; and
// rtnetlink for addresses, routes and the routing rule.
func (d *Daemon) setupKernel(settings *config.Settings) (updown.Datapath, error) {
	useXFRM := false
	if d.kernel == nil && !settings.GetBool("charon.plugins.kernel-libipsec.load", false) {
		ok, err := xfrm.Supported()
		if err != nil {
			d.logf(log.KNL, 1, "probing the kernel's ESP support failed: %v", err)
		}
		if !ok {
			d.logf(log.KNL, 1, "the kernel has no ESP support, using the userspace datapath")
		}
		useXFRM = ok
	}
	userspaceDP := d.kernel == nil && !useXFRM
	ruleMark := settings.GetString("charon.plugins.kernel-netlink.fwmark", "")
	d.sockMark = parseMark(settings.GetString("charon.plugins.socket-default.fwmark", ""))
	if userspaceDP && d.sockMark == 0 {
		d.sockMark = defaultESPMark
		if ruleMark == "" {
			ruleMark = fmt.Sprintf("!0x%x", defaultESPMark)
		}
		d.logf(log.KNL, 2, "marking IKE and ESP sockets with 0x%x to keep them out of routing table %d",
			defaultESPMark, settings.GetInt("charon.routing_table", int(linuxnet.DefaultTable)))
	}
	installRoutes := settings.GetBool("charon.install_routes", true)
	table := uint32(settings.GetInt("charon.routing_table", int(linuxnet.DefaultTable)))
	if d.net == nil {
		ln, err := linuxnet.New(linuxnet.Options{
			Table:              table,
			RulePriority:       uint32(settings.GetInt("charon.routing_table_prio", int(linuxnet.DefaultRulePriority))),
			FWMark:             ruleMark,
			InstallVirtualIPOn: settings.GetString("charon.install_virtual_ip_on", ""),
			Log:                d.log.With(log.Context{Thread: 0}),
		})
		if err != nil {
			d.logf(log.KNL, 1, "rtnetlink unavailable (%v), using the host's addresses only", err)
			d.net = hostnet.Net{}
		} else {
			d.net, d.ownNet = ln, true
			if installRoutes {
				if err := ln.EnsureRoutingRule(); err != nil {
					d.logf(log.KNL, 1, "unable to install the routing rule: %v", err)
				}
			}
		}
	}
	if d.kernel != nil {
		return updown.TUN, nil
	}
	ln, _ := d.net.(*linuxnet.Net)
	if useXFRM {
		var routes xfrm.Router
		if ln != nil && installRoutes {
			routes = ln
		}
		k, err := xfrm.New(xfrm.Options{Routes: routes, Log: d.log.With(log.Context{Thread: 0}),
			PolicyUpdate: settings.GetBool("charon.plugins.kernel-netlink.policy_update", false)})
		if err != nil {
			return 0, err
		}
		d.kernel, d.ownKernel, d.xfrm = k, true, true
		return updown.XFRM, nil
	}
	uc := userspace.Config{
		MTU:     settings.GetInt("charon.plugins.kernel-libipsec.mtu", userspace.DefaultMTU),
		FwMark:  d.sockMark,
		SendUDP: func(src, dst netip.AddrPort, pkt []byte) error { return d.sock.SendESP(src, dst, pkt) },
		SendUDPBatch: func(src, dst []netip.AddrPort, pkts [][]byte) (int, error) {
			return d.sock.SendESPBatch(src, dst, pkts)
		},
		NoRoutes:     !installRoutes,
		RoutingTable: table,
		Log:          d.log,
	}
	if ln != nil {
		uc.Router = ln
	} else {
		uc.InstallRule = installRoutes
	}
	eng, err := userspace.New(uc)
	if err != nil {
		d.logf(log.KNL, 1, "the userspace datapath is unavailable (%v): CHILD_SAs are negotiated and kept in memory only", err)
		d.kernel = fake.NewRandom()
		return updown.TUN, nil
	}
	d.kernel, d.ownKernel, d.engine = eng, true, eng
	return updown.TUN, nil
}

// resolve looks up a host name (left=/right=) via /etc/hosts and DNS.
// IPv4 results come back as plain IPv4 addresses, not IPv4-mapped IPv6.
func resolve(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	as, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	for i := range as {
		as[i] = as[i].Unmap()
	}
	return as, err
}

func resolveAll(host string) []netip.Addr {
	as, _ := resolve(host)
	return as
}

// load reads ipsec.conf, ipsec.secrets and ipsec.d and builds the peer
// configs and credentials, logging as charon does.
func (d *Daemon) load(settings *config.Settings) (*state, error) {
	opts := config.Options{ConfDir: d.opts.ConfDir, StrongswanConf: d.opts.StrongswanConf}
	c, ds := config.Load(opts)
	for _, e := range ds {
		lv := log.Level(1)
		if e.Severity != config.SeverityError {
			lv = 2
		}
		d.logf(log.CFG, lv, "%v", e)
	}
	if c.IPsecConf == nil || c.IPsecConf.Invalid {
		return nil, errors.New("ipsec.conf has fatal errors")
	}
	var certFiles []string
	for _, conn := range c.IPsecConf.Conns {
		certFiles = append(certFiles, conn.Left.Certs...)
		certFiles = append(certFiles, conn.Right.Certs...)
	}
	store, cds := credentials.NewStore(credentials.Options{
		IPsecDir: c.Options.IPsecDir, Secrets: c.Secrets, CertFiles: certFiles,
		ForceCA: settings.GetBool("charon.plugins.stroke.ignore_missing_ca_basic_constraint", false),
	})
	for _, e := range cds {
		d.logf(log.CFG, 1, "%s", e.Message)
	}
	local := d.localAddrs()
	peers, pds := cfg.Build(c.IPsecConf, cfg.Env{
		IsLocal: func(a netip.Addr) bool { return local[a.Unmap()] },
		Resolve: resolveAll,
		LoadCert: func(f string) (*x509.Certificate, error) {
			if cert, ok := store.Cert(f); ok {
				return cert, nil
			}
			return nil, fmt.Errorf("certificate %s not loaded", f)
		},
	})
	for _, e := range pds {
		d.logf(log.CFG, 1, "%v", e)
	}
	// once: the SAs read it while a reload runs
	setResolver.Do(func() { cfg.Resolver = resolveAll })
	for _, c := range peers.Conns {
		if c.Merged {
			d.logf(log.CFG, 1, "added child to existing configuration '%s'", c.Peer.Name)
			continue
		}
		// stroke makes the in-memory pools of rightsourceip= as it adds
		// the connection
		p := c.Peer
		p.Pools = d.attrs.mem.AddConn(p.Name, p.PoolSpecs, p.DNS)
		if slices.Contains(p.Pools, "dhcp") {
			d.ensureDHCP(settings)
		}
		d.logf(log.CFG, 1, "added configuration '%s'", p.Name)
	}
	crl := credentials.CRLPolicyNo
	switch c.IPsecConf.Setup.StrictCRLPolicy {
	case config.StrictCRLYes:
		crl = credentials.CRLPolicyYes
	case config.StrictCRLIfURI:
		crl = credentials.CRLPolicyIfURI
	}
	return &state{settings: settings, ipsec: c.IPsecConf, secrets: c.Secrets, peers: peers, store: store,
		creds: sa.StoreCreds(store, d.clock.Now, crl)}, nil
}

func (d *Daemon) localAddrs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	as, _ := d.net.Addresses(context.Background())
	for _, a := range as {
		out[a.Unmap()] = true
	}
	return out
}

func (d *Daemon) send(p sa.Packet) error {
	return d.sock.Send(socket.Datagram{Src: p.Src, Dst: p.Dst, Data: p.Data, Keepalive: p.Keepalive})
}

// Run serves the IKE sockets, starts auto=start connections and returns
// when the daemon shuts down.
func (d *Daemon) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() {
		errc <- d.sock.Serve(func(dg socket.Datagram) {
			d.mgr.Receive(sa.Packet{Src: dg.Src, Dst: dg.Dst, Data: dg.Data})
		})
	}()
	go d.kernelEvents(ctx)
	d.startConns()
	select {
	case <-ctx.Done():
		d.shutdown()
		return nil
	case <-d.done:
		return nil
	case err := <-errc:
		d.shutdown()
		return err
	}
}

// kernelEvents hands acquires, expiries and mapping changes to the SA
// manager.
func (d *Daemon) kernelEvents(ctx context.Context) {
	ev := d.kernel.Events()
	for {
		select {
		case e, ok := <-ev:
			if !ok {
				return
			}
			d.mgr.HandleKernelEvent(e)
		case <-ctx.Done():
			return
		case <-d.done:
			return
		}
	}
}

// startConns routes the auto=route conns and initiates the auto=start
// ones, as starter does after loading them.
func (d *Daemon) startConns() {
	st := d.st.Load()
	for _, c := range st.peers.Conns {
		if c.Auto == config.AutoRoute {
			d.log.Log(log.CFG, 1, log.Context{Thread: 1}, "received stroke: route '%s'", c.Name)
			if err := d.mgr.Route(c.Name); err != nil {
				d.log.Log(log.CFG, 1, log.Context{Thread: 1}, "routing CHILD_SA '%s' failed: %v", c.Name, err)
			}
		}
		if c.Auto != config.AutoStart {
			continue
		}
		d.log.Log(log.CFG, 1, log.Context{Thread: 1}, "received stroke: initiate '%s'", c.Name)
		if err := d.mgr.Initiate(c.Name, nil, nil); err != nil {
			d.log.Log(log.CFG, 1, log.Context{Thread: 1}, "initiating '%s' failed: %v", c.Name, err)
		}
	}
}

// shutdown deletes all IKE_SAs (sending DELETE to the peers) and closes
// the sockets.
func (d *Daemon) shutdown() {
	d.shutdownOnce.Do(func() {
		var wg sync.WaitGroup
		for _, sn := range d.mgr.Snapshots() {
			wg.Add(1)
			id := sn.UniqueID
			if !d.mgr.Post(id, func(s *sa.IKESA) {
				s.OnDestroy(wg.Done)
				s.Delete()
			}) {
				wg.Done()
			}
		}
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(2 * time.Second):
		}
		d.sock.Close()
		d.updown.Close()
		if d.ownKernel {
			d.kernel.Close()
		}
		if d.ownNet {
			d.net.Close()
		}
		d.attrs.close()
		d.logf(log.DMN, 1, "charon stopped")
		d.log.Flush()
		close(d.done)
	})
}

// ConfPaths returns where the daemon reads ipsec.conf from.
func (d *Daemon) ConfPaths() string { return filepath.Join(d.opts.ConfDir, "ipsec.conf") }

// setResolver installs resolveAll as cfg.Resolver once per process.
var setResolver sync.Once
