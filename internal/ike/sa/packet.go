package sa

import (
	"errors"
	"fmt"
	"github.com/goswan/goswan/internal/log"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/message"
)

// newMessage starts a message of this IKE_SA.
func (s *IKESA) newMessage(x message.ExchangeType, mid uint32, response bool) *message.Message {
	m := &message.Message{Header: message.Header{
		SPIi: s.SPIi, SPIr: s.SPIr, MajorVersion: 2, MinorVersion: 0,
		Exchange: x, MessageID: mid,
	}}
	if s.Initiator {
		m.Flags |= message.FlagInitiator
	}
	if response {
		m.Flags |= message.FlagResponse
	}
	return m
}

// generate sorts the payloads as charon does, logs the summary and
// produces the datagrams: plain for IKE_SA_INIT, else one SK payload or,
// when too big and the peer supports it, RFC 7383 fragments. raw is the
// unfragmented message (what AUTH signs for IKE_SA_INIT).
func (s *IKESA) generate(m *message.Message) (packets [][]byte, raw []byte, err error) {
	if r := message.RuleFor(m.Exchange, m.IsRequest()); r != nil {
		m.Payloads = r.Sort(m.Payloads)
	}
	s.logf(log.ENC, 1, "generating %s", m)
	if m.Exchange == message.ExchangeIKESAInit || s.skOut == nil {
		raw, err = m.AppendMarshal(make([]byte, 0, 1024))
		return [][]byte{raw}, raw, err
	}
	first := message.PayloadNone
	if len(m.Payloads) > 0 {
		first = m.Payloads[0].Type()
	}
	plain, err := message.AppendPayloads(make([]byte, 0, 1024), m.Payloads)
	if err != nil {
		return nil, nil, err
	}
	enc := &message.Message{Header: m.Header, Payloads: []message.Payload{&message.Encrypted{NextPayload: first}}}
	sealed := s.skOut.SealedLen(len(plain))
	msg, err := enc.AppendAssociatedData(make([]byte, 0, message.HeaderLen+4+sealed), sealed)
	if err != nil {
		return nil, nil, err
	}
	if limit := s.fragmentLimit(); limit > 0 && len(msg)+sealed > limit && s.PeerExt.Fragmentation &&
		s.Peer != nil && s.Peer.Fragmentation != config.FragmentationNo && m.Exchange != message.ExchangeIKESAInit {
		packets, err = s.fragment(m.Header, first, plain, len(msg)+sealed, limit)
		return packets, nil, err
	}
	msg, err = s.skOut.Seal(msg, msg, plain, s.env.Rand)
	if err != nil {
		return nil, nil, err
	}
	return [][]byte{msg}, msg, nil
}

// fragmentLimit is the largest IKE message (without IP/UDP headers and
// non-ESP marker) that is sent unfragmented.
func (s *IKESA) fragmentLimit() int {
	n := s.env.Settings.FragmentSize
	if n == 0 {
		n = 1280
		if s.Remote.Addr().Is4() {
			n = 576
		}
	}
	if s.Remote.Addr().Is4() {
		n -= 20
	} else {
		n -= 40
	}
	n -= 8
	if s.Remote.Port() != 500 && s.Local.Port() != 500 {
		n -= 4
	}
	return n
}

// fragment splits the plaintext into SKF payloads as charon does: the
// content size is the limit minus IKE header, SKF header, IV, ICV, rounded
// down to the block size, minus the pad length octet.
func (s *IKESA) fragment(h message.Header, first message.PayloadType, plain []byte, total, limit int) ([][]byte, error) {
	iv, icv, bs := s.skOut.Layout()
	size := limit - message.HeaderLen - iv - icv - 8
	if bs > 1 {
		size -= size % bs
	}
	size--
	if size <= 0 {
		return nil, errors.New("fragment size too small")
	}
	count := (len(plain) + size - 1) / size
	if count > message.MaxFragments {
		return nil, fmt.Errorf("message needs %d fragments", count)
	}
	s.logf(log.ENC, 1, "splitting IKE message (%d bytes) into %d fragments", total, count)
	var out [][]byte
	for num := 1; len(plain) > 0; num++ {
		n := min(size, len(plain))
		next := message.PayloadNone
		if num == 1 {
			next = first
		}
		fm := &message.Message{Header: h, Payloads: []message.Payload{
			&message.EncryptedFragment{NextPayload: next, Number: uint16(num), Total: uint16(count)}}}
		s.logf(log.ENC, 1, "generating %s", fm)
		sealed := s.skOut.SealedLen(n)
		msg, err := fm.AppendAssociatedData(make([]byte, 0, message.HeaderLen+8+sealed), sealed)
		if err != nil {
			return nil, err
		}
		if msg, err = s.skOut.Seal(msg, msg, plain[:n], s.env.Rand); err != nil {
			return nil, err
		}
		out = append(out, msg)
		plain = plain[n:]
	}
	return out, nil
}

