package sa

import (
	"bytes"
	"fmt"
	"time"

	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// lowerNonce returns the lower of the two nonces of an exchange (RFC 7296
// section 2.8.1 compares the lowest nonces of colliding exchanges).
func lowerNonce(a, b []byte) []byte {
	if compareNonces(a, b) < 0 {
		return a
	}
	return b
}

// compareNonces compares two nonces over the length of the shorter one,
// as charon does.
func compareNonces(a, b []byte) int {
	n := min(len(a), len(b))
	return bytes.Compare(a[:n], b[:n])
}

// childRekey rekeys a CHILD_SA (RFC 7296 sections 1.3.3 and 2.8), as
// charon's child_rekey: a new CHILD_SA with the same config and reqid is
// created with a REKEY_SA notify, then the initiator deletes the old one
// in an INFORMATIONAL exchange of the same task.
//
// Collisions (section 2.8.1) are resolved here: when both peers rekey the
// same CHILD_SA, both exchanges complete and the CHILD_SA created with
// the lowest of the four nonces is redundant; its creator (the initiator
// of that exchange) deletes it, the other peer deletes the old CHILD_SA.
// When the peer deletes the CHILD_SA we rekey, our rekeying fails (the
// peer answers TEMPORARY_FAILURE) or we delete the new one.
type childRekey struct {
	s         *IKESA
	initiator bool
	old       *ChildSA
	create    *childCreate
	// del is the second phase of the initiator: deleting the old (or the
	// redundant) CHILD_SA
	del *childDelete
	// collision is the peer's colliding passive task (*childRekey or
	// *childDelete)
	collision Task
	// otherChildDestroyed: the peer already deleted the redundant CHILD_SA
	// of a collision we won
	otherChildDestroyed bool
}

func newChildRekey(s *IKESA, initiator bool, old *ChildSA) *childRekey {
	t := &childRekey{s: s, initiator: initiator, old: old}
	if !initiator {
		t.create = newChildCreate(s, false, nil)
	}
	return t
}

func (t *childRekey) Type() TaskType { return TaskChildRekey }

func (t *childRekey) migrate(n *IKESA) {
	*t = childRekey{s: n, initiator: t.initiator, old: t.old}
}

// RekeyChild queues the rekeying of a CHILD_SA.
func (s *IKESA) RekeyChild(c *ChildSA) {
	if c == nil || c.State != ChildInstalled || s.Child(c.UniqueID) == nil {
		return
	}
	s.tm.queue(newChildRekey(s, true, c))
	s.tm.initiate()
}

// scheduleRetry rekeys the CHILD_SA again later (charon's
// schedule_delayed_rekey).
func (t *childRekey) scheduleRetry() {
	s := t.s
	d := retryInterval()
	s.logf(log.IKE, 1, "CHILD_SA rekeying failed, trying again in %d seconds", seconds(d))
	t.old.State = ChildInstalled
	s.mgr.afterChild(d, t.old.Proto, t.old.SPIIn, t.old.LocalAddr.Addr(), "rekey", func(s *IKESA, c *ChildSA) {
		s.RekeyChild(c)
	})
}

func (t *childRekey) Build(m *message.Message) Status {
	if !t.initiator {
		return t.buildResponse(m)
	}
	s := t.s
	if t.del != nil {
		m.Exchange = message.ExchangeInformational
		return t.del.Build(m)
	}
	c := t.old
	if s.Child(c.UniqueID) == nil || (t.create == nil && c.State != ChildInstalled) ||
		(t.create != nil && c.State != ChildRekeying) {
		m.Exchange = 0 // the CHILD_SA is gone or in the wrong state
		return Success
	}
	if t.create == nil {
		t.create = newChildCreate(s, true, c.Config)
		t.create.rekeys = c
		if c.Proposal != nil {
			// reuse the key exchange method negotiated before
			if ke, ok := c.Proposal.Get(crypto.TransformKE); ok && ke.ID != 0 {
				t.create.keMethod = ke.ID
			}
		}
	}
	if t.create.Build(m) != NeedMore {
		t.scheduleRetry()
		m.Exchange = 0
		return Success
	}
	c.State = ChildRekeying
	return NeedMore
}

func (t *childRekey) buildResponse(m *message.Message) Status {
	s := t.s
	if t.old == nil {
		s.logf(log.IKE, 1, "unable to rekey, CHILD_SA not found")
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyChildSANotFound})
		return Success
	}
	if t.old.State == ChildDeleting {
		s.logf(log.IKE, 1, "unable to rekey, we are deleting the CHILD_SA")
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyTemporaryFailure})
		return Success
	}
	t.create.rekeys = t.old
	t.create.config = t.old.Config
	t.create.Build(m)
	if t.create.child == nil || t.create.child.State != ChildInstalled {
		return Success // rekeying failed, the old CHILD_SA stays
	}
	t.old.State = ChildRekeyed
	s.env.Bus.childRekey(s, t.old, t.create.child)
	return Success
}

