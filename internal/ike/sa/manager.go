package sa

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/goswan/goswan/internal/log"
	"io"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/message"
)

// Manager owns all IKE_SAs: it creates them (for ipsec up, for incoming
// IKE_SA_INIT requests, for rekeyed SAs), finds the SA of an incoming
// packet by its SPIs, enforces the half-open limits and cookies, and lets
// the control layer inspect and command SAs.
type Manager struct {
	env *Env

	mu    sync.RWMutex // guards bySPI, byID, halfOpen, halfOpenBySrc
	bySPI map[uint64]*IKESA
	// byID indexes the SAs by their local and remote identities (as
	// printed), for the uniqueness and INITIAL_CONTACT checks, which would
	// otherwise scan every SA for every new one
	byID     map[string]map[string]map[*IKESA]struct{}
	halfOpen map[halfOpenKey]*IKESA
	nHalf    int
	perSrc   map[netip.Addr]int

	nextIKEID   atomic.Uint32
	nextChildID atomic.Uint32
	nextReqID   atomic.Uint32

	factories []TaskFactory

	cookieMu      sync.Mutex // guards cookieSecret, cookieVersion
	cookieSecret  [32]byte
	cookieVersion uint32

	trapMu sync.Mutex // guards traps
	traps  []*trap

	// busy counts the closures posted to the IKE_SAs' mailboxes that have
	// not run yet (tests wait for it to drop to zero).
	busy atomic.Int64

	wg sync.WaitGroup
}

type halfOpenKey struct {
	spii uint64
	src  netip.AddrPort
}

// NewManager returns a manager using env.
func NewManager(env *Env) (*Manager, error) {
	m := &Manager{env: env, bySPI: map[uint64]*IKESA{}, byID: map[string]map[string]map[*IKESA]struct{}{},
		halfOpen: map[halfOpenKey]*IKESA{},
		perSrc:   map[netip.Addr]int{}}
	if _, err := io.ReadFull(env.Rand, m.cookieSecret[:]); err != nil {
		return nil, err
	}
	return m, nil
}

// RegisterTaskFactory adds extension tasks (config payload, MOBIKE, ...).
func (m *Manager) RegisterTaskFactory(f TaskFactory) { m.factories = append(m.factories, f) }

// newSA creates an IKE_SA (not yet running).
func (m *Manager) newSA(initiator bool) (*IKESA, error) {
	spi, err := randomSPI(m.env.Rand)
	if err != nil {
		return nil, err
	}
	s := &IKESA{env: m.env, mgr: m, Initiator: initiator, UniqueID: m.nextIKEID.Add(1),
		Created: m.env.Clock.Now()}
	if initiator {
		s.SPIi = spi
	} else {
		s.SPIr = spi
	}
	s.tm = newTaskManager(s)
	s.actor = newActor(&m.busy, &m.wg)
	return s, nil
}

// start registers the SA under its local SPI and starts its goroutine.
func (m *Manager) start(s *IKESA) {
	m.register(s)
	m.run(s)
}

// register makes the SA findable under its local SPI; what is posted to
// it waits in its mailbox until it runs (a new IKE_SA of a rekeying whose
// fate is not decided yet).
func (m *Manager) register(s *IKESA) {
	m.mu.Lock()
	m.bySPI[s.LocalSPI()] = s
	m.mu.Unlock()
}

// run lets a registered SA process what is posted to it.
func (m *Manager) run(s *IKESA) {
	if s.running {
		return
	}
	s.running = true
	s.actor.snap.Store(s.snapshot())
	s.actor.start(s)
}

// discard drops a registered SA that never ran.
func (m *Manager) discard(s *IKESA) {
	if s == nil || s.running {
		return
	}
	m.unregister(s)
	a := s.actor
	a.mu.Lock()
	a.closed = true
	a.busy.Add(-int64(len(a.queue)))
	a.queue = nil
	a.mu.Unlock()
}

func (m *Manager) unregister(s *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bySPI[s.LocalSPI()] == s {
		delete(m.bySPI, s.LocalSPI())
	}
	m.unindexLocked(s)
	if k := s.initKey; m.halfOpen[k] == s {
		delete(m.halfOpen, k)
	}
	if s.halfOpen {
		m.dropHalfOpenLocked(s)
	}
}

