package sa

import (
	"bytes"
	"fmt"
	"github.com/goswan/goswan/internal/log"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/auth"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// ikeInit negotiates the IKE_SA's proposal, key exchange and nonces
// (RFC 7296 section 1.2), with INVALID_KE_PAYLOAD and COOKIE retries
// (sections 1.3 and 2.6), and the extensions announced in IKE_SA_INIT.
type ikeInit struct {
	s         *IKESA
	initiator bool
	ke        crypto.KeyExchange
	keMethod  uint16
	nonce     []byte
	cookie    []byte
	retries   int
	// responder
	received []*crypto.Proposal
	peerKE   *message.KE
	errType  message.NotifyType
	errData  []byte
}

func newIKEInit(s *IKESA, initiator bool) *ikeInit { return &ikeInit{s: s, initiator: initiator} }

func (t *ikeInit) Type() TaskType { return TaskIKEInit }

const maxInitRetries = 5

func (t *ikeInit) Build(m *message.Message) Status {
	if t.initiator {
		return t.buildRequest(m)
	}
	return t.buildResponse(m)
}

func (t *ikeInit) Process(m *message.Message) Status {
	if t.initiator {
		return t.processResponse(m)
	}
	return t.processRequest(m)
}

func (t *ikeInit) buildRequest(m *message.Message) Status {
	s := t.s
	if s.state == StateCreated {
		if err := s.resolveEndpoints(); err != nil {
			s.logf(log.IKE, 1, "%v", err)
			return Failed
		}
		s.logf(log.IKE, 0, "initiating IKE_SA %s to %s", s.label(), s.Remote.Addr())
		s.setState(StateConnecting)
	}
	props := s.Peer.IKE
	if t.keMethod == 0 {
		t.keMethod = keMethod(props)
	}
	if t.ke == nil || t.ke.Method() != t.keMethod {
		ke, err := crypto.NewKeyExchange(t.keMethod, s.env.Rand)
		if err != nil {
			s.logf(log.IKE, 1, "key exchange method %s not supported: %v", crypto.AlgorithmName(crypto.TransformKE, t.keMethod), err)
			return Failed
		}
		t.ke = ke
	}
	if t.nonce == nil {
		n, err := nonce(s.env.Rand)
		if err != nil {
			return Failed
		}
		t.nonce = n
	}
	if t.cookie != nil {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyCookie, Data: t.cookie})
	}
	m.Payloads = append(m.Payloads,
		&message.SA{Proposals: toWire(props)},
		&message.KE{Group: t.keMethod, Data: t.ke.PublicValue()},
		&message.Nonce{Data: t.nonce})
	t.addExtensions(m)
	s.Ni = t.nonce
	return NeedMore
}

// addExtensions adds the notifies charon sends in IKE_SA_INIT.
func (t *ikeInit) addExtensions(m *message.Message) {
	s := t.s
	if s.Peer == nil || s.Peer.Fragmentation != config.FragmentationNo {
		if t.initiator || s.PeerExt.Fragmentation {
			m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyFragmentationSupported})
		}
	}
	if s.env.Settings.SignatureAuth {
		data := []byte{}
		for _, h := range auth.SupportedHashes() {
			data = append(data, byte(h>>8), byte(h))
		}
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifySignatureHashAlgorithms, Data: data})
	}
	if t.initiator {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyRedirectSupported})
	} else {
		m.Payloads = append(m.Payloads,
			&message.Notify{NotifyType: message.NotifyChildlessIKEv2Supported},
			&message.Notify{NotifyType: message.NotifyMultipleAuthSupported})
	}
}

func (t *ikeInit) PostBuild(m *message.Message, raw []byte) Status {
	if m.Exchange != message.ExchangeIKESAInit {
		return NeedMore
	}
	if t.initiator {
		t.s.InitRequest = raw
	} else if t.errType == 0 {
		t.s.InitResponse = raw
	}
	return NeedMore
}

