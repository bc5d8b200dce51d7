package sa

import (
	"errors"
	"github.com/goswan/goswan/internal/log"
	"math/rand/v2"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/message"
)

// handle is the actor's entry point for a received datagram.
func (s *IKESA) handle(pkt Packet, m *message.Message) {
	if s.state == StateDestroying {
		return
	}
	s.receive(pkt, m)
}

// queueIKEInit queues the tasks that set up a new IKE_SA with a first
// CHILD_SA as initiator.
func (s *IKESA) queueIKEInit(child *cfg.Child) error {
	s.state = StateCreated
	tm := s.tm
	tm.queue(newIKEInit(s, true))
	tm.queue(newNATD(s, true))
	tm.queue(newCertPre(s, true))
	tm.queue(newIKEAuth(s, true))
	tm.queue(newCertPost(s, true))
	for _, f := range s.mgr.factories {
		for _, t := range f(s, true, message.ExchangeIKEAuth) {
			tm.queue(t)
		}
	}
	if child != nil {
		tm.queue(newChildCreate(s, true, child))
	}
	return nil
}

// responderTasks creates the tasks that answer a new request.
func (s *IKESA) responderTasks(m *message.Message) []Task {
	var ts []Task
	switch m.Exchange {
	case message.ExchangeIKESAInit:
		if s.state != StateCreated {
			return nil
		}
		ts = []Task{newIKEInit(s, false), newNATD(s, false), newCertPre(s, false),
			newIKEAuth(s, false), newCertPost(s, false)}
		for _, f := range s.mgr.factories {
			ts = append(ts, f(s, false, m.Exchange)...)
		}
		ts = append(ts, newChildCreate(s, false, nil))
	case message.ExchangeIKEAuth:
		s.logf(log.IKE, 1, "received IKE_AUTH request without a pending IKE_SA_INIT, ignored")
		return nil
	case message.ExchangeCreateChildSA:
		if s.state != StateEstablished && s.state != StateRekeying {
			ts = []Task{&refuseChild{s: s}}
			break
		}
		ts = s.createChildTasks(m)
	case message.ExchangeInformational:
		ts = s.informationalTasks(m)
	default:
		s.logf(log.IKE, 1, "received unsupported %v request, ignored", m.Exchange)
		return nil
	}
	return ts
}

// failed closes the IKE_SA after a fatal error.
func (s *IKESA) failed(reason string) {
	if s.state == StateDestroying {
		return
	}
	if reason != "" {
		s.logf(log.IKE, 2, "%s", reason)
	}
	if s.state == StateCreated || s.state == StateConnecting {
		s.notifyWaiters(errors.New("establishing IKE_SA failed"))
	}
	s.destroy()
}

// peerNotResponding handles a request that exhausted its retransmits:
// keyingtries for a new SA, dpdaction for an established one.
func (s *IKESA) peerNotResponding() {
	switch s.state {
	case StateCreated, StateConnecting:
		s.logf(log.IKE, 1, "establishing IKE_SA failed, peer not responding")
		if s.Initiator && s.Peer != nil && (s.Peer.KeyingTries == 0 || s.keyingTry < s.Peer.KeyingTries) {
			s.retryInitiate()
			return
		}
		s.notifyWaiters(errors.New("peer not responding"))
	default:
		if s.Peer != nil && s.Peer.DPDAction == config.ActionRestart {
			s.logf(log.IKE, 1, "restarting CHILD_SA %s", s.Name())
			s.restartAfterClose()
		}
	}
	s.destroy()
}

// retryInitiate re-initiates the same connection with a fresh IKE_SA
// (keyingtries).
func (s *IKESA) retryInitiate() {
	try := s.keyingTry + 1
	if s.Peer.KeyingTries == 0 {
		s.logf(log.IKE, 1, "peer not responding, trying again (%d/%s)", try, "%forever")
	} else {
		s.logf(log.IKE, 1, "peer not responding, trying again (%d/%d)", try, s.Peer.KeyingTries)
	}
	waiters := s.waiters
	s.waiters = nil
	mgr, peer := s.mgr, s.Peer
	child := firstChild(peer)
	n, err := mgr.newSA(true)
	if err == nil {
		n.Peer, n.keyingTry, n.waiters = peer, try, waiters
		n.queueIKEInit(child)
		mgr.start(n)
		n.actor.post(func(n *IKESA) { n.tm.initiate() })
	}
	s.destroy()
}

func firstChild(p *cfg.Peer) *cfg.Child {
	if p == nil || len(p.Children) == 0 {
		return nil
	}
	return p.Children[0]
}