// dropHalfOpenLocked stops counting s as half-open. Its IKE_SA_INIT key
// stays registered until the SA goes, so that a late retransmit of the
// IKE_SA_INIT request is recognized (and answered from the cache) rather
// than creating a new SA.
func (m *Manager) dropHalfOpenLocked(s *IKESA) {
	s.halfOpen = false
	m.nHalf--
	if m.perSrc[s.Remote.Addr()]--; m.perSrc[s.Remote.Addr()] <= 0 {
		delete(m.perSrc, s.Remote.Addr())
	}
}

// idKey is what the manager's identity index files an SA under.
type idKey struct{ local, remote string }

// index files s under its current identities (called by its actor when
// the identities in its snapshot change).
func (m *Manager) index(s *IKESA, k idKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unindexLocked(s)
	if m.bySPI[s.LocalSPI()] != s {
		return // gone already
	}
	peers := m.byID[k.local]
	if peers == nil {
		peers = map[string]map[*IKESA]struct{}{}
		m.byID[k.local] = peers
	}
	set := peers[k.remote]
	if set == nil {
		set = map[*IKESA]struct{}{}
		peers[k.remote] = set
	}
	set[s] = struct{}{}
	s.indexedID, s.indexed = k, true
}

func (m *Manager) unindexLocked(s *IKESA) {
	if !s.indexed {
		return
	}
	k := s.indexedID
	if peers := m.byID[k.local]; peers != nil {
		if set := peers[k.remote]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(peers, k.remote)
			}
		}
		if len(peers) == 0 {
			delete(m.byID, k.local)
		}
	}
	s.indexedID, s.indexed = idKey{}, false
}

// snapshotsByID returns the current state of the IKE_SAs between the
// local identity and the remote identities for which match reports true
// (nil: all), in no particular order.
func (m *Manager) snapshotsByID(local string, match func(remote string) bool) []*Snapshot {
	var out []*Snapshot
	m.eachByID(local, match, func(sn *Snapshot) bool {
		out = append(out, sn)
		return true
	})
	return out
}

// eachByID calls f with the state of the IKE_SAs snapshotsByID lists
// until f returns false.
func (m *Manager) eachByID(local string, match func(remote string) bool, f func(*Snapshot) bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for remote, set := range m.byID[local] {
		if match != nil && !match(remote) {
			continue
		}
		for s := range set {
			if sn := s.actor.snap.Load(); sn != nil && sn.LocalID == local && sn.RemoteID == remote {
				if !f(sn) {
					return
				}
			}
		}
	}
}

// established is called by an SA's actor when it leaves the half-open state.
func (m *Manager) established(s *IKESA) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.halfOpen {
		m.dropHalfOpenLocked(s)
	}
}

// Receive dispatches a datagram from the network to its IKE_SA, creating a
// responder SA for a new IKE_SA_INIT request.
func (m *Manager) Receive(pkt Packet) {
	h, err := message.ParseHeader(pkt.Data)
	if err != nil {
		m.logf(log.NET, 1, "received invalid IKE header from %s - ignored: %v", hostPort(pkt.Src), err)
		return
	}
	// the "received packet" line is logged by the IKE_SA's actor, so that
	// it is in the SA's context (and in ipsec up's output) as in charon
	recv := func(s *IKESA) {
		s.logf(log.NET, 1, "received packet: from %s to %s (%d bytes)", hostPort(pkt.Src), hostPort(pkt.Dst), len(pkt.Data))
	}
	noSA := func() {
		m.logf(log.NET, 1, "received packet: from %s to %s (%d bytes)", hostPort(pkt.Src), hostPort(pkt.Dst), len(pkt.Data))
	}
	msg, err := message.Parse(pkt.Data)
	if err != nil {
		noSA()
		m.logf(log.ENC, 1, "could not parse %v message from %s: %v", h.Exchange, hostPort(pkt.Src), err)
		if h.Exchange == message.ExchangeIKESAInit && h.IsRequest() && h.SPIr == 0 {
			m.replyUnencrypted(pkt, h, message.NotifyPayloadFor(err))
		}
		return
	}
	if h.Exchange == message.ExchangeIKESAInit && h.IsRequest() && h.SPIr == 0 && h.IsInitiator() {
		m.mu.RLock()
		s := m.halfOpen[halfOpenKey{h.SPIi, pkt.Src}]
		m.mu.RUnlock()
		if s == nil {
			if h.MessageID != 0 {
				noSA()
				return
			}
			if s = m.newResponder(pkt, msg); s == nil {
				noSA()
				return
			}
		}
		if !s.actor.post(func(s *IKESA) { recv(s); s.handle(pkt, msg) }) {
			// the SA died since the lookup (e.g. after INVALID_KE_PAYLOAD):
			// this is a new attempt
			m.mu.Lock()
			if m.halfOpen[s.initKey] == s {
				delete(m.halfOpen, s.initKey)
			}
			m.mu.Unlock()
			if s = m.newResponder(pkt, msg); s != nil {
				s.actor.post(func(s *IKESA) { recv(s); s.handle(pkt, msg) })
			} else {
				noSA()
			}
		}
		return
	}
	local := h.SPIi
	if h.IsInitiator() {
		local = h.SPIr
	}
	m.mu.RLock()
	s := m.bySPI[local]
	m.mu.RUnlock()
	if s == nil {
		noSA()
		m.logf(log.MGR, 1, "ignoring %v %s %d, no IKE_SA found for SPIs %016x_i %016x_r", h.Exchange,
			map[bool]string{true: "response", false: "request"}[h.IsResponse()], h.MessageID, h.SPIi, h.SPIr)
		return
	}
	if !s.actor.post(func(s *IKESA) { recv(s); s.handle(pkt, msg) }) {
		noSA()
		m.logf(log.MGR, 2, "IKE_SA %016x is going away, packet dropped", local)
	}
}

