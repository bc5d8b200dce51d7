package sa

import (
	"errors"
	"fmt"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/auth"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// ikeAuth runs IKE_AUTH (RFC 7296 section 1.2, 2.15): identities and AUTH
// payloads with pre-shared keys or certificates (RFC 7427 signatures), and
// on the responder the choice of the peer config the identities and
// credentials select, switching to another one when constraints fail.
type ikeAuth struct {
	s         *IKESA
	initiator bool
	// responder
	failed         bool
	peerID         identity.ID
	myID           identity.ID
	initialContact bool
}

func newIKEAuth(s *IKESA, initiator bool) *ikeAuth { return &ikeAuth{s: s, initiator: initiator} }

func (t *ikeAuth) Type() TaskType { return TaskIKEAuth }

// localAuthRound is the config of our current authentication round.
func (s *IKESA) localAuthRound() *cfg.Auth {
	if s.Peer == nil || len(s.Peer.LocalAuth) == 0 {
		return nil
	}
	return s.Peer.LocalAuth[0]
}

func idPayload(id identity.ID, responder bool) *message.ID {
	return &message.ID{Responder: responder, IDType: message.IDType(id.Type()), Data: id.Data()}
}

// idBody is RestOfInitIDPayload / RestOfRespIDPayload of RFC 7296 2.15.
func idBody(p *message.ID) []byte {
	b, _ := p.AppendMarshal(nil)
	return b
}

func (t *ikeAuth) Build(m *message.Message) Status {
	if m.Exchange != message.ExchangeIKEAuth {
		return NeedMore
	}
	if t.initiator {
		return t.buildRequest(m)
	}
	return t.buildResponse(m)
}

func (t *ikeAuth) Process(m *message.Message) Status {
	if m.Exchange != message.ExchangeIKEAuth {
		return NeedMore
	}
	if t.initiator {
		return t.processResponse(m)
	}
	return t.processRequest(m)
}

// authenticate builds our AUTH payload over octets.
func (s *IKESA) authenticate(a *cfg.Auth, octets []byte) (*message.Auth, error) {
	switch a.Class {
	case cfg.AuthPSK:
		key, ok := s.env.Creds().SharedKey(s.LocalID, s.remoteIDForSecrets())
		if !ok {
			return nil, fmt.Errorf("no shared key found for '%s' - '%s'", s.LocalID, s.remoteIDForSecrets())
		}
		mac, err := crypto.SharedKeyAuth(s.Keys.PRF, key, octets)
		if err != nil {
			return nil, err
		}
		s.logf(log.IKE, 0, "authentication of '%s' (myself) with pre-shared key", s.LocalID)
		s.LocalAuthClass = cfg.AuthPSK
		return &message.Auth{Method: message.AuthPSK, Data: mac}, nil
	case cfg.AuthPubkey, cfg.AuthAny:
		cert, key, chain, err := s.env.Creds().LocalCert(a.CertFiles, s.LocalID)
		if err != nil {
			return nil, fmt.Errorf("no private key found for '%s': %v", s.LocalID, err)
		}
		s.localCert, s.localKey, s.localChain = cert, key, chain
		method, data, params, err := auth.SignAuth(key, octets, s.PeerExt.SigHashes, auth.SignOptions{RSAPSS: s.env.Settings.RSAPSS, Rand: s.env.Rand})
		if err != nil {
			return nil, err
		}
		s.logf(log.IKE, 0, "authentication of '%s' (myself) with %s successful", s.LocalID, params)
		s.LocalAuthClass = cfg.AuthPubkey
		return &message.Auth{Method: method, Data: data}, nil
	}
	return nil, fmt.Errorf("authentication method %s not supported", a.Method)
}

// remoteIDForSecrets is the peer identity used to look up shared keys:
// the received one, or the configured one before it is known.
func (s *IKESA) remoteIDForSecrets() identity.ID {
	if !s.RemoteID.IsZero() {
		return s.RemoteID
	}
	if s.Peer != nil && len(s.Peer.RemoteAuth) > 0 {
		return s.Peer.RemoteAuth[0].ID
	}
	return identity.AnyID
}

// verify checks the peer's AUTH payload for the auth config a, as
// charon's authenticators: every applicable PSK is tried, every trusted
// certificate of the peer until one verifies the signature.
func (s *IKESA) verify(a *cfg.Auth, ap *message.Auth, octets []byte) error {
	switch ap.Method {
	case message.AuthPSK:
		if a.Class != cfg.AuthPSK && a.Class != cfg.AuthAny {
			return fmt.Errorf("peer requested pre-shared key authentication, but %s is configured", a.Class)
		}
		keys := s.env.Creds().SharedKeys(s.LocalID, s.RemoteID)
		for _, key := range keys {
			if auth.VerifyPSK(s.Keys.PRF, key, octets, ap.Data) {
				s.logf(log.IKE, 0, "authentication of '%s' with pre-shared key successful", s.RemoteID)
				s.OtherAuthClass = cfg.AuthPSK
				return nil
			}
		}
		if len(keys) == 0 {
			return fmt.Errorf("no shared key found for '%s' - '%s'", s.LocalID, s.RemoteID)
		}
		s.logf(log.IKE, 1, "tried %d shared key%s for '%s' - '%s', but MAC mismatched", len(keys), plural(len(keys)), s.LocalID, s.RemoteID)
		return errMACMismatch
	}
	if a.Class != cfg.AuthPubkey && a.Class != cfg.AuthAny {
		return fmt.Errorf("peer requested public key authentication, but %s is configured", a.Class)
	}
	params, err := auth.ParseAuth(ap.Method, ap.Data)
	if err != nil {
		return fmt.Errorf("%v", err)
	}
	tried := 0
	for ch := range s.env.Creds().PeerChains(s.RemoteID, params.KeyType(), s.peerCerts, a.CA) {
		for _, line := range ch.Log {
			s.logf(log.CFG, 1, "%s", line)
		}
		if ch.Err != nil {
			continue
		}
		tried++
		if err := params.Verify(ch.Leaf().PublicKey, octets); err != nil {
			s.logf(log.IKE, 1, "signature validation failed, looking for another key")
			continue
		}
		s.logf(log.IKE, 0, "authentication of '%s' with %s successful", s.RemoteID, params)
		for _, line := range ch.ConstraintLog {
			s.logf(log.CFG, 1, "%s", line)
		}
		s.OtherAuthClass = cfg.AuthPubkey
		return nil
	}
	if tried == 0 {
		return fmt.Errorf("%s", auth.NoTrustedKey(params.KeyType(), s.RemoteID))
	}
	return fmt.Errorf("signature validation failed")
}

var errMACMismatch = errors.New("MAC mismatched")

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// checkConstraints enforces rightca= and rightgroups= (groups need a
// source such as RADIUS; without one a group constraint fails).
func (s *IKESA) checkConstraints(a *cfg.Auth) error {
	if len(a.Groups) > 0 && !s.memberOf(a.Groups) {
		return fmt.Errorf("constraint check failed: group membership to '%s' required", a.Groups[0])
	}
	return nil
}

// memberOf reports group membership established during authentication
// (EAP-RADIUS Filter-Id, certificate attributes); none in the core yet.
func (s *IKESA) memberOf(groups []string) bool {
	for _, g := range groups {
		for _, have := range s.Groups {
			if g == have {
				return true
			}
		}
	}
	return false
}

func (t *ikeAuth) buildRequest(m *message.Message) Status {
	s := t.s
	a := s.localAuthRound()
	if a == nil {
		s.logf(log.IKE, 1, "no authentication config found")
		return Failed
	}
	s.LocalID = a.ID
	idi := idPayload(s.LocalID, false)
	m.Payloads = append(m.Payloads, idi)
	if s.Peer.UniqueIDs != config.UniqueIDsNever && !s.mgr.hasPeer(s, s.LocalID, s.Peer.RemoteAuth) {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyInitialContact})
	}
	if len(s.Peer.RemoteAuth) > 0 {
		r := s.Peer.RemoteAuth[0].ID
		if r.Type() != identity.Any && !r.ContainsWildcards() {
			m.Payloads = append(m.Payloads, idPayload(r, true))
		}
	}
	octets, err := crypto.AuthOctets(s.Keys.PRF, s.InitRequest, s.Nr, s.Keys.SKpi, idBody(idi))
	if err != nil {
		return Failed
	}
	ap, err := s.authenticate(a, octets)
	if err != nil {
		s.logf(log.IKE, 1, "%v", err)
		s.logf(log.IKE, 1, "generating AUTH payload failed")
		return Failed
	}
	m.Payloads = append(m.Payloads, ap)
	if s.Peer.Mobike {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyMOBIKESupported})
	}
	m.Payloads = append(m.Payloads,
		&message.Notify{NotifyType: message.NotifyMultipleAuthSupported},
		&message.Notify{NotifyType: message.NotifyEAPOnlyAuthentication},
		&message.Notify{NotifyType: message.NotifyIKEv2MessageIDSyncSupported})
	return NeedMore
}

