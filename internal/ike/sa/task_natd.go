package sa

import (
	"bytes"
	"crypto/sha1"
	"github.com/goswan/goswan/internal/log"
	"net/netip"

	"github.com/goswan/goswan/internal/ike/message"
)

// natd detects NATs with the NAT_DETECTION_*_IP notifies of IKE_SA_INIT
// (RFC 7296 section 2.23) and floats to port 4500 as charon does: when a
// NAT is detected, or when MOBIKE is enabled and the peer supports NAT-T.
type natd struct {
	s          *IKESA
	initiator  bool
	peerNATT   bool
	srcMatched bool
	dstMatched bool
}

func newNATD(s *IKESA, initiator bool) *natd { return &natd{s: s, initiator: initiator} }

func (t *natd) Type() TaskType { return TaskIKENATD }

// natdHash is SHA-1(SPIi | SPIr | IP | Port).
func natdHash(spii, spir uint64, a netip.AddrPort) []byte {
	h := sha1.New()
	h.Write(spiBytes(spii))
	h.Write(spiBytes(spir))
	h.Write(a.Addr().Unmap().AsSlice())
	h.Write([]byte{byte(a.Port() >> 8), byte(a.Port())})
	return h.Sum(nil)
}

func (t *natd) Build(m *message.Message) Status {
	if m.Exchange != message.ExchangeIKESAInit {
		return Success
	}
	s := t.s
	if !t.initiator && !t.peerNATT {
		return Success
	}
	for _, n := range t.notifies(m.SPIi, m.SPIr) {
		m.Payloads = append(m.Payloads, n)
	}
	if t.initiator {
		return NeedMore
	}
	s.applyNAT(t.srcMatched, t.dstMatched)
	return Success
}

func (t *natd) notifies(spii, spir uint64) []*message.Notify {
	s := t.s
	src := natdHash(spii, spir, s.Local)
	if s.Peer != nil && s.Peer.ForceEncap {
		// fake a NAT (charon's forceencaps): a random source hash
		src = make([]byte, sha1.Size)
		s.env.Rand.Read(src)
	}
	return []*message.Notify{
		{NotifyType: message.NotifyNATDetectionSourceIP, Data: src},
		{NotifyType: message.NotifyNATDetectionDestinationIP, Data: natdHash(spii, spir, s.Remote)},
	}
}

// check compares the peer's NAT-D hashes with what we see.
func (t *natd) check(m *message.Message) {
	s := t.s
	t.srcMatched, t.dstMatched = false, false
	srcSeen, dstSeen := false, false
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok {
			continue
		}
		switch n.NotifyType {
		case message.NotifyNATDetectionSourceIP:
			srcSeen = true
			if bytes.Equal(n.Data, natdHash(m.SPIi, m.SPIr, s.Remote)) {
				t.srcMatched = true
			}
		case message.NotifyNATDetectionDestinationIP:
			dstSeen = true
			if bytes.Equal(n.Data, natdHash(m.SPIi, m.SPIr, s.Local)) {
				t.dstMatched = true
			}
		}
	}
	t.peerNATT = srcSeen && dstSeen
	if !t.peerNATT {
		t.srcMatched, t.dstMatched = true, true
	}
}

func (t *natd) Process(m *message.Message) Status {
	if m.Exchange != message.ExchangeIKESAInit {
		return Success
	}
	s := t.s
	t.check(m)
	if !t.initiator {
		return NeedMore
	}
	if m.Notify(message.NotifyCookie) != nil || m.Notify(message.NotifyInvalidKEPayload) != nil {
		return NeedMore
	}
	s.applyNAT(t.srcMatched, t.dstMatched)
	if s.NATLocal || s.NATRemote || (s.Peer != nil && s.Peer.Mobike && t.peerNATT) {
		s.floatPorts()
	}
	return Success
}

// applyNAT sets the NAT conditions and logs them as charon does.
func (s *IKESA) applyNAT(srcMatched, dstMatched bool) {
	s.NATLocal = !dstMatched
	s.NATRemote = !srcMatched
	if s.NATLocal {
		s.logf(log.IKE, 1, "local host is behind NAT, sending keep alives")
		s.scheduleKeepalive()
	}
	if s.NATRemote {
		s.logf(log.IKE, 1, "remote host is behind NAT")
	}
}

// floatPorts switches to the NAT-T port (RFC 7296 section 2.23).
func (s *IKESA) floatPorts() {
	if s.Remote.Port() == 500 || s.Local.Port() == 500 {
		s.Remote = netip.AddrPortFrom(s.Remote.Addr(), 4500)
	}
	if s.Local.Port() == 500 {
		s.Local = netip.AddrPortFrom(s.Local.Addr(), 4500)
	}
}