func (t *ikeInit) PreProcess(m *message.Message, raw []byte) Status {
	if m.Exchange != message.ExchangeIKESAInit {
		return NeedMore
	}
	if t.initiator {
		t.s.InitResponse = raw
	} else {
		t.s.InitRequest = raw
	}
	return NeedMore
}

// noteExtensions records what the peer supports.
func (t *ikeInit) noteExtensions(m *message.Message) {
	s := t.s
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok {
			continue
		}
		switch n.NotifyType {
		case message.NotifyFragmentationSupported:
			s.PeerExt.Fragmentation = true
		case message.NotifySignatureHashAlgorithms:
			s.PeerExt.SigHashes = n.Uint16s()
			if s.PeerExt.SigHashes == nil {
				s.PeerExt.SigHashes = []uint16{}
			}
		case message.NotifyMultipleAuthSupported:
			s.PeerExt.MultipleAuth = true
		case message.NotifyRedirectSupported:
			s.PeerExt.Redirect = true
		}
	}
}

func (t *ikeInit) processResponse(m *message.Message) Status {
	s := t.s
	if m.Exchange != message.ExchangeIKESAInit {
		return NeedMore
	}
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok {
			continue
		}
		switch {
		case n.NotifyType == message.NotifyCookie:
			if t.retries++; t.retries > maxInitRetries {
				s.logf(log.IKE, 1, "received too many COOKIE notifies, giving up")
				return Failed
			}
			s.logf(log.IKE, 2, "received %d cookie bytes, retrying", len(n.Data))
			t.cookie = append([]byte(nil), n.Data...)
			return Retry
		case n.NotifyType == message.NotifyInvalidKEPayload:
			if len(n.Data) != 2 {
				return Failed
			}
			want := uint16(n.Data[0])<<8 | uint16(n.Data[1])
			if t.retries++; t.retries > maxInitRetries || !offers(s.Peer.IKE, want) {
				s.logf(log.IKE, 1, "peer requested %s, which we did not propose",
					crypto.AlgorithmName(crypto.TransformKE, want))
				return Failed
			}
			s.logf(log.IKE, 1, "peer didn't accept DH group %s, it requested %s",
				crypto.AlgorithmName(crypto.TransformKE, t.keMethod), crypto.AlgorithmName(crypto.TransformKE, want))
			t.keMethod = want
			return Retry
		case n.NotifyType < 16384:
			s.logf(log.IKE, 1, "received %s notify error", n.NotifyType)
			return Failed
		}
	}
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	kep, _ := m.Payload(message.PayloadKE).(*message.KE)
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	if sap == nil || kep == nil || np == nil {
		s.logf(log.IKE, 1, "peer's IKE_SA_INIT response lacks SA, KE or Nonce")
		return Failed
	}
	got := fromWire(sap.Proposals)
	if len(got) != 1 {
		s.logf(log.IKE, 1, "peer selected %d proposals, expected one", len(got))
		return Failed
	}
	sel, err := crypto.SelectProposal(s.Peer.IKE, got, selectFlags(s.env.Settings)|crypto.PreferReceived)
	if err != nil || !sel.Equal(got[0]) {
		s.logf(log.IKE, 1, "peer selected an invalid proposal")
		return Failed
	}
	if kep.Group != t.keMethod {
		s.logf(log.IKE, 1, "peer's KE payload uses %s, expected %s", crypto.AlgorithmName(crypto.TransformKE, kep.Group),
			crypto.AlgorithmName(crypto.TransformKE, t.keMethod))
		return Failed
	}
	secret, err := t.ke.SharedSecret(kep.Data)
	if err != nil {
		s.logf(log.IKE, 1, "applying DH public value failed: %v", err)
		return Failed
	}
	s.Proposal = got[0]
	s.logf(log.CFG, 1, "selected proposal: %s", s.Proposal)
	s.SPIr = m.SPIr
	s.Nr = bytes.Clone(np.Data) // not the whole datagram
	t.noteExtensions(m)
	return t.derive(secret)
}

