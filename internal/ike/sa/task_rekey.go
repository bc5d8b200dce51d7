package sa

import (
	"fmt"
	"github.com/goswan/goswan/internal/log"

	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// childRekey rekeys a CHILD_SA (RFC 7296 section 1.3.3): a new CHILD_SA
// with the same config and reqid is created with a REKEY_SA notify; the
// initiator of the rekeying then deletes the old one.
type childRekey struct {
	s         *IKESA
	initiator bool
	old       *ChildSA
	create    *childCreate
}

func newChildRekey(s *IKESA, initiator bool, old *ChildSA) *childRekey {
	return &childRekey{s: s, initiator: initiator, old: old}
}

func (t *childRekey) Type() TaskType { return TaskChildRekey }

// RekeyChild queues the rekeying of a CHILD_SA.
func (s *IKESA) RekeyChild(c *ChildSA) {
	if c.State != ChildInstalled {
		return
	}
	s.tm.queue(newChildRekey(s, true, c))
	s.tm.initiate()
}

func (t *childRekey) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		if s.Child(t.old.UniqueID) == nil || t.old.State != ChildInstalled {
			m.Exchange = 0 // the CHILD_SA went away meanwhile
			return Success
		}
		if t.create == nil {
			t.create = newChildCreate(s, true, t.old.Config)
			t.create.rekeys = t.old
		}
		t.old.State = ChildRekeying
		return t.create.Build(m)
	}
	if t.create == nil {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyChildSANotFound})
		return Success
	}
	st := t.create.Build(m)
	if t.create.child != nil && t.create.child.State == ChildInstalled {
		t.old.State = ChildRekeyed
	}
	return st
}

func (t *childRekey) Process(m *message.Message) Status {
	s := t.s
	if t.initiator {
		t.create.Process(m)
		if t.create.child != nil && t.create.child.State == ChildInstalled {
			t.old.State = ChildRekeyed
			s.logf(log.IKE, 1, "CHILD_SA %s rekeyed, deleting %s", t.create.child.label(), t.old.label())
			s.tm.queue(&childDelete{s: s, initiator: true, children: []*ChildSA{t.old}})
		} else {
			t.old.State = ChildInstalled
		}
		return Success
	}
	n := m.Notify(message.NotifyRekeySA)
	spi, ok := n.SPI32()
	if !ok {
		return NeedMore
	}
	proto := protoFromWire(n.Protocol)
	t.old = s.childBySPI(proto, spi, false)
	if t.old == nil {
		s.logf(log.IKE, 1, "CHILD_SA %s{%08x} not found for rekey", protoName(proto), spi)
		return NeedMore
	}
	s.logf(log.IKE, 1, "received CHILD_SA rekey request for %s", t.old.label())
	t.create = newChildCreate(s, false, t.old.Config)
	t.create.rekeys = t.old
	return t.create.Process(m)
}

func protoFromWire(p message.ProtocolID) uint8 {
	if p == message.ProtoAH {
		return 51
	}
	return 50
}

// ikeRekey rekeys the IKE_SA (RFC 7296 section 2.18): a new IKE_SA with
// new SPIs and keys derived from the old SK_d takes over the CHILD_SAs;
// the initiator of the rekeying then deletes the old IKE_SA.
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
}

func newIKERekey(s *IKESA, initiator bool) *ikeRekey { return &ikeRekey{s: s, initiator: initiator} }

func (t *ikeRekey) Type() TaskType { return TaskIKERekey }

// startIKERekey is the rekey timer's action.
func (s *IKESA) startIKERekey() {
	if s.state != StateEstablished {
		return
	}
	s.logf(log.IKE, 1, "rekeying IKE_SA %s", s.label())
	s.tm.queue(newIKERekey(s, true))
	s.tm.initiate()
}

// Rekey queues an IKE_SA rekeying (ipsec stroke rekey NAME[N]).
func (s *IKESA) Rekey() { s.startIKERekey() }