func (t *ikeAuth) processResponse(m *message.Message) Status {
	s := t.s
	for _, p := range m.Payloads {
		n, ok := p.(*message.Notify)
		if !ok || n.NotifyType >= 16384 {
			continue
		}
		switch n.NotifyType {
		case message.NotifyNoProposalChosen, message.NotifySinglePairRequired, message.NotifyNoAdditionalSAs,
			message.NotifyInternalAddressFailure, message.NotifyFailedCPRequired, message.NotifyTSUnacceptable,
			message.NotifyInvalidSelectors:
			// errors of the CHILD_SA, handled by its task
		default:
			s.logf(log.IKE, 1, "received %s notify error", n.NotifyType)
			return Failed
		}
	}
	idr, _ := m.Payload(message.PayloadIDr).(*message.ID)
	ap, _ := m.Payload(message.PayloadAuth).(*message.Auth)
	if idr == nil || ap == nil {
		s.logf(log.IKE, 1, "IDr or AUTH payload missing")
		return Failed
	}
	s.RemoteID = identity.FromPayload(uint8(idr.IDType), idr.Data)
	ra := s.Peer.RemoteAuth[0]
	if ra.ID.Matches(s.RemoteID) == identity.MatchNone {
		s.logf(log.CFG, 1, "constraint check failed: identity '%s' required ", ra.ID)
		return Failed
	}
	octets, err := crypto.AuthOctets(s.Keys.PRF, s.InitResponse, s.Ni, s.Keys.SKpr, idBody(idr))
	if err != nil {
		return Failed
	}
	if err := s.verify(ra, ap, octets); err != nil {
		if !errors.Is(err, errMACMismatch) {
			s.logf(log.IKE, 1, "%v", err)
		}
		return Failed
	}
	if err := s.checkConstraints(ra); err != nil {
		s.logf(log.CFG, 1, "%v", err)
		return Failed
	}
	if m.Notify(message.NotifyMOBIKESupported) != nil {
		s.PeerExt.Mobike = true
	}
	if !s.env.Bus.authorize(s, true) {
		s.logf(log.IKE, 1, "authorization failed")
		return Failed
	}
	s.authDone = true
	s.establish()
	return Success
}

