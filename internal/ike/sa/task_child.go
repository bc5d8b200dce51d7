package sa

import (
	"context"
	"fmt"
	"github.com/goswan/goswan/internal/log"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/kernel"
)

// childCreate negotiates a CHILD_SA, in IKE_AUTH or in a CREATE_CHILD_SA
// exchange (RFC 7296 sections 1.3.1, 2.9, 2.17), and installs it.
type childCreate struct {
	s         *IKESA
	initiator bool
	config    *cfg.Child
	child     *ChildSA
	// exchange data
	nonce, peerNonce []byte
	ke               crypto.KeyExchange
	keMethod         uint16
	peerKE           *message.KE
	secret           []byte
	proposals        []*crypto.Proposal // what we sent (initiator)
	tsi, tsr         []kernel.TS        // what we sent / what we selected
	recvTSi, recvTSr []kernel.TS        // what the initiator sent (responder)
	wantTransport    bool               // the initiator asked for transport mode
	received         []*crypto.Proposal
	selected         *crypto.Proposal
	transport        bool
	errType          message.NotifyType
	errData          []byte
	// rekeying: the CHILD_SA being replaced (reqid, config are kept)
	rekeys  *ChildSA
	retries int
	// useReqID is the reqid to use (a trap's, or of the CHILD_SA this one
	// recreates); 0 allocates one.
	useReqID uint32
}

func newChildCreate(s *IKESA, initiator bool, c *cfg.Child) *childCreate {
	return &childCreate{s: s, initiator: initiator, config: c}
}

func (t *childCreate) Type() TaskType { return TaskChildCreate }

// migrate moves a queued initiator task to the IKE_SA replacing its own.
func (t *childCreate) migrate(n *IKESA) {
	*t = childCreate{s: n, initiator: t.initiator, config: t.config, useReqID: t.useReqID}
}

func (t *childCreate) Build(m *message.Message) Status {
	switch m.Exchange {
	case message.ExchangeIKESAInit:
		return NeedMore
	case message.ExchangeIKEAuth, message.ExchangeCreateChildSA:
	default:
		return NeedMore
	}
	if t.initiator {
		return t.buildRequest(m)
	}
	return t.buildResponse(m)
}

func (t *childCreate) Process(m *message.Message) Status {
	switch m.Exchange {
	case message.ExchangeIKESAInit:
		return NeedMore
	case message.ExchangeIKEAuth:
		if t.s.state != StateEstablished && t.initiator {
			// authentication failed or continues (EAP): nothing to do yet
			if m.Payload(message.PayloadSA) == nil {
				return NeedMore
			}
		}
	}
	if t.initiator {
		return t.processResponse(m)
	}
	return t.processRequest(m)
}

func (t *childCreate) reqID() uint32 {
	switch {
	case t.rekeys != nil:
		return t.rekeys.ReqID
	case t.useReqID != 0:
		return t.useReqID
	case t.config != nil && t.config.ReqID != 0:
		return t.config.ReqID
	}
	if id := t.s.mgr.trapReqID(t.s.Peer, t.config); id != 0 {
		return id
	}
	return t.s.mgr.nextReqID.Add(1)
}

// newChild prepares the CHILD_SA and allocates our inbound SPI.
func (t *childCreate) newChild() error {
	s := t.s
	proto := kernel.ProtoESP
	if t.config != nil && t.config.AH {
		proto = kernel.ProtoAH
	}
	c := &ChildSA{UniqueID: s.mgr.nextChildID.Add(1), Config: t.config, Proto: proto,
		Mode: kernel.ModeTunnel, ReqID: t.reqID(), Initiator: t.initiator}
	spi, err := s.env.Kernel.GetSPI(context.Background(), s.Remote.Addr(), s.Local.Addr(), proto, c.ReqID)
	if err != nil {
		return fmt.Errorf("unable to allocate SPI from kernel: %w", err)
	}
	c.SPIIn = spi
	t.child = c
	return nil
}

