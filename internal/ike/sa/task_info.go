package sa

import (
	"context"
	"math"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// informationalTasks creates the responder tasks for an INFORMATIONAL
// request: deletes, or an empty answer (liveness check).
func (s *IKESA) informationalTasks(m *message.Message) []Task {
	var ts []Task
	for _, p := range m.Payloads {
		switch p := p.(type) {
		case *message.Delete:
			switch p.Protocol {
			case message.ProtoIKE:
				return []Task{&ikeDelete{s: s}}
			case message.ProtoESP, message.ProtoAH:
				if len(ts) == 0 {
					ts = append(ts, &childDelete{s: s})
				}
			}
		case *message.Notify:
			if p.NotifyType == message.NotifyAuthLifetime && s.state != StateRekeyed {
				ts = append(ts, &authLifetime{s: s})
			}
		}
	}
	for _, f := range s.mgr.factories {
		ts = append(ts, f(s, false, m.Exchange)...)
	}
	if len(ts) == 0 {
		ts = []Task{&emptyResponse{}}
	}
	return ts
}

// emptyResponse answers a request with an empty response (DPD).
type emptyResponse struct{}

func (*emptyResponse) Type() TaskType                  { return TaskIKEDPD }
func (*emptyResponse) Build(*message.Message) Status   { return Success }
func (*emptyResponse) Process(*message.Message) Status { return NeedMore }

// refuseChild answers CREATE_CHILD_SA while the IKE_SA cannot take it.
type refuseChild struct{ s *IKESA }

func (*refuseChild) Type() TaskType                  { return TaskChildCreate }
func (*refuseChild) Process(*message.Message) Status { return NeedMore }
func (t *refuseChild) Build(m *message.Message) Status {
	m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyTemporaryFailure})
	return Success
}

// createChildTasks picks the responder task for a CREATE_CHILD_SA request:
// IKE_SA rekeying, CHILD_SA rekeying (REKEY_SA notify) or a new CHILD_SA.
func (s *IKESA) createChildTasks(m *message.Message) []Task {
	if sap, ok := m.Payload(message.PayloadSA).(*message.SA); ok && len(sap.Proposals) > 0 &&
		sap.Proposals[0].Protocol == message.ProtoIKE {
		return []Task{newIKERekey(s, false)}
	}
	if n := m.Notify(message.NotifyRekeySA); n != nil {
		return []Task{newChildRekey(s, false, nil)}
	}
	return []Task{newChildCreate(s, false, nil)}
}

// dpd is a liveness check: an empty INFORMATIONAL request.
type dpd struct{ s *IKESA }

func (*dpd) Type() TaskType { return TaskIKEDPD }

func (t *dpd) Build(m *message.Message) Status { return NeedMore }

func (t *dpd) Process(m *message.Message) Status { return Success }

// scheduleDPD arms the DPD timer: a liveness check is sent when nothing
// was received from the peer for dpddelay (charon's ike_sa send_dpd).
func (s *IKESA) scheduleDPD() {
	// dpdaction=none (the default) disables active DPD (ipsec.conf(5))
	if s.Peer == nil || s.Peer.DPDDelay <= 0 || s.Peer.DPDAction == config.ActionNone {
		return
	}
	s.timers = append(s.timers, s.after(s.Peer.DPDDelay, func(s *IKESA) { s.dpdCheck() }))
}

// dpdCheck is charon's send_dpd: a DPD exchange if nothing arrived from
// the peer for dpddelay and no exchange is under way; the next check
// comes dpddelay after the last inbound traffic (in whole seconds, as
// charon's monotonic clock counts).
func (s *IKESA) dpdCheck() {
	if s.state != StateEstablished || s.Peer == nil {
		return
	}
	delay := s.Peer.DPDDelay
	var diff time.Duration
	if s.tm.initiating.exchange == 0 && !s.tm.hasTask(TaskIKEDPD) {
		diff = elapsedSeconds(s.env.Clock.Now(), s.lastInbound())
		if diff >= delay {
			s.logf(log.IKE, 1, "sending DPD request")
			s.tm.queue(&dpd{s: s})
			s.tm.initiate()
			diff = 0
		}
	}
	s.timers = append(s.timers, s.after(max(delay-diff, 0), func(s *IKESA) { s.dpdCheck() }))
}

// elapsedSeconds is now-last in whole seconds of the clock, as charon's
// time_monotonic() differences.
func elapsedSeconds(now, last time.Time) time.Duration {
	if last.IsZero() {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(now.Unix()-last.Unix()) * time.Second
}

// lastInbound is the last time anything arrived from the peer: an IKE
// message or traffic on an inbound CHILD_SA.
func (s *IKESA) lastInbound() time.Time {
	last := s.lastRecv
	for _, c := range s.Children {
		u, err := s.env.Kernel.QuerySA(context.Background(), kernel.SAID{Src: c.RemoteAddr.Addr(),
			Dst: c.LocalAddr.Addr(), SPI: c.SPIIn, Proto: c.Proto, Mark: markOf(c, true)})
		if err == nil && u.LastUse.After(last) {
			last = u.LastUse
		}
	}
	return last
}

// scheduleChildLifetimes sets a CHILD_SA's rekey and hard expiry times
// and arms their timers (the kernel's soft and hard expires, reported
// through Manager.HandleKernelEvent, trigger the same).
func (s *IKESA) scheduleChildLifetimes(c *ChildSA) {
	if c.Config == nil {
		return
	}
	now := s.env.Clock.Now()
	if c.Config.RekeyTime > 0 {
		c.RekeyAt = now.Add(jitter(c.Config.RekeyTime, c.Config.Jitter))
	}
	if c.Config.LifeTime > 0 {
		c.ExpireAt = now.Add(c.Config.LifeTime)
	}
	s.rescheduleChild(c)
}

// rescheduleChild arms the timers of a CHILD_SA for its RekeyAt and
// ExpireAt on this IKE_SA (after it moved here from a rekeyed one).
func (s *IKESA) rescheduleChild(c *ChildSA) {
	now := s.env.Clock.Now()
	id := c.UniqueID
	if !c.RekeyAt.IsZero() {
		c.timers = append(c.timers, s.after(c.RekeyAt.Sub(now), func(s *IKESA) {
			if c := s.Child(id); c != nil && c.State == ChildInstalled {
				s.RekeyChild(c)
			}
		}))
	}
	if !c.ExpireAt.IsZero() {
		c.timers = append(c.timers, s.after(c.ExpireAt.Sub(now), func(s *IKESA) {
			if c := s.Child(id); c != nil {
				s.expireChild(c)
			}
		}))
	}
}

// queueChild queues the creation of another CHILD_SA with config c.
func (s *IKESA) queueChild(c *cfg.Child) {
	s.tm.queue(newChildCreate(s, true, c))
	s.tm.initiate()
}

// InitiateChild creates a CHILD_SA on this established IKE_SA (ipsec up of
// a conn whose IKE_SA exists).
func (s *IKESA) InitiateChild(c *cfg.Child, done func(error)) {
	if done != nil {
		s.waiters = append(s.waiters, done)
	}
	s.queueChild(c)
}

var _ = crypto.ProtoESP
