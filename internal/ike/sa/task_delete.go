package sa

import (
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// ikeDelete deletes the IKE_SA with an INFORMATIONAL exchange (RFC 7296
// section 1.4.1), as charon's ike_delete. Deleting a rekeyed (or
// redundant) IKE_SA raises no down event. A responder whose IKE_SA was
// established follows the CHILD_SAs' closeaction.
type ikeDelete struct {
	s         *IKESA
	initiator bool
	// rekeyed: the IKE_SA was rekeyed (or is a redundant one), no events
	rekeyed bool
}

func (t *ikeDelete) Type() TaskType { return TaskIKEDelete }

func (t *ikeDelete) migrate(n *IKESA) { t.s, t.rekeyed = n, false }

func (t *ikeDelete) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		s.logf(log.IKE, 0, "deleting IKE_SA %s between %s[%s]...%s[%s]", s.label(),
			s.Local.Addr(), s.LocalID, s.Remote.Addr(), s.RemoteID)
		m.Payloads = append(m.Payloads, message.DeleteIKE())
		if s.state == StateRekeyed {
			t.rekeyed = true
			s.noDownEvent = true
		}
		s.setState(StateDeleting)
		s.logf(log.IKE, 1, "sending DELETE for IKE_SA %s", s.label())
		return NeedMore
	}
	s.logf(log.IKE, 0, "IKE_SA deleted")
	if t.rekeyed {
		s.noDownEvent = true
	}
	if s.reauthenticating && s.tm.hasActive(TaskIKEReauth) {
		// the peer deleted the IKE_SA while we did so to reauthenticate
		// it (break-before-make): reestablish it anyway
		if !s.reestablish() {
			s.logf(log.IKE, 1, "reauthenticating IKE_SA failed")
		}
	}
	// the response is sent, then the IKE_SA is destroyed
	return Failed
}

func (t *ikeDelete) Process(m *message.Message) Status {
	s := t.s
	if t.initiator {
		s.logf(log.IKE, 0, "IKE_SA deleted")
		s.destroy()
		return Success
	}
	s.logf(log.IKE, 1, "received DELETE for IKE_SA %s", s.label())
	s.logf(log.IKE, 0, "deleting IKE_SA %s between %s[%s]...%s[%s]", s.label(),
		s.Local.Addr(), s.LocalID, s.Remote.Addr(), s.RemoteID)
	switch s.state {
	case StateRekeying:
		// the peer deleted the IKE_SA we are rekeying: a regular delete,
		// unless it did not notice our rekey collision and deletes the
		// IKE_SA we both replaced
		if s.afterRekeyCollision() {
			t.rekeyed = true
			break
		}
		fallthrough
	case StateEstablished:
		s.setState(StateDeleting)
		if !s.reauthenticating {
			s.reestablish()
		}
		return NeedMore
	case StateRekeyed:
		t.rekeyed = true
	}
	s.setState(StateDeleting)
	return NeedMore
}

// afterRekeyCollision reports whether our active IKE_SA rekeying collided
// with the peer's.
func (s *IKESA) afterRekeyCollision() bool {
	for _, a := range s.tm.active {
		if r, ok := a.(*ikeRekey); ok && r.collision != nil {
			return true
		}
	}
	return false
}

// Delete queues the deletion of the IKE_SA (ipsec down NAME[N], and the
// hard end of its lifetime).
func (s *IKESA) Delete() {
	switch s.state {
	case StateDeleting, StateDestroying:
		return
	case StateEstablished, StateRekeying, StateRekeyed:
		if s.tm.hasQueued(TaskIKEDelete) {
			return
		}
		s.tm.queue(&ikeDelete{s: s, initiator: true})
		s.tm.initiate()
	case StateCreated:
		s.logf(log.IKE, 1, "deleting unestablished IKE_SA")
		s.destroy()
	case StatePassive:
	default:
		s.logf(log.IKE, 1, "destroying IKE_SA in state %v without notification", s.state)
		s.destroy()
	}
}