func protoID(p uint8) message.ProtocolID {
	if p == kernel.ProtoAH {
		return message.ProtoAH
	}
	return message.ProtoESP
}

// proposalsFor returns the configured CHILD_SA proposals, without KE
// methods in IKE_AUTH (no PFS there).
func (t *childCreate) proposalsFor(x message.ExchangeType) []*crypto.Proposal {
	var out []*crypto.Proposal
	for _, p := range t.config.Proposals {
		c := p.Clone()
		if x == message.ExchangeIKEAuth || t.keMethod == 0 && x != message.ExchangeCreateChildSA {
			c.Transforms = removeType(c.Transforms, crypto.TransformKE)
		}
		out = append(out, c)
	}
	return out
}

func removeType(ts []crypto.Transform, typ crypto.TransformType) []crypto.Transform {
	out := ts[:0:0]
	for _, t := range ts {
		if t.Type != typ {
			out = append(out, t)
		}
	}
	return out
}

func (t *childCreate) buildRequest(m *message.Message) Status {
	s := t.s
	if t.config == nil {
		return Success
	}
	if t.child == nil && t.rekeys == nil && m.Exchange == message.ExchangeCreateChildSA {
		if dup := t.duplicate(); dup != nil {
			// as charon's check_for_duplicate: an installed CHILD_SA of the
			// same config and selectors already exists
			s.logf(log.IKE, 1, "not establishing CHILD_SA %s{%d} due to existing duplicate {%d} with SPIs %08x_i %08x_o and TS %s === %s",
				t.config.Name, s.mgr.nextChildID.Add(1), dup.UniqueID, dup.SPIIn, dup.SPIOut,
				kernel.FormatTSList(dup.Local), kernel.FormatTSList(dup.Remote))
			m.Exchange = 0
			s.notifyWaiters(nil)
			return Success
		}
	}
	if t.child == nil {
		if err := t.newChild(); err != nil {
			s.logf(log.IKE, 1, "%v", err)
			return t.abort(err)
		}
		if t.rekeys != nil || t.useReqID != 0 || t.config.ReqID != 0 {
			s.logf(log.IKE, 0, "establishing CHILD_SA %s reqid %d", t.child.label(), t.child.ReqID)
		} else {
			s.logf(log.IKE, 0, "establishing CHILD_SA %s", t.child.label())
		}
	}
	t.proposals = withSPI(t.proposalsFor(m.Exchange), spi32(t.child.SPIIn))
	for _, p := range t.proposals {
		p.Protocol = crypto.Protocol(protoID(t.child.Proto))
	}
	localHosts := s.dynamicHosts(true)
	if t.rekeys == nil && s.Peer != nil && len(s.Peer.VIPs) > 0 {
		// we want a virtual IP: propose the whole family and let the
		// responder narrow it to the address it assigns
		localHosts = nil
		for _, v := range s.Peer.VIPs {
			localHosts = append(localHosts, anyOfFamily(v))
		}
	}
	t.tsi = resolveTSHosts(t.config.Local, localHosts)
	t.tsr = resolveTSHosts(t.config.Remote, s.dynamicHosts(false))
	m.Payloads = append(m.Payloads, &message.SA{Proposals: toWire(t.proposals)})
	if m.Exchange == message.ExchangeCreateChildSA {
		if t.nonce == nil {
			n, err := nonce(s.env.Rand)
			if err != nil {
				return Failed
			}
			t.nonce = n
		}
		m.Payloads = append(m.Payloads, &message.Nonce{Data: t.nonce})
		if t.keMethod == 0 {
			t.keMethod = keMethod(t.proposals)
		}
		if t.keMethod != 0 {
			if t.ke == nil || t.ke.Method() != t.keMethod {
				ke, err := crypto.NewKeyExchange(t.keMethod, s.env.Rand)
				if err != nil {
					return t.abort(err)
				}
				t.ke = ke
			}
			m.Payloads = append(m.Payloads, &message.KE{Group: t.keMethod, Data: t.ke.PublicValue()})
		}
		if t.rekeys != nil {
			m.Payloads = append(m.Payloads, &message.Notify{Protocol: protoID(t.rekeys.Proto),
				SPI: spi32(t.rekeys.SPIIn), NotifyType: message.NotifyRekeySA})
		}
	}
	m.Payloads = append(m.Payloads, toWireTS(t.tsi, false), toWireTS(t.tsr, true))
	if t.config.Mode == config.ModeTransport {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyUseTransportMode})
	}
	return NeedMore
}