func (t *ikeRekey) Build(m *message.Message) Status {
	s := t.s
	if t.initiator {
		if s.state != StateEstablished {
			m.Exchange = 0
			return Success
		}
		var err error
		if t.spi == 0 {
			if t.spi, err = randomSPI(s.env.Rand); err != nil {
				return Failed
			}
			if t.nonce, err = nonce(s.env.Rand); err != nil {
				return Failed
			}
		}
		if t.keMethod == 0 {
			t.keMethod = keMethod(s.Peer.IKE)
		}
		if t.ke == nil || t.ke.Method() != t.keMethod {
			if t.ke, err = crypto.NewKeyExchange(t.keMethod, s.env.Rand); err != nil {
				return Failed
			}
		}
		s.setState(StateRekeying)
		m.Payloads = append(m.Payloads,
			&message.SA{Proposals: toWire(withSPI(s.Peer.IKE, spiBytes(t.spi)))},
			&message.Nonce{Data: t.nonce},
			&message.KE{Group: t.keMethod, Data: t.ke.PublicValue()})
		return NeedMore
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
	resp := t.selected.Clone()
	resp.SPI = spiBytes(t.spi)
	m.Payloads = append(m.Payloads,
		&message.SA{Proposals: toWire([]*crypto.Proposal{resp})},
		&message.Nonce{Data: t.nonce},
		&message.KE{Group: t.peerKE.Group, Data: value})
	spii := beUint64(t.selected.SPI)
	if err := s.adoptRekeyed(false, spii, t.spi, t.selected, t.peerNonce, t.nonce, secret); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		return Success
	}
	s.setState(StateRekeyed)
	return Success
}

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
			t.errType = message.NotifyNoProposalChosen
			return NeedMore
		}
		if ke, _ := sel.Get(crypto.TransformKE); ke.ID != t.peerKE.Group {
			t.errType = message.NotifyInvalidKEPayload
			t.errData = []byte{byte(ke.ID >> 8), byte(ke.ID)}
			return NeedMore
		}
		t.selected = sel
		return NeedMore
	}
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok || n.NotifyType >= 16384 {
			continue
		}
		s.setState(StateEstablished)
		if n.NotifyType == message.NotifyInvalidKEPayload && len(n.Data) == 2 && t.retries < maxInitRetries {
			want := uint16(n.Data[0])<<8 | uint16(n.Data[1])
			if offers(s.Peer.IKE, want) {
				t.retries++
				t.keMethod = want
				s.tm.queue(t)
				return Success
			}
		}
		s.logf(log.IKE, 1, "received %s notify, IKE_SA rekeying failed", n.NotifyType)
		return Success
	}
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	kep, _ := m.Payload(message.PayloadKE).(*message.KE)
	if sap == nil || np == nil || kep == nil || len(sap.Proposals) != 1 || kep.Group != t.keMethod {
		s.setState(StateEstablished)
		s.logf(log.IKE, 1, "invalid IKE_SA rekey response")
		return Success
	}
	got := fromWire(sap.Proposals)
	if _, err := crypto.SelectProposal(s.Peer.IKE, got, selectFlags(s.env.Settings)|crypto.PreferReceived); err != nil || len(got[0].SPI) != 8 {
		s.setState(StateEstablished)
		return Success
	}
	secret, err := t.ke.SharedSecret(kep.Data)
	if err != nil {
		s.setState(StateEstablished)
		return Success
	}
	if err := s.adoptRekeyed(true, t.spi, beUint64(got[0].SPI), got[0], t.nonce, np.Data, secret); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		s.setState(StateEstablished)
		return Success
	}
	s.setState(StateRekeyed)
	s.tm.queue(&ikeDelete{s: s, initiator: true})
	return Success
}

// adoptRekeyed creates the IKE_SA that replaces s, moves the CHILD_SAs to
// it and starts it.
func (s *IKESA) adoptRekeyed(initiator bool, spii, spir uint64, p *crypto.Proposal, ni, nr, secret []byte) error {
	keys, err := crypto.DeriveRekeyedIKEKeys(p, s.Keys.PRF, s.Keys.SKd, ni, nr, spiBytes(spii), spiBytes(spir), secret)
	if err != nil {
		return fmt.Errorf("key derivation for rekeyed IKE_SA failed: %w", err)
	}
	n := &IKESA{env: s.env, mgr: s.mgr, UniqueID: s.mgr.nextIKEID.Add(1), Peer: s.Peer,
		Initiator: initiator, SPIi: spii, SPIr: spir, Local: s.Local, Remote: s.Remote,
		LocalID: s.LocalID, RemoteID: s.RemoteID, Proposal: p.Clone(), Ni: ni, Nr: nr,
		NATLocal: s.NATLocal, NATRemote: s.NATRemote, PeerExt: s.PeerExt,
		Created: s.env.Clock.Now(), LocalAuthClass: s.LocalAuthClass, OtherAuthClass: s.OtherAuthClass}
	n.Proposal.SPI = nil
	n.tm = newTaskManager(n)
	n.actor = newActor()
	if err := n.installKeys(keys); err != nil {
		return err
	}
	n.Children = s.Children
	s.Children = nil
	n.state = StateEstablished
	n.Established = n.Created
	n.lastRecv = s.lastRecv
	s.logf(log.IKE, 0, "IKE_SA %s rekeyed between %s[%s]...%s[%s]", n.label(), n.Local.Addr(), n.LocalID,
		n.Remote.Addr(), n.RemoteID)
	s.mgr.start(n)
	n.actor.post(func(n *IKESA) {
		n.scheduleIKELifetimes()
		n.scheduleDPD()
	})
	return nil
}

// startReauth reauthenticates the IKE_SA, break-before-make as charon
// 5.9 does by default: the IKE_SA is deleted and a new one with the same
// CHILD_SAs initiated (make-before-break with charon.make_before_break).
func (s *IKESA) startReauth() {
	if s.state != StateEstablished {
		return
	}
	s.logf(log.IKE, 0, "reauthenticating IKE_SA %s", s.label())
	var children []*cfg.Child
	for _, c := range s.Children {
		if c.Config != nil {
			children = append(children, c.Config)
		}
	}
	if len(children) == 0 && s.Peer != nil && len(s.Peer.Children) > 0 {
		children = s.Peer.Children[:1]
	}
	start := func() {
		n, err := s.mgr.newSA(true)
		if err != nil {
			return
		}
		n.Peer, n.keyingTry = s.Peer, 1
		var first *cfg.Child
		if len(children) > 0 {
			first = children[0]
		}
		n.queueIKEInit(first)
		for _, c := range children[min(1, len(children)):] {
			n.tm.queue(newChildCreate(n, true, c))
		}
		s.mgr.start(n)
		n.actor.post(func(n *IKESA) { n.tm.initiate() })
	}
	if s.env.Settings.MakeBeforeBreak {
		start()
		s.Delete()
		return
	}
	s.Delete()
	start()
}
