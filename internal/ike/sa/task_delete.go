package sa

import (
	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// ikeDelete deletes the IKE_SA with an INFORMATIONAL exchange (RFC 7296
// section 1.4.1).
type ikeDelete struct {
	s         *IKESA
	initiator bool
}

func (t *ikeDelete) Type() TaskType { return TaskIKEDelete }

func (t *ikeDelete) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		s.logf(log.IKE, 0, "deleting IKE_SA %s between %s[%s]...%s[%s]", s.label(),
			s.Local.Addr(), s.LocalID, s.Remote.Addr(), s.RemoteID)
		s.logf(log.IKE, 1, "sending DELETE for IKE_SA %s", s.label())
		s.setState(StateDeleting)
		m.Payloads = append(m.Payloads, message.DeleteIKE())
		return NeedMore
	}
	// responder: empty response, then the SA goes
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
	s.logf(log.IKE, 0, "IKE_SA deleted")
	s.setState(StateDeleting)
	if s.Peer != nil && s.Peer.Children != nil {
		for _, c := range s.Children {
			if c.Config != nil && c.Config.CloseAction == config.ActionRestart {
				s.restartAfterClose()
				break
			}
		}
	}
	return NeedMore
}

// Delete queues the deletion of the IKE_SA (ipsec down NAME[N]).
func (s *IKESA) Delete() {
	if s.state == StateDeleting || s.state == StateDestroying {
		return
	}
	if s.state != StateEstablished && s.state != StateRekeying && s.state != StateRekeyed {
		// nothing to tell the peer yet
		s.destroy()
		return
	}
	s.tm.queue(&ikeDelete{s: s, initiator: true})
	s.tm.initiate()
}

// childDelete deletes CHILD_SAs (RFC 7296 section 1.4.1): the initiator
// names its inbound SPIs, the responder answers with its own of the
// same CHILD_SAs.
type childDelete struct {
	s         *IKESA
	initiator bool
	children  []*ChildSA
	proto     uint8
}

func (t *childDelete) Type() TaskType { return TaskChildDelete }

func (t *childDelete) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		var spis []uint32
		for _, c := range t.children {
			if s.Child(c.UniqueID) == nil {
				continue
			}
			s.logf(log.IKE, 0, "closing CHILD_SA %s with SPIs %08x_i (%d bytes) %08x_o (%d bytes) and TS %s === %s",
				c.label(), c.SPIIn, 0, c.SPIOut, 0, kernel.FormatTSList(c.Local), kernel.FormatTSList(c.Remote))
			s.logf(log.IKE, 1, "sending DELETE for %s CHILD_SA with SPI %08x", protoName(c.Proto), c.SPIIn)
			c.State = ChildDeleting
			spis = append(spis, c.SPIIn)
		}
		if len(spis) == 0 {
			m.Exchange = 0 // nothing left to delete
			return Success
		}
		m.Payloads = append(m.Payloads, message.DeleteSPIs(protoID(t.children[0].Proto), spis...))
		return NeedMore
	}
	var ours []uint32
	for _, c := range t.children {
		ours = append(ours, c.SPIIn)
	}
	if len(ours) > 0 {
		m.Payloads = append(m.Payloads, message.DeleteSPIs(protoID(t.proto), ours...))
	}
	for _, c := range t.children {
		s.uninstallChild(c)
		s.removeChild(c)
		s.logf(log.IKE, 1, "CHILD_SA %s closed", c.label())
		if c.Config != nil && c.Config.CloseAction == config.ActionRestart && c.State != ChildRekeyed {
			s.logf(log.IKE, 1, "restarting CHILD_SA %s", c.Name())
			s.queueChild(c.Config)
		}
	}
	return Success
}

func (t *childDelete) Process(m *message.Message) Status {
	s := t.s
	if t.initiator {
		for _, c := range t.children {
			s.uninstallChild(c)
			s.removeChild(c)
		}
		return Success
	}
	for _, p := range m.Payloads {
		d, ok := p.(*message.Delete)
		if !ok || (d.Protocol != message.ProtoESP && d.Protocol != message.ProtoAH) {
			continue
		}
		proto := kernel.ProtoESP
		if d.Protocol == message.ProtoAH {
			proto = kernel.ProtoAH
		}
		t.proto = proto
		for _, spi := range d.SPIs32() {
			s.logf(log.IKE, 1, "received DELETE for %s CHILD_SA with SPI %08x", protoName(proto), spi)
			c := s.childBySPI(proto, spi, false)
			if c == nil {
				s.logf(log.IKE, 1, "CHILD_SA not found, ignored")
				continue
			}
			if c.State == ChildDeleting && c.Initiator {
				// we are deleting it too (collision): answer, and let our
				// own exchange finish the job
			}
			s.logf(log.IKE, 0, "closing CHILD_SA %s with SPIs %08x_i (%d bytes) %08x_o (%d bytes) and TS %s === %s",
				c.label(), c.SPIIn, 0, c.SPIOut, 0, kernel.FormatTSList(c.Local), kernel.FormatTSList(c.Remote))
			t.children = append(t.children, c)
		}
	}
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
		s.tm.queue(&childDelete{s: s, initiator: true, children: []*ChildSA{c}})
	}
}

// DeleteChild queues the deletion of a CHILD_SA (ipsec down NAME{N}).
func (s *IKESA) DeleteChild(c *ChildSA) {
	s.tm.queue(&childDelete{s: s, initiator: true, children: []*ChildSA{c}})
	s.tm.initiate()
}