// scheduleRetry creates the CHILD_SA again later, after the peer answered
// TEMPORARY_FAILURE (charon's schedule_delayed_retry).
func (t *childCreate) scheduleRetry() {
	s := t.s
	d := retryInterval()
	n := newChildCreate(s, true, t.config)
	n.useReqID = t.useReqID
	if t.child != nil {
		n.useReqID = t.child.ReqID
	}
	s.logf(log.IKE, 1, "creating CHILD_SA failed, trying again in %d seconds", seconds(d))
	s.tm.queueDelayed(n, d)
}

// releaseSPI frees the inbound SPI allocated for a CHILD_SA that was not
// installed (as charon deletes the SA the allocation created).
func (t *childCreate) releaseSPI() {
	c := t.child
	if c == nil || c.SPIIn == 0 || c.saInstalled[0] || c.State != ChildCreated {
		return
	}
	s := t.s
	s.env.Kernel.DelSA(context.Background(), kernel.SAID{Src: s.Remote.Addr(), Dst: s.Local.Addr(), SPI: c.SPIIn,
		Proto: c.Proto, Mark: markOf(c, true)})
	c.State = ChildDestroying
}

// abort gives up this CHILD_SA without closing the IKE_SA.
func (t *childCreate) abort(err error) Status {
	s := t.s
	t.releaseSPI()
	if t.rekeys == nil {
		s.notifyWaiters(fmt.Errorf("establishing CHILD_SA failed: %v", err))
	}
	return Success
}

func (t *childCreate) processResponse(m *message.Message) Status {
	s := t.s
	if t.config == nil || t.child == nil {
		return Success
	}
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok || n.NotifyType >= 16384 {
			continue
		}
		switch n.NotifyType {
		case message.NotifyTemporaryFailure:
			s.logf(log.IKE, 1, "received %s notify, will retry later", n.NotifyType)
			t.releaseSPI()
			if t.rekeys == nil {
				// the rekeying task retries itself
				t.scheduleRetry()
			}
			return Success
		case message.NotifyInvalidKEPayload:
			if len(n.Data) == 2 && t.retries < maxInitRetries {
				want := uint16(n.Data[0])<<8 | uint16(n.Data[1])
				if offers(t.config.Proposals, want) {
					t.retries++
					s.logf(log.IKE, 1, "peer didn't accept DH group %s, it requested %s",
						crypto.AlgorithmName(crypto.TransformKE, t.keMethod), crypto.AlgorithmName(crypto.TransformKE, want))
					t.keMethod = want
					return NeedMore // the task manager sends the request again
				}
			}
		}
		s.logf(log.IKE, 1, "received %s notify, no CHILD_SA built", n.NotifyType)
		return t.abort(fmt.Errorf("peer sent %s", n.NotifyType))
	}
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	if sap == nil {
		if m.Exchange == message.ExchangeIKEAuth {
			return NeedMore // a later IKE_AUTH round (EAP) carries it
		}
		return t.abort(fmt.Errorf("no SA payload"))
	}
	got := fromWire(sap.Proposals)
	if len(got) != 1 {
		return t.abort(fmt.Errorf("peer selected %d CHILD_SA proposals", len(got)))
	}
	sel, err := crypto.SelectProposal(t.proposals, got, selectFlags(s.env.Settings)|crypto.PreferReceived)
	if err != nil || len(got[0].SPI) != 4 {
		s.logf(log.IKE, 1, "no acceptable proposal found")
		return t.abort(fmt.Errorf("no acceptable proposal"))
	}
	sel.SPI = got[0].SPI
	t.selected = sel
	t.child.SPIOut = uint32(sel.SPI[0])<<24 | uint32(sel.SPI[1])<<16 | uint32(sel.SPI[2])<<8 | uint32(sel.SPI[3])
	var tsi, tsr []kernel.TS
	for _, p := range m.Payloads {
		if ts, ok := p.(*message.TS); ok {
			if ts.Responder {
				tsr = fromWireTS(ts)
			} else {
				tsi = fromWireTS(ts)
			}
		}
	}
	if len(tsi) == 0 || len(tsr) == 0 || !subsetOf(tsi, t.tsi) || !subsetOf(tsr, t.tsr) {
		s.logf(log.IKE, 1, "received traffic selectors not acceptable")
		return t.abort(fmt.Errorf("traffic selectors unacceptable"))
	}
	t.child.Local, t.child.Remote = tsi, tsr
	t.transport = m.Notify(message.NotifyUseTransportMode) != nil && t.config.Mode == config.ModeTransport
	if m.Exchange == message.ExchangeCreateChildSA {
		np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
		if np == nil {
			return t.abort(fmt.Errorf("no nonce"))
		}
		t.peerNonce = np.Data
		if ke, ok := sel.Get(crypto.TransformKE); ok && ke.ID != 0 {
			kep, _ := m.Payload(message.PayloadKE).(*message.KE)
			if kep == nil || t.ke == nil || kep.Group != ke.ID {
				return t.abort(fmt.Errorf("missing or wrong KE payload"))
			}
			if t.secret, err = t.ke.SharedSecret(kep.Data); err != nil {
				return t.abort(err)
			}
		}
	}
	if err := t.install(); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		return t.abort(err)
	}
	return Success
}

