package sa

import (
	"encoding/binary"
	"time"

	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// Reauthenticate starts the reauthentication of the IKE_SA now (ipsec
// stroke rekey with reauth; the reauth timer also ends here).
func (s *IKESA) Reauthenticate() { s.startReauth() }

// startReauth reauthenticates the IKE_SA as charon's ike_sa reauth: a
// responder that assigned virtual IPs or authenticated the peer with EAP
// cannot, it waits for the initiator (AUTH_LIFETIME told it when) until
// the IKE_SA expires. Otherwise the IKE_SA is replaced with a new one
// with the same CHILD_SAs: break-before-make by default (the old IKE_SA is
// deleted first, charon 5.9's default), make-before-break with
// charon.make_before_break.
func (s *IKESA) startReauth() {
	if s.state == StatePassive || s.state == StateDestroying || s.reauthenticating {
		return
	}
	if !s.origInitiator && !s.canReauthenticate() {
		s.logf(log.IKE, 1, "initiator did not reauthenticate as requested, IKE_SA %s will timeout in %s",
			s.label(), formatDelta(s.ExpireAt.Sub(s.env.Clock.Now())))
		return
	}
	s.logf(log.IKE, 0, "reauthenticating IKE_SA %s", s.label())
	s.reauthenticating = true
	if s.env.Settings.MakeBeforeBreak {
		s.mbbReauth()
		return
	}
	s.tm.queue(&ikeReauth{s: s, del: &ikeDelete{s: s, initiator: true}})
	s.tm.initiate()
}

// ikeReauth is break-before-make reauthentication: the IKE_SA is deleted,
// then reestablished with all its CHILD_SAs (charon's ike_reauth).
type ikeReauth struct {
	s   *IKESA
	del *ikeDelete
}

func (t *ikeReauth) Type() TaskType { return TaskIKEReauth }

func (t *ikeReauth) Build(m *message.Message) Status { return t.del.Build(m) }

func (t *ikeReauth) Process(m *message.Message) Status {
	s := t.s
	s.logf(log.IKE, 0, "IKE_SA deleted")
	if !s.reestablish() {
		s.logf(log.IKE, 1, "reauthenticating IKE_SA failed")
	}
	s.destroy()
	return Success
}

// mbbReauth is make-before-break reauthentication (charon's
// trigger_mbb_reauth): a new IKE_SA with the same CHILD_SAs (and reqids)
// is established; only when all of them are up its IKE_REAUTH_COMPLETE
// task deletes the old IKE_SA.
func (s *IKESA) mbbReauth() {
	var specs []childSpec
	for _, c := range s.Children {
		if c.State == ChildRekeyed || c.State == ChildDeleted || c.Config == nil {
			continue
		}
		specs = append(specs, childSpec{config: c.Config, reqid: c.ReqID})
	}
	n, err := s.mgr.newSA(true)
	if err != nil {
		return
	}
	n.Peer, n.keyingTry = s.Peer, 1
	n.Local, n.Remote = s.Local, s.Remote
	n.queueIKEInit(specs...)
	// child creating tasks queued here move to the new IKE_SA
	before := len(n.tm.queued)
	n.tm.adoptTasks(s.tm, func(t Task) bool {
		c, ok := t.(*childCreate)
		return ok && c.rekeys == nil
	})
	if len(specs) == 0 && len(n.tm.queued) == before {
		s.logf(log.IKE, 1, "unable to reauthenticate IKE_SA, no CHILD_SA to recreate")
		s.reauthenticating = false
		return
	}
	n.tm.queue(&reauthComplete{s: n, old: s.UniqueID})
	s.mgr.start(n)
	n.actor.post(func(n *IKESA) { n.tm.initiate() })
}

// reauthComplete runs on the IKE_SA that replaced another in a
// make-before-break reauthentication, after its CHILD_SAs are
// established: it deletes the old IKE_SA and sends nothing itself.
type reauthComplete struct {
	s   *IKESA
	old uint32
}

func (t *reauthComplete) Type() TaskType { return TaskIKEReauthComplete }

func (t *reauthComplete) Build(m *message.Message) Status {
	m.Exchange = 0
	t.s.mgr.Post(t.old, func(o *IKESA) { o.Delete() })
	return Success
}

func (t *reauthComplete) Process(*message.Message) Status { return Success }

func (t *reauthComplete) migrate(n *IKESA) { t.s = n }

// authLifetime is RFC 4478's AUTH_LIFETIME (charon's ike_auth_lifetime):
// a responder that cannot reauthenticate itself tells the initiator in
// IKE_AUTH how long it accepts the authentication; the initiator
// schedules its reauthentication accordingly. It is also accepted in an
// INFORMATIONAL exchange.
type authLifetime struct {
	s         *IKESA
	initiator bool
}

func (t *authLifetime) Type() TaskType { return TaskIKEAuthLifetime }

// add appends our remaining authentication lifetime, if we have one.
func (t *authLifetime) add(m *message.Message) {
	s := t.s
	if s.ReauthAt.IsZero() {
		return
	}
	left := max(s.ReauthAt.Sub(s.env.Clock.Now()), 0)
	m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyAuthLifetime,
		Data: binary.BigEndian.AppendUint32(nil, uint32(left/time.Second))})
}

// read applies a received AUTH_LIFETIME.
func (t *authLifetime) read(m *message.Message) {
	if n := m.Notify(message.NotifyAuthLifetime); n != nil && len(n.Data) == 4 {
		t.s.setAuthLifetime(binary.BigEndian.Uint32(n.Data))
	}
}

func (t *authLifetime) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		if m.Exchange == message.ExchangeInformational {
			t.add(m)
			return Success
		}
		return NeedMore
	}
	if m.Exchange == message.ExchangeIKEAuth && s.authDone && s.state == StateEstablished {
		if !s.canReauthenticate() {
			t.add(m)
		}
		return Success
	}
	return NeedMore
}

func (t *authLifetime) Process(m *message.Message) Status {
	s := t.s
	if !t.initiator {
		if m.Exchange == message.ExchangeInformational {
			t.read(m)
			return Success
		}
		return NeedMore
	}
	if m.Exchange == message.ExchangeIKEAuth && s.authDone {
		t.read(m)
		return Success
	}
	return NeedMore
}