// newResponder creates the responder IKE_SA for an IKE_SA_INIT request,
// unless cookies or the half-open limits say otherwise.
func (m *Manager) newResponder(pkt Packet, msg *message.Message) *IKESA {
	st := m.env.Settings
	m.mu.RLock()
	nHalf, nSrc := m.nHalf, m.perSrc[pkt.Src.Addr()]
	m.mu.RUnlock()
	if st.InitLimitHalfOpen > 0 && nHalf >= st.InitLimitHalfOpen {
		m.logf(log.IKE, 1, "ignoring IKE_SA setup from %s, half open IKE_SA count of %d exceeds limit of %d",
			pkt.Src.Addr(), nHalf, st.InitLimitHalfOpen)
		return nil
	}
	if (st.CookieThreshold > 0 && nHalf >= st.CookieThreshold) ||
		(st.CookieThresholdIP > 0 && nSrc >= st.CookieThresholdIP) {
		if !m.checkCookie(pkt, msg) {
			return nil
		}
	}
	if st.BlockThreshold > 0 && nSrc >= st.BlockThreshold {
		m.logf(log.IKE, 1, "ignoring IKE_SA setup from %s, per-IP half-open IKE_SA limit of %d reached",
			pkt.Src.Addr(), st.BlockThreshold)
		return nil
	}
	s, err := m.newSA(false)
	if err != nil {
		return nil
	}
	s.SPIi = msg.SPIi
	s.Local, s.Remote = pkt.Dst, pkt.Src
	s.halfOpen = true
	s.initKey = halfOpenKey{s.SPIi, s.Remote}
	m.mu.Lock()
	m.halfOpen[s.initKey] = s
	m.nHalf++
	m.perSrc[s.Remote.Addr()]++
	m.mu.Unlock()
	m.start(s)
	s.actor.post(func(s *IKESA) { s.armHalfOpenTimeout() })
	return s
}

// cookie computes the COOKIE notify data for a request (RFC 7296 section
// 2.6): a secret version and an HMAC over Ni, the initiator's address and
// SPIi.
func (m *Manager) cookie(version uint32, ni []byte, src netip.AddrPort, spii uint64) []byte {
	m.cookieMu.Lock()
	secret := m.cookieSecret
	m.cookieMu.Unlock()
	mac := hmac.New(sha256.New, secret[:])
	mac.Write(ni)
	mac.Write(src.Addr().AsSlice())
	mac.Write(spiBytes(spii))
	out := binary.BigEndian.AppendUint32(nil, version)
	return mac.Sum(out)[:4+16]
}

// checkCookie reports whether the request carries a valid cookie; if not,
// it answers with a COOKIE notify.
func (m *Manager) checkCookie(pkt Packet, msg *message.Message) bool {
	nonce, _ := msg.Payload(message.PayloadNonce).(*message.Nonce)
	if nonce == nil {
		return false
	}
	m.cookieMu.Lock()
	version := m.cookieVersion
	m.cookieMu.Unlock()
	if n := msg.Notify(message.NotifyCookie); n != nil && len(n.Data) == 20 {
		if hmac.Equal(n.Data, m.cookie(binary.BigEndian.Uint32(n.Data), nonce.Data, pkt.Src, msg.SPIi)) &&
			binary.BigEndian.Uint32(n.Data) == version {
			return true
		}
		m.logf(log.IKE, 1, "received invalid cookie from %s", pkt.Src.Addr())
	}
	m.logf(log.IKE, 2, "sending COOKIE notify to %s", hostPort(pkt.Src))
	m.replyUnencrypted(pkt, msg.Header, &message.Notify{NotifyType: message.NotifyCookie,
		Data: m.cookie(version, nonce.Data, pkt.Src, msg.SPIi)})
	return false
}