func (t *childRekey) Process(m *message.Message) Status {
	s := t.s
	if !t.initiator {
		t.create.Process(m)
		if n := m.Notify(message.NotifyRekeySA); n != nil {
			if spi, ok := n.SPI32(); ok && (n.Protocol == message.ProtoESP || n.Protocol == message.ProtoAH) {
				if c := s.childBySPI(protoFromWire(n.Protocol), spi, false); c != nil && c.State != ChildDeleted {
					t.old = c
				}
			}
		}
		return NeedMore
	}
	if t.del != nil {
		return t.del.Process(m)
	}
	if m.Notify(message.NotifyNoAdditionalSAs) != nil {
		s.logf(log.IKE, 1, "peer seems to not support CHILD_SA rekeying, starting reauthentication")
		t.old.State = ChildInstalled
		s.startReauth()
		return Success
	}
	if m.Notify(message.NotifyChildSANotFound) != nil {
		if _, ok := t.collision.(*childDelete); ok {
			// we deleted it on the peer's behalf already
			return Success
		}
		s.logf(log.IKE, 1, "peer didn't find the CHILD_SA we tried to rekey")
		c := t.old
		s.destroyChild(c, true)
		if c.Config != nil {
			n := newChildCreate(s, true, c.Config)
			n.useReqID = c.ReqID
			s.tm.queue(n)
		}
		return Success
	}
	if t.create.Process(m) == NeedMore {
		return NeedMore // another key exchange method, try again
	}
	if m.Payload(message.PayloadSA) == nil || t.create.child == nil || t.create.child.State != ChildInstalled {
		// rekeying failed: keep the old CHILD_SA and try again later, but
		// not if the peer deleted it meanwhile
		if _, ok := t.collision.(*childDelete); !ok && s.Child(t.old.UniqueID) != nil {
			t.scheduleRetry()
		}
		return Success
	}
	toDelete := t.old
	if t.collision != nil {
		toDelete = t.handleCollision()
	}
	if toDelete.State != ChildRekeyed {
		toDelete.State = ChildRekeyed // no down event for it
	}
	if toDelete == t.old {
		s.env.Bus.childRekey(s, t.old, t.create.child)
	}
	t.del = &childDelete{s: s, initiator: true, entries: []*deleteEntry{{child: toDelete}}}
	return NeedMore
}