// childDelete deletes CHILD_SAs (RFC 7296 section 1.4.1) as charon's
// child_delete: the initiator names its inbound SPIs, the responder
// answers with its own of the same CHILD_SAs, except those it is deleting
// itself (crossing deletes). A CHILD_SA the peer deleted that was neither
// rekeyed nor redundant gets its closeaction.
type childDelete struct {
	s         *IKESA
	initiator bool
	entries   []*deleteEntry
	// expired: the CHILD_SA reached its hard lifetime (initiator)
	expired bool
}

type deleteEntry struct {
	child *ChildSA
	// rekeyed: it was replaced (rekeyed, or redundant after a collision);
	// no down event
	rekeyed bool
	// checkAction: deleted by the peer, apply the closeaction
	checkAction bool
}

func newChildDelete(s *IKESA, c *ChildSA, expired bool) *childDelete {
	return &childDelete{s: s, initiator: true, entries: []*deleteEntry{{child: c}}, expired: expired}
}

func (t *childDelete) Type() TaskType { return TaskChildDelete }

func (t *childDelete) migrate(n *IKESA) { t.s = n }

// child is the (first) CHILD_SA this task deletes.
func (t *childDelete) child() *ChildSA {
	if len(t.entries) == 0 {
		return nil
	}
	return t.entries[0].child
}

func (t *childDelete) has(c *ChildSA) bool {
	for _, e := range t.entries {
		if e.child == c {
			return true
		}
	}
	return false
}

func (t *childDelete) Build(m *message.Message) Status {
	s := t.s
	if !t.initiator {
		t.buildPayloads(m)
		s.logf(log.IKE, 1, "CHILD_SA closed")
		t.destroyAndReestablish()
		return Success
	}
	c := t.child()
	if c == nil || s.Child(c.UniqueID) == nil {
		m.Exchange = 0 // the CHILD_SA does not exist anymore
		return Success
	}
	if t.expired && c.State == ChildRekeyed {
		// the peer was expected to delete it: a DELETE now could collide
		// with a delayed CREATE_CHILD_SA response there
		s.destroyChild(c, false)
		m.Exchange = 0
		return Success
	}
	t.entries[0].rekeyed = c.State == ChildRekeyed
	t.logChildren()
	t.buildPayloads(m)
	if !t.entries[0].rekeyed && t.expired && c.Config != nil {
		s.logf(log.IKE, 1, "scheduling CHILD_SA recreate after hard expire")
		n := newChildCreate(s, true, c.Config)
		n.useReqID = c.ReqID
		s.tm.queue(n)
	}
	return NeedMore
}

// buildPayloads adds a Delete payload with our inbound SPIs per protocol.
func (t *childDelete) buildPayloads(m *message.Message) {
	s := t.s
	var esp, ah []uint32
	for _, e := range t.entries {
		c := e.child
		if c.Proto == kernel.ProtoAH {
			ah = append(ah, c.SPIIn)
		} else {
			esp = append(esp, c.SPIIn)
		}
		s.logf(log.IKE, 1, "sending DELETE for %s CHILD_SA with SPI %08x", protoName(c.Proto), c.SPIIn)
		c.State = ChildDeleting
	}
	if len(esp) > 0 {
		m.Payloads = append(m.Payloads, message.DeleteSPIs(message.ProtoESP, esp...))
	}
	if len(ah) > 0 {
		m.Payloads = append(m.Payloads, message.DeleteSPIs(message.ProtoAH, ah...))
	}
}

func (t *childDelete) logChildren() {
	s := t.s
	for _, e := range t.entries {
		c := e.child
		if t.expired {
			s.logf(log.IKE, 0, "closing expired CHILD_SA %s with SPIs %08x_i %08x_o and TS %s === %s",
				c.label(), c.SPIIn, c.SPIOut, kernel.FormatTSList(c.Local), kernel.FormatTSList(c.Remote))
			continue
		}
		in, out := s.childUsage(c)
		s.logf(log.IKE, 0, "closing CHILD_SA %s with SPIs %08x_i (%d bytes) %08x_o (%d bytes) and TS %s === %s",
			c.label(), c.SPIIn, in, c.SPIOut, out, kernel.FormatTSList(c.Local), kernel.FormatTSList(c.Remote))
	}
}