func (t *ikeInit) derive(secret []byte) Status {
	s := t.s
	s.logf(log.IKE, 4, "shared Diffie Hellman secret %B", log.Hex(secret))
	k, err := crypto.DeriveIKEKeys(s.Proposal, s.Ni, s.Nr, secret, spiBytes(s.SPIi), spiBytes(s.SPIr))
	if err != nil {
		s.logf(log.IKE, 1, "key derivation failed: %v", err)
		return Failed
	}
	if err := s.installKeys(k); err != nil {
		s.logf(log.IKE, 1, "key derivation failed: %v", err)
		return Failed
	}
	return Success
}

func (t *ikeInit) processRequest(m *message.Message) Status {
	s := t.s
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	kep, _ := m.Payload(message.PayloadKE).(*message.KE)
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	if sap == nil || kep == nil || np == nil {
		t.errType = message.NotifyInvalidSyntax
		return Failed
	}
	s.logf(log.IKE, 0, "%s is initiating an IKE_SA", s.Remote.Addr())
	s.setState(StateConnecting)
	t.received = fromWire(sap.Proposals)
	t.peerKE = kep
	s.Ni = bytes.Clone(np.Data) // not the whole datagram
	t.noteExtensions(m)
	peers := s.mgr.peersFor(s.Local.Addr(), s.Remote.Addr())
	if len(peers) == 0 {
		s.logf(log.IKE, 1, "no IKE config found for %s...%s, sending NO_PROPOSAL_CHOSEN", s.Local.Addr(), s.Remote.Addr())
		t.errType = message.NotifyNoProposalChosen
		return Failed
	}
	s.logf(log.CFG, 2, "received proposals: %s", crypto.FormatProposals(t.received))
	var sel *crypto.Proposal
	var chosen *cfg.Peer
	for _, p := range peers {
		s.logf(log.CFG, 2, "configured proposals: %s", crypto.FormatProposals(p.IKE))
		if got, err := crypto.SelectProposal(p.IKE, t.received, selectFlags(s.env.Settings)); err == nil {
			sel, chosen = got, p
			break
		}
	}
	if sel == nil {
		s.logf(log.IKE, 1, "received proposals unacceptable")
		t.errType = message.NotifyNoProposalChosen
		return Failed
	}
	s.logf(log.CFG, 1, "selected proposal: %s", sel)
	s.Peer = chosen
	s.Proposal = sel
	want, _ := sel.Get(crypto.TransformKE)
	if kep.Group != want.ID {
		s.logf(log.IKE, 1, "DH group %s unacceptable, requesting %s",
			crypto.AlgorithmName(crypto.TransformKE, kep.Group), crypto.AlgorithmName(crypto.TransformKE, want.ID))
		t.errType = message.NotifyInvalidKEPayload
		t.errData = []byte{byte(want.ID >> 8), byte(want.ID)}
		return Failed
	}
	return NeedMore
}

func (t *ikeInit) buildResponse(m *message.Message) Status {
	s := t.s
	if t.errType != 0 {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: t.errType, Data: t.errData})
		return Failed
	}
	value, secret, err := crypto.RespondKeyExchange(t.peerKE.Group, t.peerKE.Data, s.env.Rand)
	if err != nil {
		s.logf(log.IKE, 1, "applying DH public value failed: %v", err)
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyNoProposalChosen})
		return Failed
	}
	if s.Nr, err = nonce(s.env.Rand); err != nil {
		return Failed
	}
	wire := toWire([]*crypto.Proposal{s.Proposal})
	m.Payloads = append(m.Payloads,
		&message.SA{Proposals: wire},
		&message.KE{Group: t.peerKE.Group, Data: value},
		&message.Nonce{Data: s.Nr})
	t.addExtensions(m)
	if st := t.derive(secret); st != Success {
		return Failed
	}
	return Success
}

// Method of the key exchange is needed to detect a changed group.
var _ = fmt.Sprintf