// handleCollision decides which CHILD_SA our task deletes after both
// exchanges completed (charon's handle_collision).
func (t *childRekey) handleCollision() *ChildSA {
	s := t.s
	switch other := t.collision.(type) {
	case *childRekey:
		this := lowerNonce(t.create.nonce, t.create.peerNonce)
		theirs := lowerNonce(other.create.nonce, other.create.peerNonce)
		// the CHILD_SA created with the lowest nonce is redundant: if the
		// peer's exchange had it, we won and delete the old CHILD_SA
		if compareNonces(this, theirs) > 0 {
			s.logf(log.IKE, 1, "CHILD_SA rekey collision won, deleting old child %s", t.old.label())
			if !t.otherChildDestroyed {
				if c := other.create.child; c != nil {
					c.noCloseAction = true
					c.State = ChildRekeyed
				}
			}
			return t.old
		}
		c := t.create.child
		s.logf(log.IKE, 1, "CHILD_SA rekey collision lost, deleting redundant child %s", c.label())
		return c
	case *childDelete:
		if other.child() != t.old {
			s.logf(log.IKE, 1, "CHILD_SA rekey/delete collision, deleting old child %s", t.old.label())
			return t.old
		}
		c := t.create.child
		s.logf(log.IKE, 1, "CHILD_SA rekey/delete collision, deleting redundant child %s", c.label())
		return c
	}
	return t.old
}

// isRedundant reports whether c is the CHILD_SA the peer created in a
// collision with this rekeying.
func (t *childRekey) isRedundant(c *ChildSA) bool {
	if o, ok := t.collision.(*childRekey); ok && o.create != nil {
		return o.create.child == c
	}
	return false
}

// collide is told about the peer's completed rekey or delete; the task
// manager only knows the exchanges collided, here we check whether they
// concern the same CHILD_SA (charon's child_rekey collide).
func (t *childRekey) collide(other Task) bool {
	switch o := other.(type) {
	case *childRekey:
		if o.old != t.old || o.old == nil {
			return false
		}
		// only passive rekeyings that created a CHILD_SA count
		if o.create == nil || o.create.child == nil || o.create.child.State != ChildInstalled {
			return false
		}
	case *childDelete:
		c := o.child()
		if t.isRedundant(c) {
			t.otherChildDestroyed = true
			return false
		}
		if c != t.old {
			return false
		}
	default:
		return false
	}
	t.s.logf(log.IKE, 1, "detected %v collision with %v", TaskChildRekey, other.Type())
	t.collision = other
	return true
}

func protoFromWire(p message.ProtocolID) uint8 {
	if p == message.ProtoAH {
		return 51
	}
	return 50
}

// ikeRekey rekeys the IKE_SA (RFC 7296 sections 1.3.2 and 2.18) as
// charon's ike_rekey: a new IKE_SA with new SPIs and keys derived from
// the old SK_d takes over the CHILD_SAs and the queued tasks; the
// initiator of the rekeying then deletes the old IKE_SA in an
// INFORMATIONAL exchange of the same task.
//
// Collisions (section 2.8.2): when both peers rekey, both exchanges
// complete; the new IKE_SA created with the lowest of the four nonces is
// redundant and deleted by its creator, the other one takes over, and its
// creator deletes the old IKE_SA. If the peer did not notice the
// collision and deletes the old IKE_SA, the IKE_SA it created wins.
type ikeRekey struct {
	s         *IKESA
	initiator bool
	spi       uint64
	nonce     []byte
	peerNonce []byte
	ke        crypto.KeyExchange
	keMethod  uint16
	peerKE    *message.KE
	selected  *crypto.Proposal
	errType   message.NotifyType
	errData   []byte
	retries   int
	// newSA is the IKE_SA the exchange created, not started until it is
	// clear whether it takes over or is redundant
	newSA *IKESA
	// collision is the peer's colliding passive rekeying
	collision *ikeRekey
	// failedTemporarily: the responder answers TEMPORARY_FAILURE
	failedTemporarily bool
	// del is the second phase: deleting the old IKE_SA
	del *ikeDelete
}

func newIKERekey(s *IKESA, initiator bool) *ikeRekey { return &ikeRekey{s: s, initiator: initiator} }

func (t *ikeRekey) Type() TaskType { return TaskIKERekey }

func (t *ikeRekey) migrate(n *IKESA) { *t = ikeRekey{s: n, initiator: t.initiator} }

// Rekey queues an IKE_SA rekeying (ipsec stroke rekey NAME[N], and the
// rekey timer).
func (s *IKESA) Rekey() {
	if s.state == StatePassive || s.state == StateDestroying || s.reauthenticating {
		return
	}
	s.tm.queue(newIKERekey(s, true))
	s.tm.initiate()
}

