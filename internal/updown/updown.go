package updown

import (
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/goswan/goswan/internal/ike/sa"
	"github.com/goswan/goswan/internal/log"
)

// Datapath is where ESP happens, which decides how the firewall rules
// recognize tunnel traffic.
type Datapath uint8

const (
	// XFRM: the kernel's IPsec; rules match the IPsec policy (reqid).
	XFRM Datapath = iota
	// TUN: the userspace datapath; rules match the TUN device.
	TUN
)

func (d Datapath) String() string {
	if d == TUN {
		return "TUN"
	}
	return "XFRM"
}

// Defaults of Options.
const (
	DefaultInterface    = "ipsec0"
	DefaultTimeout      = 30 * time.Second
	DefaultWait         = time.Second
	DefaultRoutingTable = 220
)

// Options configure a Listener. The zero value works: XFRM datapath,
// default timeouts, the daemon's own network namespace.
type Options struct {
	// Log receives "updown: ..." lines and errors (group CHD); nil
	// discards them.
	Log *log.Logger
	// Datapath selects how firewall rules match tunnel traffic.
	Datapath Datapath
	// Interface is the TUN device of the userspace datapath
	// (DefaultInterface if empty).
	Interface string
	// Timeout is how long a script may run before it is killed with its
	// process group (DefaultTimeout if 0; negative: never).
	Timeout time.Duration
	// Wait is how long ChildUpDown, on the IKE_SA's goroutine, waits
	// for the event's script or firewall rules (DefaultWait if 0;
	// negative: not at all). The event completes in the background
	// after that.
	Wait time.Duration
	// RoutingTable is charon.routing_table: its routes are ignored when
	// looking for the interface towards the peer (DefaultRoutingTable if
	// 0; negative: none ignored).
	RoutingTable int
	// NetNS, if not 0, is a file descriptor of the network namespace
	// whose nftables and routes the listener uses (scripts run where the
	// daemon runs). 0 is the daemon's namespace.
	NetNS int
	// Extra supplies what the IKE_SA itself does not hold (virtual IPs
	// we received, DNS servers, EAP identity, XFRM interface IDs,
	// IPComp). It runs on the IKE_SA's goroutine and must not block.
	Extra func(*sa.IKESA, *sa.ChildSA) Extra
	// Nexthop, if not nil, replaces the route lookup of PLUTO_INTERFACE:
	// it returns the interface towards peer from me ("" if none).
	Nexthop func(peer, me netip.Addr) string
	// VPNLog, if not nil, receives the connection lines the default
	// script sends to syslog (tag "vpn", local0.notice) for
	// leftfirewall=yes, e.g. "+ sun.strongswan.org 10.2.0.0/16 ==
	// 192.168.0.2 -- 192.168.0.1 == 10.1.0.0/16". SyslogVPN writes them
	// where _updown's logger(1) does.
	VPNLog func(line string)
}

// Listener runs updown commands and installs firewall rules for
// CHILD_SAs; subscribe it to the sa.Bus. It implements
// sa.ChildUpDownListener and sa.ChildRekeyListener.
type Listener struct {
	opts Options
	log  *log.Logger
	fw   *firewall

	mu sync.Mutex // guards the fields below
	// queues run the events of one reqid in order.
	queues map[uint32]*queue
	// children are the CHILD_SAs that are up, by unique ID.
	children map[uint32]*childState
	closed   bool
	running  sync.WaitGroup
}

// childState is what an up left for the down: the interface charon
// caches, and the firewall rules installed.
type childState struct {
	iface string
	rules []installed
}

type queue struct {
	jobs []*job
}

type job struct {
	run  func()
	done chan struct{}
}

var (
	_ sa.ChildUpDownListener = (*Listener)(nil)
	_ sa.ChildRekeyListener  = (*Listener)(nil)
)

