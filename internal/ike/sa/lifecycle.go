package sa

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// handle is the actor's entry point for a received datagram. One that
// arrives as the SA goes away is dropped, except a new IKE_SA_INIT
// request (a retry after INVALID_KE_PAYLOAD or COOKIE that found the
// half-open SA still registered): the manager dispatches it again.
func (s *IKESA) handle(pkt Packet, m *message.Message) {
	if s.state == StateDestroying {
		if m.Exchange == message.ExchangeIKESAInit && m.IsRequest() && m.SPIr == 0 && s.finished {
			s.mgr.Receive(pkt)
		}
		return
	}
	s.receive(pkt, m)
}

// childSpec is a CHILD_SA to create: its config and, when it replaces or
// belongs to an existing one (reestablishing, reauthentication, a trap),
// the reqid to keep.
type childSpec struct {
	config *cfg.Child
	reqid  uint32
}

// queueIKEInit queues the tasks that set up a new IKE_SA as initiator,
// with the first CHILD_SA in IKE_AUTH and any others in CREATE_CHILD_SA
// exchanges afterwards.
func (s *IKESA) queueIKEInit(children ...childSpec) {
	s.state = StateCreated
	s.origInitiator = true
	tm := s.tm
	tm.queue(newIKEInit(s, true))
	tm.queue(newNATD(s, true))
	tm.queue(newCertPre(s, true))
	tm.queue(newIKEAuth(s, true))
	tm.queue(newCertPost(s, true))
	tm.queue(newIKEConfig(s, true))
	for _, f := range s.mgr.factories {
		for _, t := range f(s, true, message.ExchangeIKEAuth) {
			tm.queue(t)
		}
	}
	tm.queue(&authLifetime{s: s, initiator: true})
	for _, c := range children {
		if c.config == nil {
			continue
		}
		t := newChildCreate(s, true, c.config)
		t.useReqID = c.reqid
		tm.queue(t)
	}
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
			newIKEAuth(s, false), newCertPost(s, false), newIKEConfig(s, false)}
		for _, f := range s.mgr.factories {
			ts = append(ts, f(s, false, m.Exchange)...)
		}
		// after the config task, to learn about assigned virtual IPs
		ts = append(ts, &authLifetime{s: s}, newChildCreate(s, false, nil))
	case message.ExchangeIKEAuth:
		s.logf(log.IKE, 1, "received IKE_AUTH request without a pending IKE_SA_INIT, ignored")
		return nil
	case message.ExchangeCreateChildSA:
		if s.state == StateCreated || s.state == StateConnecting {
			s.logf(log.IKE, 1, "received CREATE_CHILD_SA request for unestablished IKE_SA, rejected")
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

// peerNotResponding handles a request that exhausted its retransmits, as
// charon's ike_sa retransmit: keyingtries for a new IKE_SA, else the
// IKE_SA is replaced as its CHILD_SAs' dpdaction says.
func (s *IKESA) peerNotResponding() {
	switch s.state {
	case StateCreated, StateConnecting:
		if s.Initiator && s.Peer != nil && (s.Peer.KeyingTries == 0 || s.keyingTry < s.Peer.KeyingTries) {
			s.logf(log.IKE, 1, "peer not responding, trying again (%d/%d)", s.keyingTry+1, s.Peer.KeyingTries)
			s.retryInitiate()
			return
		}
		s.logf(log.IKE, 1, "establishing IKE_SA failed, peer not responding")
		s.notifyWaiters(errors.New("peer not responding"))
	case StateDeleting:
		s.logf(log.IKE, 1, "proper IKE_SA delete failed, peer not responding")
		if s.reauthenticating && !s.env.Settings.MakeBeforeBreak {
			s.logf(log.IKE, 1, "delete during reauthentication failed, trying to reestablish IKE_SA anyway")
			s.reestablish()
		}
	case StateRekeying:
		s.logf(log.IKE, 1, "rekeying IKE_SA failed, peer not responding")
		s.reestablish()
	default:
		s.reestablish()
	}
	s.destroy()
}

// retryInitiate starts the next keying try of the connection: a fresh
// IKE_SA with the same unique ID (so that `ipsec up` keeps following it)
// and the same CHILD_SAs and waiters.
func (s *IKESA) retryInitiate() {
	mgr := s.mgr
	n, err := mgr.newSA(true)
	if err != nil {
		s.destroy()
		return
	}
	n.UniqueID = s.UniqueID
	n.Peer, n.keyingTry = s.Peer, s.keyingTry+1
	n.waiters, s.waiters = s.waiters, nil
	n.queueIKEInit(s.pendingChildren()...)
	mgr.unregister(s)
	mgr.start(n)
	n.actor.post(func(n *IKESA) { n.tm.initiate() })
	s.destroy()
}

// pendingChildren lists the CHILD_SAs our active and queued child creating
// tasks would establish.
func (s *IKESA) pendingChildren() []childSpec {
	var out []childSpec
	add := func(t Task) {
		if c, ok := t.(*childCreate); ok && c.initiator && c.config != nil && c.rekeys == nil {
			out = append(out, childSpec{config: c.config, reqid: c.useReqID})
		}
	}
	for _, t := range s.tm.active {
		add(t)
	}
	for _, q := range s.tm.queued {
		add(q.task)
	}
	return out
}

// reestablish replaces the IKE_SA, as charon's ike_sa reestablish: when
// reauthenticating, all CHILD_SAs are recreated on a new IKE_SA;
// otherwise (the peer is dead or deleted the IKE_SA) each CHILD_SA's
// dpdaction, or closeaction when the peer deleted the IKE_SA, decides:
// restart recreates it, hold installs a trap policy. It reports whether a
// new IKE_SA was started. The CHILD_SAs are removed from the kernel first,
// so that the new ones never overlap the old ones.
func (s *IKESA) reestablish() bool {
	if s.tm.hasQueued(TaskIKEDelete) {
		// explicitly deleted meanwhile
		return false
	}
	var specs, traps []childSpec
	restart := false
	if s.reauthenticating {
		if len(s.Children) == 0 {
			s.logf(log.IKE, 1, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
		} else {
			restart = true
		}
	}
	for _, c := range s.Children {
		if c.State == ChildRekeyed || c.State == ChildDeleted || c.Config == nil {
			continue
		}
		action := config.ActionRestart
		switch {
		case s.reauthenticating:
		case s.state == StateDeleting:
			action = c.Config.CloseAction
		default:
			action = c.Config.DPDAction
		}
		if c.noCloseAction {
			action = config.ActionNone
		}
		switch action {
		case config.ActionHold:
			if !s.reauthenticating {
				traps = append(traps, childSpec{config: c.Config, reqid: c.ReqID})
			}
		case config.ActionRestart:
			if !s.reauthenticating {
				restart = true
			}
			specs = append(specs, childSpec{config: c.Config, reqid: c.ReqID})
		}
	}
	pending := s.pendingChildren()
	if !restart && !s.reauthenticating {
		restart = len(pending) > 0
	}
	if len(traps) > 0 || restart {
		// out with the old before anything new is installed
		for _, c := range s.Children {
			s.uninstallChild(c, c.State != ChildRekeyed)
		}
		s.Children = nil
	}
	for _, c := range traps {
		if err := s.mgr.installTrap(s.Peer, c.config, c.reqid); err != nil {
			s.logf(log.CFG, 1, "%v", err)
		}
	}
	if !restart || s.Peer == nil {
		return false
	}
	if !s.origInitiator && !s.canReauthenticate() {
		s.logf(log.IKE, 1, "unable to reestablish IKE_SA due to asymmetric setup")
		return false
	}
	n, err := s.mgr.newSA(true)
	if err != nil {
		return false
	}
	n.Peer, n.keyingTry = s.Peer, 1
	if !s.reauthenticating {
		// resolve the hosts again, the old addresses serve as fallback
		if err := n.resolveEndpoints(); err != nil {
			n.Local, n.Remote = netip.AddrPort{}, netip.AddrPort{}
		}
	}
	if !n.Local.IsValid() || !n.Remote.IsValid() {
		n.Local, n.Remote = s.Local, s.Remote
	}
	for _, c := range specs {
		s.logf(log.IKE, 1, "restarting CHILD_SA %s", c.config.Name)
	}
	// if we have virtual IPs, the new IKE_SA asks for them again (the
	// host keeps them meanwhile: the backend counts the references)
	for _, v := range s.MyVIPs {
		n.addMyVIP(v)
	}
	n.queueIKEInit(append(specs, pending...)...)
	if len(pending) > 0 {
		n.waiters, s.waiters = s.waiters, nil
	}
	s.mgr.start(n)
	n.actor.post(func(n *IKESA) { n.tm.initiate() })
	return true
}

// destroy marks the SA for removal; the actor then calls finish.
func (s *IKESA) destroy() {
	if s.state == StateDestroying {
		return
	}
	switch s.state {
	case StateEstablished, StateRekeying, StateDeleting, StatePassive:
		if !s.noDownEvent {
			s.env.Bus.ikeUpDown(s, false)
		}
	}
	s.setState(StateDestroying)
}

// finish releases everything the SA holds; it runs on the actor after the
// SA was destroyed.
func (s *IKESA) finish(pending []func(*IKESA)) {
	for _, l := range [][]Task{s.tm.active, s.tm.passive} {
		for _, t := range l {
			switch t := t.(type) {
			case *ikeRekey:
				t.discardPending()
			case *childRekey:
				if t.create != nil {
					t.create.releaseSPI()
				}
			case *childCreate:
				t.releaseSPI()
			}
		}
	}
	s.tm.flush()
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	for _, t := range []clock.Timer{s.rekeyTimer, s.reauthTimer, s.expireTimer} {
		if t != nil {
			t.Stop()
		}
	}
	// attributes first (handlers see the IKE_SA), then the CHILD_SAs,
	// then the virtual IPs their routes use
	s.releaseAttributes()
	for _, c := range s.Children {
		s.uninstallChild(c, c.State != ChildRekeyed)
	}
	s.Children = nil
	s.clearMyVIPs()
	s.releasePeerVIPs()
	s.mgr.unregister(s)
	// what was posted meanwhile runs on the destroyed SA (its waiters and
	// OnDestroy callbacks must hear about it)
	s.finished = true
	for _, f := range pending {
		f(s)
	}
	s.notifyWaiters(errors.New("IKE_SA deleted"))
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
	if len(ws) > 0 && s.running {
		// those told see the state they are told about (ipsec up of a
		// second conn right after the first reuses its IKE_SA)
		s.actor.snap.Store(s.snapshot())
	}
	for _, w := range ws {
		w(err)
	}
}

// armHalfOpenTimeout closes a responder SA that does not complete
// IKE_AUTH in time (charon.half_open_timeout).
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
	// AUTH was the last use of the IKE_SA_INIT messages
	s.InitRequest, s.InitResponse = nil, nil
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

// retryInterval is when charon retries a rekeying or reauthentication
// that failed temporarily: 15 s minus up to 10 s of jitter (RETRY_INTERVAL
// and RETRY_JITTER).
func retryInterval() time.Duration {
	return time.Duration(15-rand.IntN(10)) * time.Second
}

func seconds(d time.Duration) int { return int((d + time.Second/2) / time.Second) }

// scheduleIKELifetimes sets the rekey and reauth timers and the hard
// expiry of a newly established IKE_SA, as charon's set_state does: the
// IKE_SA is deleted over_time after the earlier of rekey and reauth time.
func (s *IKESA) scheduleIKELifetimes() {
	p := s.Peer
	if p == nil {
		return
	}
	now := s.env.Clock.Now()
	if p.RekeyTime > 0 {
		t := jitter(p.RekeyTime, p.Jitter)
		s.RekeyAt = now.Add(t)
		s.logf(log.IKE, 1, "scheduling rekeying in %ds", seconds(t))
		s.setTimer(&s.rekeyTimer, t, func(s *IKESA) { s.rekeyJob() })
	}
	if p.ReauthTime > 0 {
		t := jitter(p.ReauthTime, p.Jitter)
		if s.ReauthAt.IsZero() || s.ReauthAt.After(now.Add(t)) {
			s.ReauthAt = now.Add(t)
			s.logf(log.IKE, 1, "scheduling reauthentication in %ds", seconds(t))
			s.setTimer(&s.reauthTimer, t, func(s *IKESA) { s.reauthJob() })
		} else {
			s.logf(log.IKE, 1, "reauthentication already scheduled in %ds", seconds(s.ReauthAt.Sub(now)))
		}
	}
	var del time.Time
	switch {
	case s.RekeyAt.IsZero() && s.ReauthAt.IsZero():
		return
	case s.ReauthAt.IsZero():
		del = s.RekeyAt
	case s.RekeyAt.IsZero():
		del = s.ReauthAt
	default:
		del = s.RekeyAt
		if s.ReauthAt.Before(del) {
			del = s.ReauthAt
		}
	}
	s.setExpire(del.Add(p.OverTime))
	s.logf(log.IKE, 1, "maximum IKE_SA lifetime %ds", seconds(s.ExpireAt.Sub(now)))
}

// setTimer (re)arms one of the SA's named timers.
func (s *IKESA) setTimer(t *clock.Timer, d time.Duration, f func(*IKESA)) {
	if *t != nil {
		(*t).Stop()
	}
	*t = s.after(max(d, 0), f)
}

// setExpire (re)schedules the hard end of the IKE_SA: it is deleted then,
// as charon's delete_ike_sa_job does.
func (s *IKESA) setExpire(at time.Time) {
	s.ExpireAt = at
	s.setTimer(&s.expireTimer, at.Sub(s.env.Clock.Now()), func(s *IKESA) { s.Delete() })
}

// inheritReauth keeps the reauthentication time of the IKE_SA that old
// rekeyed (charon's inherit_post): the lifetime of the new IKE_SA ends
// over_time after it.
func (s *IKESA) inheritReauth(reauthAt time.Time) {
	if reauthAt.IsZero() || s.Peer == nil {
		return
	}
	now := s.env.Clock.Now()
	s.ReauthAt = reauthAt
	reauth := max(reauthAt.Sub(now), 0)
	del := reauth + s.Peer.OverTime
	s.logf(log.IKE, 1, "rescheduling reauthentication in %ds after rekeying, lifetime reduced to %ds",
		seconds(reauth), seconds(del))
	s.setTimer(&s.reauthTimer, reauth, func(s *IKESA) { s.reauthJob() })
	s.setExpire(now.Add(del))
}

// setAuthLifetime applies a received AUTH_LIFETIME (RFC 4478) as charon's
// set_auth_lifetime: reauthenticate over_time before the peer's deadline
// (at once if that is already too late); the IKE_SA ends at the deadline,
// but not sooner than in 10 s.
func (s *IKESA) setAuthLifetime(lifetime uint32) {
	now := s.env.Clock.Now()
	var diff time.Duration
	if s.Peer != nil {
		diff = s.Peer.OverTime
	}
	life := time.Duration(lifetime) * time.Second
	hard := now.Add(life)
	soft := hard.Add(-diff)
	switch {
	case life < diff:
		s.ReauthAt = now
		s.logf(log.IKE, 1, "received AUTH_LIFETIME of %ds, starting reauthentication", lifetime)
		s.setTimer(&s.reauthTimer, 0, func(s *IKESA) { s.reauthJob() })
	case s.ReauthAt.IsZero() || s.ReauthAt.After(soft):
		s.ReauthAt = soft
		s.logf(log.IKE, 1, "received AUTH_LIFETIME of %ds, scheduling reauthentication in %ds", lifetime, seconds(life-diff))
		s.setTimer(&s.reauthTimer, life-diff, func(s *IKESA) { s.reauthJob() })
	default:
		s.logf(log.IKE, 1, "received AUTH_LIFETIME of %ds, reauthentication already scheduled in %ds", lifetime,
			seconds(s.ReauthAt.Sub(now)))
	}
	if min10 := now.Add(10 * time.Second); hard.Before(min10) {
		hard = min10
	}
	s.setExpire(hard)
}

// rekeyJob is the IKE rekey timer's action (charon's rekey_ike_sa_job).
func (s *IKESA) rekeyJob() { s.Rekey() }

// reauthJob is the reauthentication timer's action: it is delayed while
// the IKE_SA or one of its CHILD_SAs is busy (charon's
// rekey_ike_sa_job with reauth).
func (s *IKESA) reauthJob() {
	var retry time.Duration
	if s.state != StateEstablished {
		retry = retryInterval()
		s.logf(log.IKE, 1, "unable to reauthenticate in %v state, delaying for %ds", s.state, seconds(retry))
	} else {
		for _, c := range s.Children {
			if c.State != ChildInstalled && c.State != ChildRekeyed {
				retry = retryInterval()
				s.logf(log.IKE, 1, "unable to reauthenticate in CHILD_SA %v state, delaying for %ds", c.State, seconds(retry))
				break
			}
		}
	}
	if retry > 0 {
		s.setTimer(&s.reauthTimer, retry, func(s *IKESA) { s.reauthJob() })
		return
	}
	s.startReauth()
}

// formatDelta prints a time span as charon's %V: "30 seconds", "5
// minutes", "3 hours", "4 days".
func formatDelta(d time.Duration) string {
	n := int64(max(d, -d) / time.Second)
	unit := "second"
	switch {
	case n > 2*60*60*24:
		n, unit = n/(60*60*24), "day"
	case n > 2*60*60:
		n, unit = n/(60*60), "hour"
	case n > 2*60:
		n, unit = n/60, "minute"
	}
	if n != 1 {
		unit += "s"
	}
	return strconv.FormatInt(n, 10) + " " + unit
}