func (t *ikeAuth) processRequest(m *message.Message) Status {
	s := t.s
	idi, _ := m.Payload(message.PayloadIDi).(*message.ID)
	ap, _ := m.Payload(message.PayloadAuth).(*message.Auth)
	if idi == nil {
		s.logf(log.IKE, 1, "IDi payload missing")
		t.failed = true
		return NeedMore
	}
	t.peerID = identity.FromPayload(uint8(idi.IDType), idi.Data)
	if idr, ok := m.Payload(message.PayloadIDr).(*message.ID); ok {
		t.myID = identity.FromPayload(uint8(idr.IDType), idr.Data)
	}
	t.initialContact = m.Notify(message.NotifyInitialContact) != nil
	if m.Notify(message.NotifyMOBIKESupported) != nil {
		s.PeerExt.Mobike = true
	}
	myStr := "%any"
	if !t.myID.IsZero() {
		myStr = t.myID.String()
	}
	s.logf(log.CFG, 1, "looking for peer configs matching %s[%s]...%s[%s]", s.Local.Addr(), myStr, s.Remote.Addr(), t.peerID)
	candidates := cfg.MatchPeers(s.env.Config(), s.Local.Addr(), s.Remote.Addr(), t.myID, t.peerID)
	if len(candidates) == 0 {
		s.logf(log.CFG, 1, "no matching peer config found")
		t.failed = true
		return NeedMore
	}
	if ap == nil {
		s.logf(log.IKE, 1, "peer requested EAP, which is not supported yet")
		t.failed = true
		return NeedMore
	}
	s.RemoteID = t.peerID
	for i, p := range candidates {
		if i == 0 {
			s.logf(log.CFG, 1, "selected peer config '%s'", p.Name)
		} else {
			s.logf(log.CFG, 1, "switching to peer config '%s'", p.Name)
		}
		s.Peer = p
		s.LocalID = p.LocalAuth[0].ID
		if s.LocalID.Type() == identity.Any {
			s.LocalID = identity.FromAddr(s.Local.Addr())
		}
		octets, err := crypto.AuthOctets(s.Keys.PRF, s.InitRequest, s.Nr, s.Keys.SKpi, idBody(idi))
		if err != nil {
			break
		}
		ra := p.RemoteAuth[0]
		if err := s.verify(ra, ap, octets); err != nil {
			if !errors.Is(err, errMACMismatch) {
				s.logf(log.IKE, 1, "%v", err)
			}
			if errors.Is(err, errMACMismatch) {
				break // a wrong PSK does not get better with another config
			}
			continue
		}
		if err := s.checkConstraints(ra); err != nil {
			s.logf(log.CFG, 1, "%v", err)
			continue
		}
		if !s.env.Bus.authorize(s, true) {
			continue
		}
		s.authDone = true
		return NeedMore
	}
	t.failed = true
	return NeedMore
}

