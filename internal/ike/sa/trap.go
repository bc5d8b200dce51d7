package sa

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// trap is a routed CHILD_SA config (charon's trap_manager entry): trap
// policies without SAs, so that the kernel raises an Acquire for matching
// traffic and the connection is initiated then. auto=route installs them
// at config load, dpdaction=hold and closeaction=hold when a CHILD_SA
// goes. The trap stays until Unroute, also while the CHILD_SA is up (the
// kernel backend keeps both policies, the SA's taking precedence).
type trap struct {
	peer  *cfg.Peer
	child *cfg.Child
	// id is a CHILD_SA unique ID, shown as NAME{id}: ROUTED
	id        uint32
	reqid     uint32
	proto     uint8
	mode      kernel.Mode
	local     netip.Addr
	remote    netip.Addr
	localTS   []kernel.TS
	remoteTS  []kernel.TS
	policies  []kernel.Policy
	installed time.Time
	// pending: an acquire started a connection attempt that has not ended
	pending bool
}

// ErrNotRouted is returned by Unroute for a connection without trap.
var ErrNotRouted = errors.New("not routed")

// Route installs the trap policies of the named connection (ipsec route,
// and auto=route at config load): traffic matching them raises a
// kernel.Acquire, which HandleKernelEvent answers by initiating the
// connection. Routing a routed connection again updates its trap.
func (m *Manager) Route(name string) error {
	p, c := m.env.Config().Lookup(name)
	if p == nil {
		return fmt.Errorf("%w '%s'", ErrNoConfig, name)
	}
	if c == nil {
		return fmt.Errorf("no child config named '%s'", name)
	}
	return m.installTrap(p, c, 0)
}

// Unroute removes the trap policies of the named connection (ipsec
// unroute); ErrNotRouted if it has none.
func (m *Manager) Unroute(name string) error {
	m.trapMu.Lock()
	var gone []*trap
	rest := m.traps[:0]
	for _, t := range m.traps {
		if t.child.Name == name {
			gone = append(gone, t)
		} else {
			rest = append(rest, t)
		}
	}
	m.traps = rest
	m.trapMu.Unlock()
	if len(gone) == 0 {
		return fmt.Errorf("configuration '%s' %w", name, ErrNotRouted)
	}
	for _, t := range gone {
		m.delTrapPolicies(t)
	}
	return nil
}

// Routes lists the routed connections as CHILD_SAs in state ROUTED, for
// ipsec status' "Routed Connections".
func (m *Manager) Routes() []ChildSnapshot {
	m.trapMu.Lock()
	defer m.trapMu.Unlock()
	out := make([]ChildSnapshot, 0, len(m.traps))
	for _, t := range m.traps {
		out = append(out, ChildSnapshot{UniqueID: t.id, Name: t.child.Name, State: ChildRouted,
			Mode: t.mode, Proto: t.proto, ReqID: t.reqid, Local: t.localTS, Remote: t.remoteTS,
			LocalAddr: t.local, RemoteAddr: t.remote, Installed: t.installed})
	}
	return out
}

// trapReqID returns the reqid of the trap of a CHILD_SA config, 0 if it
// is not routed: the CHILD_SA established for it uses the same reqid, as
// charon's kernel interface allocates reqids per traffic selectors.
func (m *Manager) trapReqID(p *cfg.Peer, c *cfg.Child) uint32 {
	if p == nil || c == nil {
		return 0
	}
	m.trapMu.Lock()
	defer m.trapMu.Unlock()
	for _, t := range m.traps {
		if t.peer.Name == p.Name && t.child.Name == c.Name {
			return t.reqid
		}
	}
	return 0
}

// installTrap routes a CHILD_SA config (charon's trap_manager install);
// reqid, if not 0, is the reqid to use (that of the CHILD_SA it stands
// in for).
func (m *Manager) installTrap(p *cfg.Peer, c *cfg.Child, reqid uint32) error {
	if p == nil || c == nil {
		return errors.New("installing trap failed")
	}
	probe := &IKESA{env: m.env, Peer: p}
	remote, local, err := probe.trapEndpoints()
	if err != nil {
		return err
	}
	t := &trap{peer: p, child: c, id: m.nextChildID.Add(1), proto: kernel.ProtoESP,
		mode: kernel.ModeTunnel, local: local, remote: remote, installed: m.env.Clock.Now()}
	if c.AH {
		t.proto = kernel.ProtoAH
	}
	if c.Mode == config.ModeTransport {
		t.mode = kernel.ModeTransport
	}
	m.trapMu.Lock()
	var old *trap
	for i, o := range m.traps {
		if o.peer.Name == p.Name && o.child.Name == c.Name {
			old = o
			m.traps = append(m.traps[:i], m.traps[i+1:]...)
			break
		}
	}
	m.trapMu.Unlock()
	switch {
	case reqid != 0:
		t.reqid = reqid
	case c.ReqID != 0:
		t.reqid = c.ReqID
	case old != nil:
		t.reqid = old.reqid
	default:
		t.reqid = m.nextReqID.Add(1)
	}
	if old != nil {
		m.logf(log.CFG, 1, "updating already routed CHILD_SA '%s'", c.Name)
		m.delTrapPolicies(old)
	}
	t.localTS = resolveTS(c.Local, local)
	t.remoteTS = resolveTS(c.Remote, remote)
	if err := m.addTrapPolicies(t); err != nil {
		m.delTrapPolicies(t)
		return fmt.Errorf("installing trap failed: %w", err)
	}
	m.trapMu.Lock()
	m.traps = append([]*trap{t}, m.traps...)
	m.trapMu.Unlock()
	return nil
}