// lowerNonce is the lower nonce of this task's exchange.
func (t *ikeRekey) lowerNonce() []byte { return lowerNonce(t.nonce, t.peerNonce) }

// scheduleRetry rekeys the IKE_SA again later (charon's
// schedule_delayed_rekey).
func (t *ikeRekey) scheduleRetry() {
	s := t.s
	d := retryInterval()
	s.logf(log.IKE, 1, "IKE_SA rekeying failed, trying again in %d seconds", seconds(d))
	s.setState(StateEstablished)
	s.timers = append(s.timers, s.after(d, func(s *IKESA) { s.Rekey() }))
}

func (t *ikeRekey) Build(m *message.Message) Status {
	s := t.s
	if !t.initiator {
		return t.buildResponse(m)
	}
	if t.del != nil {
		m.Exchange = message.ExchangeInformational
		return t.del.Build(m)
	}
	var err error
	if t.spi == 0 {
		if s.state != StateEstablished {
			// rekeyed or being rekeyed by the peer, or going away
			m.Exchange = 0
			return Success
		}
		if t.spi, err = randomSPI(s.env.Rand); err != nil {
			return Failed
		}
		if t.nonce, err = nonce(s.env.Rand); err != nil {
			return Failed
		}
		t.newSA = s.newRekeySA(true, t.spi)
		s.setState(StateRekeying)
	}
	if t.keMethod == 0 {
		t.keMethod = keMethod(s.Peer.IKE)
	}
	if t.ke == nil || t.ke.Method() != t.keMethod {
		if t.ke, err = crypto.NewKeyExchange(t.keMethod, s.env.Rand); err != nil {
			return Failed
		}
	}
	m.Payloads = append(m.Payloads,
		&message.SA{Proposals: toWire(withSPI(s.Peer.IKE, spiBytes(t.spi)))},
		&message.Nonce{Data: t.nonce},
		&message.KE{Group: t.keMethod, Data: t.ke.PublicValue()})
	return NeedMore
}

// halfOpenChildren reports whether a CHILD_SA is being created, rekeyed or
// deleted (the peer may not rekey the IKE_SA then).
func (s *IKESA) halfOpenChildren() bool {
	for _, c := range s.Children {
		switch c.State {
		case ChildRekeying, ChildRetrying, ChildDeleting:
			return true
		}
	}
	return s.tm.hasActive(TaskChildCreate)
}

func (t *ikeRekey) buildResponse(m *message.Message) Status {
	s := t.s
	if t.failedTemporarily {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyTemporaryFailure})
		return Success
	}
	if t.errType != 0 {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: t.errType, Data: t.errData})
		return Success
	}
	value, secret, err := crypto.RespondKeyExchange(t.peerKE.Group, t.peerKE.Data, s.env.Rand)
	if err != nil {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyNoProposalChosen})
		return Success
	}
	if t.spi, err = randomSPI(s.env.Rand); err != nil {
		return Failed
	}
	if t.nonce, err = nonce(s.env.Rand); err != nil {
		return Failed
	}
	n := s.newRekeySA(false, t.spi)
	if err := n.deriveRekeyed(s, t.selected, beUint64(t.selected.SPI), t.spi, t.peerNonce, t.nonce, secret); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		s.mgr.discard(n)
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyNoProposalChosen})
		return Success
	}
	resp := t.selected.Clone()
	resp.SPI = spiBytes(t.spi)
	m.Payloads = append(m.Payloads,
		&message.SA{Proposals: toWire([]*crypto.Proposal{resp})},
		&message.Nonce{Data: t.nonce},
		&message.KE{Group: t.peerKE.Group, Data: value})
	t.newSA = n
	if s.state != StateRekeying {
		// no collision (else our own rekeying decides)
		s.establishRekeyed(n)
		t.newSA = nil
		// make sure the old IKE_SA goes if the peer fails to delete it
		s.timers = append(s.timers, s.after(rekeyedDeleteTimeout, func(s *IKESA) { s.Delete() }))
	}
	return Success
}

