package sa

import (
	gocrypto "crypto"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"github.com/goswan/goswan/internal/ike/attr"
	"io"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/log"
)

// State of an IKE_SA, with charon's names.
type State uint8

const (
	StateCreated State = iota
	StateConnecting
	StateEstablished
	StatePassive
	StateRekeying
	StateRekeyed
	StateDeleting
	StateDestroying
)

var stateNames = [...]string{"CREATED", "CONNECTING", "ESTABLISHED", "PASSIVE", "REKEYING", "REKEYED", "DELETING", "DESTROYING"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("STATE(%d)", uint8(s))
}

// Extensions the peer announced support for.
type Extensions struct {
	Fragmentation  bool
	SigHashes      []uint16 // SIGNATURE_HASH_ALGORITHMS, nil if not sent
	Mobike         bool
	MultipleAuth   bool
	Redirect       bool
	InitialContact bool
}

// IKESA is one IKE_SA. All fields are owned by the SA's actor goroutine.
type IKESA struct {
	env *Env
	// indexedID is the identities the manager's byID files the SA under,
	// if indexed (written under the manager's lock by the SA's own
	// goroutine)
	indexedID idKey
	indexed   bool
	// UniqueID is the number charon shows in brackets: rw[3].
	UniqueID uint32
	Peer     *cfg.Peer
	state    State
	// Initiator: we are the original initiator of this IKE_SA.
	Initiator  bool
	SPIi, SPIr uint64
	Local      netip.AddrPort
	Remote     netip.AddrPort
	LocalID    identity.ID
	RemoteID   identity.ID
	// Proposal is the negotiated IKE proposal, Keys its keys; skOut and
	// skIn protect sent and received SK payloads.
	Proposal *crypto.Proposal
	propStr  proposalString
	Keys     *crypto.IKEKeys
	skOut    *crypto.SK
	skIn     *crypto.SK
	// Ni, Nr are the nonces of the exchange that created the keys;
	// InitRequest/InitResponse the IKE_SA_INIT messages as sent (AUTH).
	Ni, Nr       []byte
	InitRequest  []byte
	InitResponse []byte
	// NAT: NATLocal means we are behind a NAT, NATRemote the peer is.
	NATLocal, NATRemote bool
	// NATFaked is set when NAT-D did not match only because the peer
	// fakes it (strongSwan's libipsec); it is still treated as NAT.
	PeerExt     Extensions
	Children    []*ChildSA
	Created     time.Time
	Established time.Time
	// RekeyAt, ReauthAt and ExpireAt are the scheduled times (zero: none).
	RekeyAt, ReauthAt, ExpireAt time.Time
	// OtherCerts are the certificates the peer sent (end entity first).
	OtherAuthClass cfg.AuthClass
	LocalAuthClass cfg.AuthClass
	// keyingTry counts initiation attempts (keyingtries).
	keyingTry uint32
	// PeerVIPs are the virtual IPs assigned to the peer (the config
	// payload extension sets them), EAPAuthenticated is set after the
	// peer authenticated with EAP: with either, only the original
	// initiator can reauthenticate, so the responder sends AUTH_LIFETIME
	// (RFC 4478) instead of reauthenticating itself.
	PeerVIPs         []netip.Addr
	EAPAuthenticated bool
	// EAPIdentity is the peer's EAP identity, if it sent one.
	EAPIdentity identity.ID
	// MyVIPs are the virtual IPs assigned to us and installed on the
	// host; handled the attributes handlers applied (DNS servers...).
	MyVIPs  []netip.Addr
	handled []handledAttr
	// origInitiator: we initiated the first IKE_SA of this connection
	// (kept across rekeyings, charon's COND_ORIGINAL_INITIATOR).
	origInitiator bool
	// reauthenticating: a reauthentication of this IKE_SA is under way
	// (COND_REAUTHENTICATING).
	reauthenticating bool
	// noDownEvent suppresses the IKE down event when a rekeyed or
	// redundant IKE_SA is deleted.
	noDownEvent bool
	// rekeyTimer, reauthTimer and expireTimer run at RekeyAt, ReauthAt
	// and ExpireAt.
	rekeyTimer, reauthTimer, expireTimer clock.Timer

	tm    *taskManager
	actor *actor
	mgr   *Manager
	// running: the actor's goroutine was started; finished: it released
	// everything and runs what was left in its mailbox
	running, finished bool
	// halfOpen: counted as half-open by the manager (responder, before
	// IKE_AUTH completes).
	halfOpen bool
	initKey  halfOpenKey
	// waiters are told when the IKE_SA and its first CHILD_SA are up
	// (nil) or the attempt failed (ipsec up).
	waiters []func(error)
	// lastRecv is when the last valid message arrived (DPD).
	lastRecv time.Time
	lastSent time.Time
	// keepaliveArmed: the NAT-T keepalive timer runs
	keepaliveArmed bool
	// authentication state (IKE_AUTH)
	peerCerts       []*x509.Certificate
	localCert       *x509.Certificate
	localKey        gocrypto.Signer
	localChain      []*x509.Certificate
	certReqReceived bool
	authDone        bool
	// Groups are the peer's group memberships (RADIUS, certificates).
	Groups    []string
	timers    []interface{ Stop() bool }
	onDestroy []func()
}