// replyUnencrypted answers an IKE_SA_INIT request with a single notify
// without creating state.
func (m *Manager) replyUnencrypted(pkt Packet, h message.Header, n *message.Notify) {
	if n == nil {
		return
	}
	resp := &message.Message{Header: message.Header{SPIi: h.SPIi, MajorVersion: 2, Exchange: h.Exchange,
		Flags: message.FlagResponse, MessageID: h.MessageID}, Payloads: []message.Payload{n}}
	m.logf(log.ENC, 1, "generating %s", resp)
	data, err := resp.AppendMarshal(nil)
	if err != nil {
		return
	}
	m.logf(log.NET, 1, "sending packet: from %s to %s (%d bytes)", hostPort(pkt.Dst), hostPort(pkt.Src), len(data))
	m.env.Send(Packet{Src: pkt.Dst, Dst: pkt.Src, Data: data})
}

func (m *Manager) logf(group log.Group, level log.Level, format string, args ...any) {
	if !m.env.Log.Enabled(group, level) {
		return
	}
	m.env.Log.Log(group, level, log.Context{Thread: 1}, format, args...)
}

// hostPort prints an address as charon does: 192.168.0.1[500].
func hostPort(a netip.AddrPort) string { return fmt.Sprintf("%s[%d]", a.Addr(), a.Port()) }

// Snapshots returns the current state of every IKE_SA, newest first (as
// charon lists them).
func (m *Manager) Snapshots() []*Snapshot {
	m.mu.RLock()
	out := make([]*Snapshot, 0, len(m.bySPI))
	for _, s := range m.bySPI {
		if sn := s.actor.snap.Load(); sn != nil {
			out = append(out, sn)
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID > out[j].UniqueID })
	return out
}

// ErrNoConfig is returned for an unknown connection name.
var ErrNoConfig = errors.New("no config named")

// Initiate starts the named connection (ipsec up): it creates an IKE_SA
// with a CHILD_SA for the conn. started, if not nil, gets the new IKE_SA's
// unique ID before anything happens on it (to subscribe to its log). done
// is called once, from the SA's goroutine, when the CHILD_SA is installed
// (nil) or the attempt failed.
func (m *Manager) Initiate(name string, started func(id uint32), done func(err error)) error {
	conf := m.env.Config()
	p, child := conf.Lookup(name)
	if p == nil {
		return fmt.Errorf("%w '%s' found", ErrNoConfig, name)
	}
	if child == nil {
		return fmt.Errorf("no child config named '%s'", name)
	}
	if m.env.Settings.ReuseIKESA {
		// charon.reuse_ikesa: a CHILD_SA for a conn whose IKE_SA is up is
		// created on that IKE_SA
		if s := m.establishedFor(p.Name); s != nil {
			if started != nil {
				started(s.UniqueID)
			}
			if s.actor.post(func(s *IKESA) { s.InitiateChild(child, done) }) {
				return nil
			}
		}
	}
	s, err := m.newSA(true)
	if err != nil {
		return err
	}
	s.Peer = p
	s.keyingTry = 1
	if done != nil {
		s.waiters = append(s.waiters, done)
	}
	s.queueIKEInit(childSpec{config: child})
	if started != nil {
		started(s.UniqueID)
	}
	m.start(s)
	s.actor.post(func(s *IKESA) { s.tm.initiate() })
	return nil
}

// establishedFor returns an established IKE_SA of the named conn we can
// reuse, nil if there is none.
func (m *Manager) establishedFor(name string) *IKESA {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var best *IKESA
	for _, s := range m.bySPI {
		sn := s.actor.snap.Load()
		if sn == nil || sn.Name != name || sn.State != StateEstablished {
			continue
		}
		if best == nil || s.UniqueID > best.UniqueID {
			best = s
		}
	}
	return best
}