// rekeyedDeleteTimeout is when a rekeyed IKE_SA is deleted if the peer
// did not (charon uses 90 s).
const rekeyedDeleteTimeout = 90 * time.Second

func beUint64(b []byte) uint64 {
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v
}

func (t *ikeRekey) Process(m *message.Message) Status {
	s := t.s
	if !t.initiator {
		return t.processRequest(m)
	}
	if t.del != nil {
		return t.del.Process(m)
	}
	if m.Notify(message.NotifyNoAdditionalSAs) != nil {
		s.logf(log.IKE, 1, "peer seems to not support IKE rekeying, starting reauthentication")
		s.setState(StateEstablished)
		s.startReauth()
		return Success
	}
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok || n.NotifyType >= 16384 {
			continue
		}
		if n.NotifyType == message.NotifyInvalidKEPayload && len(n.Data) == 2 && t.retries < maxInitRetries {
			want := uint16(n.Data[0])<<8 | uint16(n.Data[1])
			if offers(s.Peer.IKE, want) {
				t.retries++
				s.logf(log.IKE, 1, "peer didn't accept DH group %s, it requested %s",
					crypto.AlgorithmName(crypto.TransformKE, t.keMethod), crypto.AlgorithmName(crypto.TransformKE, want))
				t.keMethod = want
				return NeedMore // the task manager sends the request again
			}
		}
		s.logf(log.IKE, 1, "received %s notify error", n.NotifyType)
		return t.failed()
	}
	if err := t.adopt(m); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		return t.failed()
	}
	n := t.newSA
	t.newSA = nil
	if o := t.collision; o != nil {
		if compareNonces(t.lowerNonce(), o.lowerNonce()) < 0 {
			// our new IKE_SA has the lowest nonce: it is redundant
			s.logf(log.IKE, 1, "IKE_SA rekey collision lost, deleting redundant IKE_SA %s", n.label())
			n.state = StateRekeyed
			n.noDownEvent = true
			n.tm.queue(&ikeDelete{s: n, initiator: true})
			s.mgr.run(n)
			n.actor.post(func(n *IKESA) { n.tm.initiate() })
			s.establishRekeyed(o.newSA)
			o.newSA = nil
			return Success
		}
		// the peer deletes the one it created; just in case it does not
		r := o.newSA
		s.logf(log.IKE, 1, "IKE_SA rekey collision won, waiting for delete for redundant IKE_SA %s", r.label())
		r.state = StateRekeyed
		r.noDownEvent = true
		s.mgr.run(r)
		r.actor.post(func(r *IKESA) {
			r.timers = append(r.timers, r.after(halfOpenIKESATimeout, func(r *IKESA) { r.Delete() }))
		})
		o.newSA = nil
	}
	s.establishRekeyed(n)
	t.del = &ikeDelete{s: s, initiator: true}
	return NeedMore
}

// halfOpenIKESATimeout is charon's HALF_OPEN_IKE_SA_TIMEOUT, how long we
// wait for the peer to delete its redundant IKE_SA.
const halfOpenIKESATimeout = 30 * time.Second

// failed handles a failed rekeying: if the peer's rekeying collided with
// ours, its IKE_SA takes over; else we try again later.
func (t *ikeRekey) failed() Status {
	t.s.mgr.discard(t.newSA)
	t.newSA = nil
	if !t.concludeUndetectedCollision() {
		t.scheduleRetry()
	}
	return Success
}

// concludeUndetectedCollision lets the IKE_SA the peer created in a
// collision take over, when our own rekeying failed or the peer, not
// noticing the collision, deletes the old IKE_SA.
func (t *ikeRekey) concludeUndetectedCollision() bool {
	s := t.s
	if t.collision == nil || t.collision.newSA == nil {
		return false
	}
	s.logf(log.IKE, 1, "peer did not notice IKE_SA rekey collision, abort active rekeying")
	s.establishRekeyed(t.collision.newSA)
	t.collision.newSA = nil
	return true
}