// State returns the IKE_SA's state.
func (s *IKESA) State() State { return s.state }

// Name is the peer config's name ("" before one is chosen).
func (s *IKESA) Name() string {
	if s.Peer == nil {
		return ""
	}
	return s.Peer.Name
}

// LocalSPI is our SPI of this IKE_SA.
func (s *IKESA) LocalSPI() uint64 {
	if s.Initiator {
		return s.SPIi
	}
	return s.SPIr
}

func (s *IKESA) setState(st State) {
	if st == s.state {
		return
	}
	s.logf(log.IKE, 2, "IKE_SA %s state change: %v => %v", s.label(), s.state, st)
	s.state = st
}

// label is "name[id]" as charon prints IKE_SAs.
func (s *IKESA) label() string {
	name := s.Name()
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Sprintf("%s[%d]", name, s.UniqueID)
}

func (s *IKESA) logCtx() log.Context {
	return attr.LogContext(s.UniqueID, s.Name())
}

func (s *IKESA) logf(group log.Group, level log.Level, format string, args ...any) {
	if !s.env.Log.Enabled(group, level) {
		return
	}
	s.env.Log.Log(group, level, s.logCtx(), format, args...)
}

// spiBytes returns the 8-byte form of an SPI as used in key derivation.
func spiBytes(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// randomSPI returns a random non-zero IKE SPI.
func randomSPI(r io.Reader) (uint64, error) {
	var b [8]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, err
		}
		if v := binary.BigEndian.Uint64(b[:]); v != 0 {
			return v, nil
		}
	}
}

// nonce returns a fresh nonce of the size strongSwan uses (32 bytes).
func nonce(r io.Reader) ([]byte, error) {
	b := make([]byte, 32)
	_, err := io.ReadFull(r, b)
	return b, err
}

// installKeys derives the SK protectors after the keys are known.
func (s *IKESA) installKeys(k *crypto.IKEKeys) error {
	out, in, err := k.SKs(s.Proposal, s.Initiator)
	if err != nil {
		return err
	}
	s.Keys, s.skOut, s.skIn = k, out, in
	s.env.Bus.ikeKeys(s)
	return nil
}

// Child returns the CHILD_SA with the given unique ID.
func (s *IKESA) Child(id uint32) *ChildSA {
	for _, c := range s.Children {
		if c.UniqueID == id {
			return c
		}
	}
	return nil
}

// childBySPI finds a CHILD_SA by one of its SPIs (inbound or outbound).
func (s *IKESA) childBySPI(proto uint8, spi uint32, inbound bool) *ChildSA {
	for _, c := range s.Children {
		if c.Proto != proto {
			continue
		}
		if (inbound && c.SPIIn == spi) || (!inbound && c.SPIOut == spi) {
			return c
		}
	}
	return nil
}

func (s *IKESA) removeChild(c *ChildSA) {
	for i, o := range s.Children {
		if o == c {
			s.Children = append(s.Children[:i], s.Children[i+1:]...)
			return
		}
	}
}

// canReauthenticate reports whether we can reauthenticate this IKE_SA as
// responder: not when we assigned virtual IPs or the peer used EAP
// (charon's ike_sa_can_reauthenticate).
func (s *IKESA) canReauthenticate() bool {
	return len(s.PeerVIPs) == 0 && !s.EAPAuthenticated
}

// childBySAID finds a CHILD_SA of this IKE_SA by either SPI: our inbound
// SPI with dst our address, or the peer's with dst its address (how the
// kernel reports SAs).
func (s *IKESA) childBySAID(proto uint8, spi uint32, dst netip.Addr) *ChildSA {
	for _, c := range s.Children {
		if c.Proto != proto {
			continue
		}
		if (c.SPIIn == spi && (!dst.IsValid() || dst == c.LocalAddr.Addr())) ||
			(c.SPIOut == spi && (!dst.IsValid() || dst == c.RemoteAddr.Addr())) {
			return c
		}
	}
	return nil
}