// trapEndpoints resolves the addresses a trap is installed for: the
// peer's configured address is required (charon: "installing trap failed,
// remote address unknown").
func (s *IKESA) trapEndpoints() (remote, local netip.Addr, err error) {
	if err := s.resolveEndpoints(); err != nil {
		return remote, local, errors.New("installing trap failed, remote address unknown")
	}
	return s.Remote.Addr(), s.Local.Addr(), nil
}

func (m *Manager) addTrapPolicies(t *trap) error {
	ctx := context.Background()
	for _, l := range t.localTS {
		for _, r := range t.remoteTS {
			dirs := []kernel.Direction{kernel.DirIn, kernel.DirOut}
			if t.mode == kernel.ModeTunnel {
				dirs = append(dirs, kernel.DirFwd)
			}
			for _, d := range dirs {
				p := kernel.Policy{Dir: d, Type: kernel.PolicyIPsec, ReqID: t.reqid, Mode: t.mode, Proto: t.proto,
					Trap: true}
				if d == kernel.DirOut {
					p.Src, p.Dst, p.SrcAddr, p.DstAddr, p.Mark = l, r, t.local, t.remote, t.child.MarkOut
				} else {
					p.Src, p.Dst, p.SrcAddr, p.DstAddr, p.Mark = r, l, t.remote, t.local, t.child.MarkIn
				}
				if err := m.env.Kernel.AddPolicy(ctx, &p); err != nil {
					return err
				}
				t.policies = append(t.policies, p)
			}
		}
	}
	return nil
}

func (m *Manager) delTrapPolicies(t *trap) {
	ctx := context.Background()
	for i := len(t.policies) - 1; i >= 0; i-- {
		p := t.policies[i]
		if err := m.env.Kernel.DelPolicy(ctx, &p); err != nil {
			m.logf(log.KNL, 2, "unable to delete trap policy: %v", err)
		}
	}
	t.policies = nil
}

// HandleKernelEvent acts on an event of the kernel's IPsec backend (the
// daemon calls it for everything kernel.IPsec.Events delivers):
//   - Acquire: traffic matched a trap, the connection is initiated (on an
//     established IKE_SA of the conn if there is one);
//   - Expire: a soft expire rekeys the CHILD_SA, a hard one deletes it
//     (and creates it anew unless it was rekeyed);
//   - Mapping: the peer's NAT mapping changed, its endpoint is updated.
func (m *Manager) HandleKernelEvent(ev kernel.Event) {
	switch ev := ev.(type) {
	case kernel.Acquire:
		m.acquire(ev)
	case kernel.Expire:
		proto := ev.ID.Proto
		if proto == 0 {
			proto = kernel.ProtoESP
		}
		job := "rekey"
		if ev.Hard {
			job = "delete"
		}
		m.logf(log.KNL, 1, "creating %s job for CHILD_SA %s/0x%08x/%s", job, protoName(proto), ev.ID.SPI, ev.ID.Dst)
		m.postChild(proto, ev.ID.SPI, ev.ID.Dst, job, func(s *IKESA, c *ChildSA) {
			if ev.Hard {
				s.expireChild(c)
			} else {
				s.RekeyChild(c)
			}
		})
	case kernel.Mapping:
		proto := ev.ID.Proto
		if proto == 0 {
			proto = kernel.ProtoESP
		}
		m.logf(log.KNL, 1, "NAT mappings of CHILD_SA %s/0x%08x/%s changed to %s, queuing update job",
			protoName(proto), ev.ID.SPI, ev.ID.Dst, hostPort(ev.New))
		m.postChild(proto, ev.ID.SPI, ev.ID.Dst, "update", func(s *IKESA, c *ChildSA) {
			s.updateRemote(ev.New)
		})
	case kernel.AddressChange:
		// MOBIKE's business (roam)
	}
}