// install derives the keys and installs the CHILD_SA.
func (t *childCreate) install() error {
	s := t.s
	c := t.child
	c.Proposal = t.selected
	if t.transport {
		c.Mode = kernel.ModeTransport
	}
	ni, nr := s.Ni, s.Nr
	if t.nonce != nil {
		if t.initiator {
			ni, nr = t.nonce, t.peerNonce
		} else {
			ni, nr = t.peerNonce, t.nonce
		}
	}
	var secrets [][]byte
	if t.secret != nil {
		secrets = append(secrets, t.secret)
	}
	keys, err := crypto.DeriveChildKeys(c.Proposal, s.Keys.PRF, s.Keys.SKd, ni, nr, secrets...)
	if err != nil {
		return fmt.Errorf("CHILD_SA key derivation failed: %w", err)
	}
	c.keys = keys
	s.logf(log.CFG, 1, "selected proposal: %s", c.Proposal)
	if err := s.installChild(c); err != nil {
		s.uninstallChild(c, false)
		return err
	}
	s.Children = append(s.Children, c)
	encap := ""
	if c.Encap {
		encap = " (UDP encapsulated)"
	}
	_ = encap
	s.logf(log.IKE, 0, "CHILD_SA %s established with SPIs %08x_i %08x_o and TS %s === %s", c.label(),
		c.SPIIn, c.SPIOut, kernel.FormatTSList(c.Local), kernel.FormatTSList(c.Remote))
	s.scheduleChildLifetimes(c)
	s.env.Bus.childKeys(s, c)
	if t.rekeys == nil {
		// as charon: no up event for a rekeyed CHILD_SA (listeners learn
		// of the rekey from the rekey hook)
		s.env.Bus.childUpDown(s, c, true)
		s.notifyWaiters(nil)
	}
	return nil
}