// send transmits one datagram to the peer.
func (s *IKESA) send(data []byte) {
	s.logf(log.NET, 1, "sending packet: from %s to %s (%d bytes)", hostPort(s.Local), hostPort(s.Remote), len(data))
	s.lastSent = s.env.Clock.Now()
	if err := s.env.Send(Packet{Src: s.Local, Dst: s.Remote, Data: data}); err != nil {
		s.logf(log.NET, 1, "error writing to socket: %v", err)
	}
}

// reassembly collects the fragments of one message (RFC 7383 section 2.6).
type reassembly struct {
	mid   uint32
	total uint16
	parts [][]byte
	have  int
	first *message.Message
	next  message.PayloadType
	size  int
}

// maxReassembly bounds the memory a peer can make us hold (charon uses
// charon.max_ikev2_fragments-style limits; 64 KiB plaintext is ample for
// certificate chains).
const maxReassembly = 1 << 16

// receive handles one datagram for this IKE_SA: decrypt, reassemble,
// check the payload rules, and hand it to the task manager.
func (s *IKESA) receive(pkt Packet, m *message.Message) {
	tm := s.tm
	if m.IsResponse() {
		if tm.initiating.exchange == 0 || m.MessageID != tm.initiating.mid {
			s.logf(log.IKE, 1, "received message ID %d, expected %d, ignored", m.MessageID, tm.initiating.mid)
			return
		}
	} else {
		switch {
		case m.MessageID == tm.responding.mid:
		case m.MessageID+1 == tm.responding.mid && len(tm.responding.packets) > 0:
			if f := m.Fragment(); f != nil && f.Number != 1 {
				return // only the first fragment of a retransmit triggers ours
			}
			s.logf(log.IKE, 1, "received retransmit of request with ID %d, retransmitting response", m.MessageID)
			for _, p := range tm.responding.packets {
				s.send(p)
			}
			return
		default:
			s.logf(log.IKE, 1, "received message ID %d, expected %d, ignored", m.MessageID, tm.responding.mid)
			return
		}
	}
	raw := pkt.Data
	switch p := m.Payloads[len(m.Payloads)-1].(type) {
	case *message.Encrypted:
		plain, ok := s.open(m, pkt.Data, p.Body)
		if !ok {
			return
		}
		inner, err := message.ParsePayloads(p.NextPayload, plain)
		if err != nil {
			s.logf(log.ENC, 1, "could not parse decrypted payloads: %v", err)
			s.malformed(m, err)
			return
		}
		if err := m.SetDecrypted(inner); err != nil {
			return
		}
	case *message.EncryptedFragment:
		var done bool
		if m, done = s.reassemble(m, pkt.Data, p); !done {
			return
		}
		raw = nil
	default:
		if m.Exchange != message.ExchangeIKESAInit {
			s.logf(log.ENC, 1, "%v message without encrypted payload, ignored", m.Exchange)
			return
		}
	}
	if m.Exchange == message.ExchangeIKESAInit && len(m.Payloads) > 0 {
		if _, isSK := m.Payloads[len(m.Payloads)-1].(*message.Encrypted); isSK {
			s.logf(log.ENC, 1, "IKE_SA_INIT with encrypted payload, ignored")
			return
		}
	}
	s.logf(log.ENC, 1, "parsed %s", m)
	if m.Exchange != message.ExchangeIKESAInit {
		// authenticated: follow the peer's NAT-T float and NAT mapping
		// changes (RFC 7296 section 2.23)
		s.updateHosts(pkt.Dst, pkt.Src)
	}
	if err := message.Check(m, true); err != nil {
		s.logf(log.ENC, 1, "%v", err)
		s.malformed(m, err)
		return
	}
	s.lastRecv = s.env.Clock.Now()
	tm.lastRaw = raw
	if m.IsResponse() {
		tm.processResponse(m)
	} else {
		tm.processRequest(m)
	}
	tm.lastRaw = nil
}