// processPayloads collects the CHILD_SAs named in the Delete payloads.
func (t *childDelete) processPayloads(m *message.Message) {
	s := t.s
	for _, p := range m.Payloads {
		d, ok := p.(*message.Delete)
		if !ok || (d.Protocol != message.ProtoESP && d.Protocol != message.ProtoAH) {
			continue
		}
		proto := kernel.ProtoESP
		if d.Protocol == message.ProtoAH {
			proto = kernel.ProtoAH
		}
		for _, spi := range d.SPIs32() {
			c := s.childBySPI(proto, spi, false)
			if c == nil {
				s.logf(log.IKE, 1, "received DELETE for unknown %s CHILD_SA with SPI %08x", protoName(proto), spi)
				continue
			}
			s.logf(log.IKE, 1, "received DELETE for %s CHILD_SA with SPI %08x", protoName(proto), spi)
			if t.has(c) {
				continue
			}
			e := &deleteEntry{child: c}
			switch c.State {
			case ChildRekeyed:
				e.rekeyed = true
			case ChildDeleted, ChildDeleting:
				// we don't send back a DELETE for a CHILD_SA we are
				// deleting ourselves (crossing deletes)
				if !t.initiator {
					continue
				}
			case ChildRekeying, ChildInstalled:
				// for one we rekey we reply as usual, the rekeying fails
				if !t.initiator {
					if s.isRedundant(c) {
						e.rekeyed = true
					} else {
						e.checkAction = true
					}
				}
			}
			t.entries = append(t.entries, e)
		}
	}
}

// isRedundant reports whether c is the redundant CHILD_SA the peer created
// in a rekey collision with our active rekeying.
func (s *IKESA) isRedundant(c *ChildSA) bool {
	for _, a := range s.tm.active {
		if r, ok := a.(*childRekey); ok && r.isRedundant(c) {
			return true
		}
	}
	return false
}

// destroyAndReestablish removes the CHILD_SAs and applies the closeaction
// of those the peer deleted.
func (t *childDelete) destroyAndReestablish() {
	s := t.s
	for _, e := range t.entries {
		c := e.child
		if s.Child(c.UniqueID) == nil {
			continue
		}
		c.State = ChildDeleted
		s.destroyChild(c, !e.rekeyed)
		if !e.checkAction || c.Config == nil || c.noCloseAction {
			continue
		}
		switch c.Config.CloseAction {
		case config.ActionHold:
			if err := s.mgr.installTrap(s.Peer, c.Config, c.ReqID); err != nil {
				s.logf(log.CFG, 1, "%v", err)
			}
		case config.ActionRestart:
			n := newChildCreate(s, true, c.Config)
			n.useReqID = c.ReqID
			s.tm.queue(n)
		}
	}
}

func (t *childDelete) Process(m *message.Message) Status {
	s := t.s
	t.processPayloads(m)
	if t.initiator {
		s.logf(log.IKE, 1, "CHILD_SA closed")
		t.destroyAndReestablish()
		return Success
	}
	t.logChildren()
	return NeedMore
}

func protoName(p uint8) string {
	if p == kernel.ProtoAH {
		return "AH"
	}
	return "ESP"
}

// queueChildDeleteSPI deletes the CHILD_SA with our inbound SPI spi.
func (s *IKESA) queueChildDeleteSPI(proto uint8, spi uint32) {
	if c := s.childBySPI(proto, spi, true); c != nil {
		s.tm.queue(newChildDelete(s, c, false))
	}
}

// DeleteChild queues the deletion of a CHILD_SA (ipsec down NAME{N}).
func (s *IKESA) DeleteChild(c *ChildSA) {
	s.tm.queue(newChildDelete(s, c, false))
	s.tm.initiate()
}

// expireChild deletes a CHILD_SA that reached its hard lifetime and, if it
// was not rekeyed, creates it anew (charon's delete_child_sa_job with
// expired set).
func (s *IKESA) expireChild(c *ChildSA) {
	s.tm.queue(newChildDelete(s, c, true))
	s.tm.initiate()
}