func (t *ikeAuth) buildResponse(m *message.Message) Status {
	s := t.s
	if t.failed || !s.authDone {
		s.logf(log.IKE, 1, "peer authentication failed")
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyAuthenticationFailed})
		return Failed
	}
	if s.mgr.checkUniqueness(s, t.initialContact) {
		s.logf(log.IKE, 1, "canceling IKE_SA setup due to uniqueness policy")
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyAuthenticationFailed})
		return Failed
	}
	a := s.localAuthRound()
	idr := idPayload(s.LocalID, true)
	m.Payloads = append(m.Payloads, idr)
	octets, err := crypto.AuthOctets(s.Keys.PRF, s.InitResponse, s.Ni, s.Keys.SKpr, idBody(idr))
	if err != nil {
		return Failed
	}
	ap, err := s.authenticate(a, octets)
	if err != nil {
		s.logf(log.IKE, 1, "%v", err)
		m.Payloads = m.Payloads[:len(m.Payloads)-1]
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyAuthenticationFailed})
		return Failed
	}
	m.Payloads = append(m.Payloads, ap)
	if s.Peer.Mobike && s.PeerExt.Mobike {
		m.Payloads = append(m.Payloads, &message.Notify{NotifyType: message.NotifyMOBIKESupported})
	}
	s.establish()
	return Success
}