// acquire initiates the connection of a trap (charon's trap_manager
// acquire).
func (m *Manager) acquire(ev kernel.Acquire) {
	if ev.Src.Start.IsValid() && ev.Dst.Start.IsValid() {
		m.logf(log.KNL, 1, "creating acquire job for policy %s === %s with reqid {%d}", ev.Src, ev.Dst, ev.ReqID)
	} else {
		m.logf(log.KNL, 1, "creating acquire job for policy with reqid {%d}", ev.ReqID)
	}
	m.trapMu.Lock()
	var t *trap
	for _, o := range m.traps {
		if o.reqid == ev.ReqID {
			t = o
			break
		}
	}
	if t == nil {
		m.trapMu.Unlock()
		m.logf(log.CFG, 1, "trap not found, unable to acquire reqid %d", ev.ReqID)
		return
	}
	if t.pending {
		m.trapMu.Unlock()
		m.logf(log.CFG, 1, "ignoring acquire for reqid %d, connection attempt pending", ev.ReqID)
		return
	}
	t.pending = true
	peer, child, reqid := t.peer, t.child, t.reqid
	m.trapMu.Unlock()
	done := func(error) {
		m.trapMu.Lock()
		t.pending = false
		m.trapMu.Unlock()
	}
	// an established IKE_SA of the conn gets the CHILD_SA
	for _, sn := range m.Snapshots() {
		if sn.Name != peer.Name || sn.State != StateEstablished {
			continue
		}
		if m.Post(sn.UniqueID, func(s *IKESA) {
			if s.state != StateEstablished {
				done(errors.New("IKE_SA not established"))
				return
			}
			s.waiters = append(s.waiters, done)
			n := newChildCreate(s, true, child)
			n.useReqID = reqid
			s.tm.queue(n)
			s.tm.initiate()
		}) {
			return
		}
	}
	s, err := m.newSA(true)
	if err != nil {
		done(err)
		return
	}
	s.Peer, s.keyingTry = peer, 1
	s.waiters = append(s.waiters, done)
	s.queueIKEInit(childSpec{config: child, reqid: reqid})
	m.start(s)
	s.actor.post(func(s *IKESA) { s.tm.initiate() })
}

// owner finds the IKE_SA holding the CHILD_SA with the given SPI: our
// inbound SPI if dst is our address, the peer's outbound one else.
func (m *Manager) owner(proto uint8, spi uint32, dst netip.Addr) (uint32, bool) {
	for _, sn := range m.Snapshots() {
		for _, c := range sn.Children {
			if c.Proto != proto {
				continue
			}
			if (c.SPIIn == spi && (!dst.IsValid() || c.LocalAddr == dst)) ||
				(c.SPIOut == spi && (!dst.IsValid() || c.RemoteAddr == dst)) {
				return sn.UniqueID, true
			}
		}
	}
	return 0, false
}

// postChild runs f on the IKE_SA owning a CHILD_SA (charon's
// child_sa_manager checkout), logging charon's "not found for <job>".
func (m *Manager) postChild(proto uint8, spi uint32, dst netip.Addr, job string, f func(*IKESA, *ChildSA)) {
	notFound := func() {
		m.logf(log.JOB, 1, "CHILD_SA %s/0x%08x/%s not found for %s", protoName(proto), spi, dst, job)
	}
	id, ok := m.owner(proto, spi, dst)
	if !ok {
		notFound()
		return
	}
	if !m.Post(id, func(s *IKESA) {
		c := s.childBySAID(proto, spi, dst)
		if c == nil {
			notFound()
			return
		}
		f(s, c)
	}) {
		notFound()
	}
}

// afterChild runs f after d on whichever IKE_SA then holds the CHILD_SA
// with our inbound SPI spi (a retry that must follow the CHILD_SA across
// an IKE_SA rekeying).
func (m *Manager) afterChild(d time.Duration, proto uint8, spi uint32, local netip.Addr, job string, f func(*IKESA, *ChildSA)) {
	m.env.Clock.AfterFunc(d, func() { m.postChild(proto, spi, local, job, f) })
}

// updateRemote follows a NAT mapping change of the peer reported by the
// kernel (charon's update_hosts without forcing): only a peer behind a
// NAT moves, and not if we are the original initiator behind a NAT too.
func (s *IKESA) updateRemote(remote netip.AddrPort) {
	if remote == s.Remote || !s.NATRemote || (s.NATLocal && s.origInitiator) {
		return
	}
	lvl := log.Level(2)
	if s.state == StateEstablished {
		lvl = 1
	}
	s.logf(log.IKE, lvl, "remote endpoint changed from %s to %s", hostPort(s.Remote), hostPort(remote))
	s.Remote = remote
	s.updateChildren()
}