// selectConfig picks the CHILD_SA config for a responder by the
// traffic selectors (charon's select_child_cfg).
func (t *childCreate) selectConfig(tsi, tsr []kernel.TS) *cfg.Child {
	s := t.s
	if s.Peer == nil {
		return nil
	}
	for _, c := range s.Peer.Children {
		local := resolveTSHosts(c.Local, s.dynamicHosts(true))
		remote := resolveTSHosts(c.Remote, s.dynamicHosts(false))
		if len(narrow(local, tsr)) > 0 && len(narrow(remote, tsi)) > 0 {
			return c
		}
	}
	return nil
}

// selectTS picks the config by the received selectors (if none is set)
// and narrows them (responder); false sets TS_UNACCEPTABLE.
func (t *childCreate) selectTS() bool {
	s := t.s
	tsi, tsr := t.recvTSi, t.recvTSr
	if t.config == nil {
		t.config = t.selectConfig(tsi, tsr)
	}
	if t.config != nil {
		local := narrow(resolveTSHosts(t.config.Local, s.dynamicHosts(true)), tsr)
		remote := narrow(resolveTSHosts(t.config.Remote, s.dynamicHosts(false)), tsi)
		if len(local) > 0 && len(remote) > 0 {
			t.tsi, t.tsr = remote, local
			return true
		}
	}
	s.logf(log.CFG, 1, "traffic selectors %s === %s unacceptable", kernel.FormatTSList(tsr), kernel.FormatTSList(tsi))
	t.errType = message.NotifyTSUnacceptable
	return false
}

func (t *childCreate) processRequest(m *message.Message) Status {
	s := t.s
	if m.Exchange == message.ExchangeIKEAuth && s.state != StateEstablished && !s.authDone {
		return NeedMore
	}
	sap, _ := m.Payload(message.PayloadSA).(*message.SA)
	if sap == nil {
		if m.Exchange == message.ExchangeIKEAuth {
			return NeedMore
		}
		t.errType = message.NotifyInvalidSyntax
		return NeedMore
	}
	var tsi, tsr []kernel.TS
	for _, p := range m.Payloads {
		if ts, ok := p.(*message.TS); ok {
			if ts.Responder {
				tsr = fromWireTS(ts)
			} else {
				tsi = fromWireTS(ts)
			}
		}
	}
	t.received = fromWire(sap.Proposals)
	t.recvTSi, t.recvTSr = tsi, tsr
	t.wantTransport = m.Notify(message.NotifyUseTransportMode) != nil
	if m.Exchange == message.ExchangeIKEAuth {
		// selectors and proposal are chosen when the response is built:
		// the config payload may assign the peer a virtual IP first
		return NeedMore
	}
	np, _ := m.Payload(message.PayloadNonce).(*message.Nonce)
	if np == nil {
		t.errType = message.NotifyInvalidSyntax
		return NeedMore
	}
	t.peerNonce = np.Data
	t.peerKE, _ = m.Payload(message.PayloadKE).(*message.KE)
	if t.selectTS() {
		t.selectProposal(m.Exchange)
	}
	return NeedMore
}

// selectProposal picks the CHILD_SA proposal among the received ones
// (responder); on failure it sets the notify to send.
func (t *childCreate) selectProposal(x message.ExchangeType) bool {
	s := t.s
	configured := t.proposalsFor(x)
	if x == message.ExchangeCreateChildSA && t.peerKE == nil {
		// the peer does not want PFS: accept proposals without KE
		for _, p := range configured {
			p.Transforms = removeType(p.Transforms, crypto.TransformKE)
		}
	}
	s.logf(log.CFG, 2, "received proposals: %s", crypto.FormatProposals(t.received))
	s.logf(log.CFG, 2, "configured proposals: %s", crypto.FormatProposals(configured))
	sel, err := crypto.SelectProposal(configured, t.received, selectFlags(s.env.Settings))
	if err != nil || len(sel.SPI) != 4 {
		s.logf(log.IKE, 1, "no acceptable proposal found")
		t.errType = message.NotifyNoProposalChosen
		return false
	}
	if ke, ok := sel.Get(crypto.TransformKE); ok && ke.ID != 0 {
		if t.peerKE == nil || t.peerKE.Group != ke.ID {
			t.errType = message.NotifyInvalidKEPayload
			t.errData = []byte{byte(ke.ID >> 8), byte(ke.ID)}
			return false
		}
	}
	t.selected = sel
	t.transport = t.wantTransport && t.config.Mode == config.ModeTransport
	return true
}