// New returns a Listener. The daemon subscribes it to its bus and calls
// Close after the IKE_SAs are gone:
//
//	l := updown.New(updown.Options{Log: lg, Datapath: updown.TUN})
//	env.Bus.Subscribe(l)
//	...
//	mgr.Wait()
//	l.Close()
func New(opts Options) *Listener {
	if opts.Interface == "" {
		opts.Interface = DefaultInterface
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Wait == 0 {
		opts.Wait = DefaultWait
	}
	if opts.RoutingTable == 0 {
		opts.RoutingTable = DefaultRoutingTable
	}
	l := &Listener{
		opts: opts, log: opts.Log,
		queues:   map[uint32]*queue{},
		children: map[uint32]*childState{},
	}
	l.fw = newFirewall(opts.NetNS)
	return l
}

// ChildUpDown implements sa.ChildUpDownListener: it queues the event and
// waits for it up to Options.Wait.
func (l *Listener) ChildUpDown(ike *sa.IKESA, c *sa.ChildSA, up bool) {
	if c.Config == nil || c.Config.Updown == "" {
		return
	}
	ev := newEvent(ike, c, up, l.opts.Extra)
	done := l.enqueue(ev.reqID, func() { l.handle(ev) })
	l.wait(done)
}

// ChildRekey implements sa.ChildRekeyListener: the new CHILD_SA takes
// over the old one's state, so its down removes the old one's rules
// (charon runs no updown for rekeyed CHILD_SAs).
func (l *Listener) ChildRekey(ike *sa.IKESA, old, n *sa.ChildSA) {
	if old.Config == nil || old.Config.Updown == "" {
		return
	}
	oldID, newID := old.UniqueID, n.UniqueID
	ctx := log.Context{Thread: int(ike.UniqueID%15) + 1, Name: ike.Name(), UniqueID: ike.UniqueID}
	done := l.enqueue(old.ReqID, func() { l.rekeyed(ctx, oldID, newID) })
	l.wait(done)
}

func (l *Listener) wait(done <-chan struct{}) {
	if done == nil || l.opts.Wait < 0 {
		return
	}
	t := time.NewTimer(l.opts.Wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// enqueue appends a job to the queue of reqid, starting its worker if
// it is idle; nil after Close.
func (l *Listener) enqueue(reqid uint32, run func()) <-chan struct{} {
	j := &job{run: run, done: make(chan struct{})}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	q := l.queues[reqid]
	if q != nil {
		q.jobs = append(q.jobs, j)
		return j.done
	}
	q = &queue{jobs: []*job{j}}
	l.queues[reqid] = q
	l.running.Add(1)
	go l.work(reqid, q)
	return j.done
}

// work runs the jobs of one queue until it is empty.
func (l *Listener) work(reqid uint32, q *queue) {
	defer l.running.Done()
	for {
		l.mu.Lock()
		if len(q.jobs) == 0 {
			delete(l.queues, reqid)
			l.mu.Unlock()
			return
		}
		j := q.jobs[0]
		q.jobs = q.jobs[1:]
		l.mu.Unlock()
		j.run()
		close(j.done)
	}
}

// Drain waits until every queued event has been handled.
func (l *Listener) Drain() {
	l.running.Wait()
}

// Close stops taking events, waits for the queued ones and removes every
// firewall rule (and table or chain) the listener installed. The daemon
// calls it after the IKE_SAs are gone, so their down events ran first.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.running.Wait()
	l.mu.Lock()
	var rules []installed
	for id, st := range l.children {
		rules = append(rules, st.rules...)
		delete(l.children, id)
	}
	l.mu.Unlock()
	return errors.Join(l.fw.remove(rules), l.fw.cleanup())
}

// handle runs one up or down (on the reqid's worker).
func (l *Listener) handle(ev *event) {
	pairs := ev.pairs()
	for _, p := range pairs {
		if !p.myExact {
			l.logf(ev, log.Ctrl, "updown approximates local TS %s by next larger subnet", p.local)
		}
		if !p.peerExact {
			l.logf(ev, log.Ctrl, "updown approximates remote TS %s by next larger subnet", p.remote)
		}
	}
	iface := l.iface(ev)
	firewall, noop := builtin(ev.command)
	switch {
	case noop:
	case firewall:
		l.firewall(ev, pairs, iface)
	default:
		for _, p := range pairs {
			l.runScript(ev, ev.environ(p, iface))
		}
	}
	if !ev.up && !firewall {
		l.forget(ev.childID)
	}
}

// iface is PLUTO_INTERFACE: on up the interface of the route to the
// peer, remembered for the down (charon's iface cache); "unknown" if
// there is none.
func (l *Listener) iface(ev *event) string {
	if !ev.up {
		l.mu.Lock()
		st := l.children[ev.childID]
		l.mu.Unlock()
		if st == nil || st.iface == "" {
			return "unknown"
		}
		return st.iface
	}
	var name string
	if l.opts.Nexthop != nil {
		name = l.opts.Nexthop(ev.peer.Addr(), ev.me.Addr())
	} else {
		name = nexthop(l.opts.NetNS, ev.peer.Addr(), ev.me.Addr(), l.opts.RoutingTable)
	}
	if name == "" {
		name = "unknown"
	}
	l.mu.Lock()
	st := l.children[ev.childID]
	if st == nil {
		st = &childState{}
		l.children[ev.childID] = st
	}
	st.iface = name
	l.mu.Unlock()
	return name
}

// forget drops the state of a CHILD_SA that went down and returns it.
func (l *Listener) forget(id uint32) *childState {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.children[id]
	delete(l.children, id)
	return st
}

// rekeyed moves the state of old to n. If n had an up of its own (a core
// that raises up for a rekeyed CHILD_SA), its firewall rules duplicate
// old's and are removed.
func (l *Listener) rekeyed(ctx log.Context, oldID, newID uint32) {
	l.mu.Lock()
	old := l.children[oldID]
	dup := l.children[newID]
	delete(l.children, oldID)
	if old != nil {
		l.children[newID] = old
	}
	l.mu.Unlock()
	if old != nil && dup != nil && len(dup.rules) > 0 {
		if err := l.fw.remove(dup.rules); err != nil {
			l.log.Log(log.CHD, log.Ctrl, ctx, "updown: removing firewall rules failed: %v", err)
		}
	}
}

func (l *Listener) logf(ev *event, lv log.Level, format string, args ...any) {
	if l.log.Enabled(log.CHD, lv) {
		l.log.Log(log.CHD, lv, ev.ctx, format, args...)
	}
}