// open verifies and decrypts an SK body; wire is the whole datagram.
func (s *IKESA) open(m *message.Message, wire, body []byte) ([]byte, bool) {
	if s.skIn == nil {
		s.logf(log.ENC, 1, "received encrypted %v before keys are established, ignored", m.Exchange)
		return nil, false
	}
	buf := append([]byte(nil), wire...)
	plain, err := s.skIn.Open(buf[:len(buf)-len(body)], buf[len(buf)-len(body):])
	if err != nil {
		s.logf(log.ENC, 1, "integrity check failed")
		s.logf(log.ENC, 2, "%v", err)
		return nil, false
	}
	return plain, true
}

func (s *IKESA) reassemble(m *message.Message, wire []byte, f *message.EncryptedFragment) (*message.Message, bool) {
	slot := &s.tm.reqFrags
	if m.IsResponse() {
		slot = &s.tm.respFrags
	}
	r := *slot
	if r == nil || r.mid != m.MessageID || r.total != f.Total {
		if f.Total == 0 || f.Total > message.MaxFragments || f.Number == 0 || f.Number > f.Total {
			s.logf(log.ENC, 1, "received invalid IKE fragment %d/%d, ignored", f.Number, f.Total)
			return nil, false
		}
		r = &reassembly{mid: m.MessageID, total: f.Total, parts: make([][]byte, f.Total)}
		*slot = r
	}
	if f.Number == 0 || f.Number > r.total || r.parts[f.Number-1] != nil {
		return nil, false
	}
	plain, ok := s.open(m, wire, f.Body)
	if !ok {
		return nil, false
	}
	s.logf(log.ENC, 1, "parsed %s", m)
	if r.size+len(plain) > maxReassembly {
		s.logf(log.ENC, 1, "IKE fragments exceed %d bytes, ignored", maxReassembly)
		*slot = nil
		return nil, false
	}
	r.parts[f.Number-1] = plain
	r.size += len(plain)
	r.have++
	if f.Number == 1 {
		r.first, r.next = m, f.NextPayload
	}
	if r.have < int(r.total) {
		return nil, false
	}
	*slot = nil
	whole := make([]byte, 0, r.size)
	for _, p := range r.parts {
		whole = append(whole, p...)
	}
	inner, err := message.ParsePayloads(r.next, whole)
	if err != nil {
		s.logf(log.ENC, 1, "could not parse reassembled message: %v", err)
		s.malformed(r.first, err)
		return nil, false
	}
	if err := r.first.SetDecrypted(inner); err != nil {
		return nil, false
	}
	s.logf(log.ENC, 1, "received fragment #%d, reassembled fragmented IKE message (%d bytes)", f.Number, len(whole))
	return r.first, true
}

// malformed answers a syntactically broken but authenticated request with
// INVALID_SYNTAX (RFC 7296 section 2.21.2), and closes the IKE_SA after a
// broken response.
func (s *IKESA) malformed(m *message.Message, err error) {
	if m.IsResponse() {
		s.failed("invalid response")
		return
	}
	n := message.NotifyPayloadFor(err)
	if n == nil || m.Exchange == message.ExchangeIKESAInit {
		return
	}
	resp := s.newMessage(m.Exchange, m.MessageID, true)
	resp.Payloads = append(resp.Payloads, n)
	packets, _, gerr := s.generate(resp)
	if gerr != nil {
		return
	}
	s.tm.responding.packets = packets
	s.tm.responding.mid = m.MessageID + 1
	for _, p := range packets {
		s.send(p)
	}
	if m.Exchange == message.ExchangeIKEAuth {
		s.failed("")
	}
}