func (t *childCreate) buildResponse(m *message.Message) Status {
	s := t.s
	if m.Exchange == message.ExchangeIKEAuth && s.state != StateEstablished {
		return NeedMore
	}
	if m.Exchange == message.ExchangeCreateChildSA {
		switch s.state {
		case StateRekeying:
			s.logf(log.IKE, 1, "unable to create CHILD_SA while rekeying IKE_SA")
			m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyTemporaryFailure})
			return Success
		case StateDeleting:
			s.logf(log.IKE, 1, "unable to create CHILD_SA while deleting IKE_SA")
			m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyTemporaryFailure})
			return Success
		}
	}
	if m.Exchange == message.ExchangeIKEAuth {
		if m.Notify(message.NotifyInternalAddressFailure) != nil || m.Notify(message.NotifyFailedCPRequired) != nil {
			s.logf(log.IKE, 1, "configuration payload negotiation failed, no CHILD_SA built")
			return Success
		}
		if t.received != nil && t.errType == 0 && t.selectTS() {
			t.selectProposal(m.Exchange)
		}
	}
	if t.errType != 0 {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: t.errType, Data: t.errData})
		return Success
	}
	if t.selected == nil {
		return Success // no CHILD_SA requested (childless)
	}
	if err := t.newChild(); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyNoProposalChosen})
		return Success
	}
	c := t.child
	c.SPIOut = uint32(t.selected.SPI[0])<<24 | uint32(t.selected.SPI[1])<<16 | uint32(t.selected.SPI[2])<<8 | uint32(t.selected.SPI[3])
	c.Local, c.Remote = t.tsr, t.tsi
	resp := t.selected.Clone()
	resp.SPI = spi32(c.SPIIn)
	m.Payloads = append(m.Payloads, &message.SA{Proposals: toWire([]*crypto.Proposal{resp})})
	if m.Exchange == message.ExchangeCreateChildSA {
		n, err := nonce(s.env.Rand)
		if err != nil {
			return Failed
		}
		t.nonce = n
		m.Payloads = append(m.Payloads, &message.Nonce{Data: n})
		if t.peerKE != nil {
			if ke, ok := t.selected.Get(crypto.TransformKE); ok && ke.ID != 0 {
				value, secret, err := crypto.RespondKeyExchange(t.peerKE.Group, t.peerKE.Data, s.env.Rand)
				if err != nil {
					m.Payloads = m.Payloads[:len(m.Payloads)-2]
					m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyNoProposalChosen})
					return Success
				}
				t.secret = secret
				m.Payloads = append(m.Payloads, &message.KE{Group: t.peerKE.Group, Data: value})
			}
		}
	}
	m.Payloads = append(m.Payloads, toWireTS(t.tsi, false), toWireTS(t.tsr, true))
	if t.transport {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyUseTransportMode})
	}
	if err := t.install(); err != nil {
		s.logf(log.IKE, 1, "%v", err)
		// the response is already built: the peer will install its SA; we
		// delete ours right away (charon sends a DELETE after the response)
		s.queueChildDeleteSPI(c.Proto, c.SPIIn)
	}
	return Success
}

// duplicate returns an installed CHILD_SA that makes this one redundant,
// as charon's check_for_duplicate: the same config and, where the new one
// has a static reqid (configured, or a trap's), the same reqid.
func (t *childCreate) duplicate() *ChildSA {
	s := t.s
	static := t.useReqID
	if static == 0 {
		static = t.config.ReqID
	}
	for _, c := range s.Children {
		if c.Config != t.config || c.State != ChildInstalled {
			continue
		}
		if static != 0 && c.ReqID != static {
			continue
		}
		return c
	}
	return nil
}