// restartAfterClose re-initiates the IKE_SA's connection (dpdaction or
// closeaction restart).
func (s *IKESA) restartAfterClose() {
	if s.Peer == nil {
		return
	}
	mgr, peer := s.mgr, s.Peer
	n, err := mgr.newSA(true)
	if err != nil {
		return
	}
	n.Peer, n.keyingTry = peer, 1
	n.queueIKEInit(firstChild(peer))
	mgr.start(n)
	n.actor.post(func(n *IKESA) { n.tm.initiate() })
}

// destroy marks the SA for removal; the actor then calls finish.
func (s *IKESA) destroy() {
	if s.state == StateDestroying {
		return
	}
	if s.state == StateEstablished || s.state == StateRekeying || s.state == StateDeleting || s.state == StatePassive {
		s.env.Bus.ikeUpDown(s, false)
	}
	s.setState(StateDestroying)
}

// finish releases everything the SA holds; it runs on the actor after the
// SA was destroyed.
func (s *IKESA) finish(pending []func(*IKESA)) {
	s.tm.flush()
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	for _, c := range s.Children {
		s.uninstallChild(c)
	}
	s.Children = nil
	s.notifyWaiters(errors.New("IKE_SA deleted"))
	s.mgr.unregister(s)
	for _, f := range s.onDestroy {
		f()
	}
}

// OnDestroy registers f to run when the IKE_SA is gone (ipsec down waits
// for it).
func (s *IKESA) OnDestroy(f func()) { s.onDestroy = append(s.onDestroy, f) }

func (s *IKESA) notifyWaiters(err error) {
	ws := s.waiters
	s.waiters = nil
	for _, w := range ws {
		w(err)
	}
}

// armHalfOpenTimeout closes a responder SA that does not complete
// IKE_AUTH in time.
func (s *IKESA) armHalfOpenTimeout() {
	d := s.env.Settings.HalfOpenTimeout
	if d <= 0 {
		return
	}
	s.timers = append(s.timers, s.after(d, func(s *IKESA) {
		if s.state == StateCreated || s.state == StateConnecting {
			s.logf(log.JOB, 1, "deleting half open IKE_SA with %s after timeout", s.Remote.Addr())
			s.destroy()
		}
	}))
}

// establish is called when the last authentication round succeeded: it
// logs charon's line, schedules rekeying/reauthentication and tells the
// manager the SA is no longer half-open.
func (s *IKESA) establish() {
	s.setState(StateEstablished)
	s.Established = s.env.Clock.Now()
	s.logf(log.IKE, 0, "IKE_SA %s established between %s[%s]...%s[%s]", s.label(),
		s.Local.Addr(), s.LocalID, s.Remote.Addr(), s.RemoteID)
	s.mgr.established(s)
	s.scheduleIKELifetimes()
	s.scheduleDPD()
	s.env.Bus.ikeUpDown(s, true)
}

// jitter returns d minus a random part of up to j (charon's rekeyfuzz).
func jitter(d, j time.Duration) time.Duration {
	if j > 0 {
		d -= time.Duration(rand.Int64N(int64(j) + 1))
	}
	return d
}

// scheduleIKELifetimes sets the rekey or reauth timer and the hard
// expiry of an established IKE_SA.
func (s *IKESA) scheduleIKELifetimes() {
	p := s.Peer
	if p == nil {
		return
	}
	now := s.env.Clock.Now()
	if p.RekeyTime > 0 {
		t := jitter(p.RekeyTime, p.Jitter)
		s.RekeyAt = now.Add(t)
		s.logf(log.IKE, 1, "scheduling rekeying in %ds", int(t.Seconds()))
		s.timers = append(s.timers, s.after(t, func(s *IKESA) { s.startIKERekey() }))
		if p.OverTime > 0 {
			s.ExpireAt = s.RekeyAt.Add(p.OverTime)
		}
	}
	if p.ReauthTime > 0 {
		t := jitter(p.ReauthTime, p.Jitter)
		s.ReauthAt = now.Add(t)
		s.logf(log.IKE, 1, "scheduling reauthentication in %ds", int(t.Seconds()))
		s.timers = append(s.timers, s.after(t, func(s *IKESA) { s.startReauth() }))
		if p.OverTime > 0 {
			s.ExpireAt = s.ReauthAt.Add(p.OverTime)
		}
	}
	if !s.ExpireAt.IsZero() {
		s.logf(log.IKE, 1, "maximum IKE_SA lifetime %ds", int(s.ExpireAt.Sub(now).Seconds()))
		s.timers = append(s.timers, s.after(s.ExpireAt.Sub(now), func(s *IKESA) {
			s.logf(log.IKE, 1, "IKE_SA %s has reached its maximum lifetime, deleting", s.label())
			s.Delete()
		}))
	}
}