// Post runs f on the IKE_SA with the given unique ID; false if not found.
func (m *Manager) Post(id uint32, f func(*IKESA)) bool {
	m.mu.RLock()
	var target *IKESA
	for _, s := range m.bySPI {
		if s.UniqueID == id {
			target = s
			break
		}
	}
	m.mu.RUnlock()
	return target != nil && target.actor.post(f)
}

// Each posts f to every IKE_SA.
func (m *Manager) Each(f func(*IKESA)) {
	m.mu.RLock()
	all := make([]*IKESA, 0, len(m.bySPI))
	for _, s := range m.bySPI {
		all = append(all, s)
	}
	m.mu.RUnlock()
	for _, s := range all {
		s.actor.post(f)
	}
}

// Wait blocks until every IKE_SA goroutine has ended.
func (m *Manager) Wait() { m.wg.Wait() }

// Count returns the number of IKE_SAs.
func (m *Manager) Count() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.bySPI)
}

// peerByAddrs lists the peer configs acceptable for an IKE_SA between
// local and remote, best address match first.
func (m *Manager) peersFor(local, remote netip.Addr) []*cfg.Peer {
	return cfg.MatchAddrs(m.env.Config(), local, remote)
}

// hasPeer reports whether another IKE_SA than self exists between the
// local identity and a remote one matching the configured remote ID (the
// initiator then omits INITIAL_CONTACT).
func (m *Manager) hasPeer(self *IKESA, local identity.ID, remote []*cfg.Auth) bool {
	var match func(string) bool
	if len(remote) > 0 {
		match = func(r string) bool {
			id, err := identity.Parse(r)
			return err == nil && remote[0].ID.Matches(id) > identity.MatchNone
		}
	}
	found := false
	m.eachByID(local.String(), match, func(sn *Snapshot) bool {
		found = sn.UniqueID != self.UniqueID && sn.State == StateEstablished
		return !found
	})
	return found
}

// checkUniqueness enforces config setup's uniqueids= for an IKE_SA the
// peer just authenticated, as charon's check_uniqueness; it runs on s's
// goroutine and reports whether s must be refused instead.
//
//   - never: nothing, not even for INITIAL_CONTACT;
//   - with INITIAL_CONTACT (and no|yes|replace|keep): other IKE_SAs between
//     the same identities are destroyed without a DELETE;
//   - yes, replace: an established duplicate of the same conn is deleted,
//     after 10 s if the peer comes from the same address (probably a
//     reauthentication);
//   - keep: the new IKE_SA is refused if the duplicate's peer is at
//     another address.
func (m *Manager) checkUniqueness(s *IKESA, initialContact bool) bool {
	policy := config.UniqueIDsNo
	if s.Peer != nil {
		policy = s.Peer.UniqueIDs
	}
	if policy == config.UniqueIDsNever || (policy == config.UniqueIDsNo && !initialContact) {
		return false
	}
	local, remote := s.LocalID.String(), s.RemoteID.String()
	cancel := false
	for _, sn := range m.snapshotsByID(local, func(r string) bool { return r == remote }) {
		if sn.UniqueID == s.UniqueID ||
			sn.Remote.Addr().Is4() != s.Remote.Addr().Is4() || sn.State == StateDestroying {
			continue
		}
		if initialContact {
			m.Post(sn.UniqueID, func(o *IKESA) {
				o.logf(log.IKE, 1, "destroying duplicate IKE_SA for peer '%s', received INITIAL_CONTACT", remote)
				o.destroy()
			})
			continue
		}
		if sn.Name != s.Name() || (sn.State != StateEstablished && sn.State != StateRekeying) {
			continue
		}
		sameHost := sn.Remote.Addr() == s.Remote.Addr()
		switch policy {
		case config.UniqueIDsYes, config.UniqueIDsReplace:
			m.Post(sn.UniqueID, func(o *IKESA) {
				if sameHost {
					o.logf(log.IKE, 1, "schedule delete of duplicate IKE_SA for peer '%s' due to uniqueness "+
						"policy and suspected reauthentication", remote)
					o.timers = append(o.timers, o.after(10*time.Second, func(o *IKESA) { o.Delete() }))
					return
				}
				o.logf(log.IKE, 1, "deleting duplicate IKE_SA for peer '%s' due to uniqueness policy", remote)
				o.Delete()
			})
		case config.UniqueIDsKeep:
			if !sameHost {
				// keep the first, delete any other duplicates
				cancel = true
				policy = config.UniqueIDsReplace
			}
		}
	}
	return cancel
}