// adopt derives the keys of the new IKE_SA from the response.
func (t *ikeRekey) adopt(m *message.Message) error {
	s := t.s
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	kep, _ := m.Payload(message.PayloadKE).(*message.KE)
	if sap == nil || np == nil || kep == nil || len(sap.Proposals) != 1 || kep.Group != t.keMethod {
		return fmt.Errorf("invalid IKE_SA rekey response")
	}
	got := fromWire(sap.Proposals)
	if _, err := crypto.SelectProposal(s.Peer.IKE, got, selectFlags(s.env.Settings)|crypto.PreferReceived); err != nil || len(got[0].SPI) != 8 {
		return fmt.Errorf("peers proposal selection invalid")
	}
	secret, err := t.ke.SharedSecret(kep.Data)
	if err != nil {
		return fmt.Errorf("applying DH public value failed")
	}
	t.peerNonce = np.Data
	return t.newSA.deriveRekeyed(s, got[0], t.spi, beUint64(got[0].SPI), t.nonce, np.Data, secret)
}

// discardPending drops the new IKE_SAs of unfinished rekeyings when the
// IKE_SA goes.
func (t *ikeRekey) discardPending() {
	t.s.mgr.discard(t.newSA)
	if t.collision != nil {
		t.s.mgr.discard(t.collision.newSA)
	}
}

func (t *ikeRekey) processRequest(m *message.Message) Status {
	s := t.s
	switch {
	case s.state == StateDeleting:
		s.logf(log.IKE, 1, "peer initiated rekeying, but we are deleting")
		t.failedTemporarily = true
		return NeedMore
	case s.reauthenticating:
		s.logf(log.IKE, 1, "peer initiated rekeying, but we are reauthenticating")
		t.failedTemporarily = true
		return NeedMore
	case s.halfOpenChildren():
		s.logf(log.IKE, 1, "peer initiated rekeying, but a child is half-open")
		t.failedTemporarily = true
		return NeedMore
	}
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	t.peerKE, _ = m.Payload(message.PayloadKE).(*message.KE)
	if sap == nil || np == nil || t.peerKE == nil {
		t.errType = message.NotifyInvalidSyntax
		return NeedMore
	}
	t.peerNonce = np.Data
	sel, err := crypto.SelectProposal(s.Peer.IKE, fromWire(sap.Proposals), selectFlags(s.env.Settings))
	if err != nil || len(sel.SPI) != 8 {
		s.logf(log.IKE, 1, "received proposals unacceptable")
		t.errType = message.NotifyNoProposalChosen
		return NeedMore
	}
	if ke, _ := sel.Get(crypto.TransformKE); ke.ID != t.peerKE.Group {
		s.logf(log.IKE, 1, "DH group %s unacceptable, requesting %s",
			crypto.AlgorithmName(crypto.TransformKE, t.peerKE.Group), crypto.AlgorithmName(crypto.TransformKE, ke.ID))
		t.errType = message.NotifyInvalidKEPayload
		t.errData = []byte{byte(ke.ID >> 8), byte(ke.ID)}
		return NeedMore
	}
	t.selected = sel
	return NeedMore
}

// collide is told about the peer's completed IKE_SA rekeying or delete
// while ours is active (charon's ike_rekey collide).
func (t *ikeRekey) collide(other Task) bool {
	s := t.s
	s.logf(log.IKE, 1, "detected %v collision with %v", TaskIKERekey, other.Type())
	switch o := other.(type) {
	case *ikeDelete:
		t.concludeUndetectedCollision()
	case *ikeRekey:
		if o.newSA == nil {
			s.logf(log.IKE, 1, "colliding exchange did not result in an IKE_SA, ignore")
			return false
		}
		t.collision = o
		return true
	}
	return false
}

// newRekeySA creates the IKE_SA a rekeying of s creates, registered
// under our new SPI (messages for it wait in its mailbox) but not running
// until the rekeying decided its fate (charon creates and checks out the
// new IKE_SA as the exchange starts).
func (s *IKESA) newRekeySA(initiator bool, spi uint64) *IKESA {
	n := &IKESA{env: s.env, mgr: s.mgr, UniqueID: s.mgr.nextIKEID.Add(1), Peer: s.Peer,
		Initiator: initiator, Local: s.Local, Remote: s.Remote, LocalID: s.LocalID, RemoteID: s.RemoteID,
		NATLocal: s.NATLocal, NATRemote: s.NATRemote, PeerExt: s.PeerExt,
		Created: s.env.Clock.Now(), LocalAuthClass: s.LocalAuthClass, OtherAuthClass: s.OtherAuthClass,
		EAPAuthenticated: s.EAPAuthenticated, EAPIdentity: s.EAPIdentity, Groups: s.Groups,
		origInitiator: s.origInitiator, authDone: true}
	if initiator {
		n.SPIi = spi
	} else {
		n.SPIr = spi
	}
	n.tm = newTaskManager(n)
	n.actor = newActor(&s.mgr.busy, &s.mgr.wg)
	s.mgr.register(n)
	return n
}

// deriveRekeyed derives the keys of s, created by a rekeying of old
// (RFC 7296 section 2.18).
func (s *IKESA) deriveRekeyed(old *IKESA, p *crypto.Proposal, spii, spir uint64, ni, nr, secret []byte) error {
	keys, err := crypto.DeriveRekeyedIKEKeys(p, old.Keys.PRF, old.Keys.SKd, ni, nr, spiBytes(spii), spiBytes(spir), secret)
	if err != nil {
		return fmt.Errorf("key derivation for rekeyed IKE_SA failed: %w", err)
	}
	s.SPIi, s.SPIr, s.Ni, s.Nr = spii, spir, bytes.Clone(ni), bytes.Clone(nr)
	s.Proposal = p.Clone()
	s.Proposal.SPI = nil
	if err := s.installKeys(keys); err != nil {
		return err
	}
	s.Established = old.env.Clock.Now()
	s.lastRecv = old.lastRecv
	return nil
}

// establishRekeyed lets n, created by a rekeying of s, take over: it gets
// the CHILD_SAs and queued tasks of s and is started; s is REKEYED (charon's
// establish_new).
func (s *IKESA) establishRekeyed(n *IKESA) {
	n.state = StateEstablished
	s.logf(log.IKE, 0, "IKE_SA %s rekeyed between %s[%s]...%s[%s]", n.label(), s.Local.Addr(), s.LocalID,
		s.Remote.Addr(), s.RemoteID)
	n.Local, n.Remote = s.Local, s.Remote
	n.Children, s.Children = s.Children, nil
	// virtual IPs and applied attributes move along
	n.PeerVIPs, s.PeerVIPs = s.PeerVIPs, nil
	n.MyVIPs, s.MyVIPs = s.MyVIPs, nil
	n.handled, s.handled = s.handled, nil
	for _, c := range n.Children {
		// their timers ran on s
		for _, t := range c.timers {
			t.Stop()
		}
		c.timers = nil
		n.rescheduleChild(c)
	}
	// queued tasks move along, except another rekeying
	n.tm.adoptTasks(s.tm, func(t Task) bool { return t.Type() != TaskIKERekey })
	n.waiters, s.waiters = s.waiters, nil
	reauthAt := s.ReauthAt
	s.setState(StateRekeyed)
	s.noDownEvent = true
	s.env.Bus.ikeRekey(s, n)
	s.mgr.start(n)
	n.actor.post(func(n *IKESA) {
		n.scheduleIKELifetimes()
		n.inheritReauth(reauthAt)
		n.scheduleDPD()
		if n.NATLocal {
			n.scheduleKeepalive()
		}
		n.tm.initiate()
	})
}
