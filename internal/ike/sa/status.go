package sa

import (
	"github.com/goswan/goswan/internal/ike/crypto"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/kernel"
)

// Snapshot is an immutable copy of an IKE_SA's state, published by its
// actor after every event, for status output and control commands.
type Snapshot struct {
	UniqueID          uint32
	Name              string
	State             State
	Initiator         bool
	SPIi, SPIr        uint64
	Local, Remote     netip.AddrPort
	LocalID, RemoteID string
	LocalAuth         string
	RemoteAuth        string
	Proposal          string
	// IKE is the negotiated IKE proposal (shared with the SA: read only).
	IKE                 *crypto.Proposal
	NATLocal, NATRemote bool
	Created             time.Time
	Established         time.Time
	RekeyAt, ReauthAt   time.Time
	Children            []ChildSnapshot
	// MyVIPs and PeerVIPs are the virtual IPs of the two ends.
	MyVIPs, PeerVIPs []netip.Addr
	Queued, Active   []string
	Passive          []string
}

// ChildSnapshot is the status of one CHILD_SA.
type ChildSnapshot struct {
	UniqueID      uint32
	Name          string
	State         ChildState
	Mode          kernel.Mode
	Proto         uint8
	Encap         bool
	SPIIn, SPIOut uint32
	ReqID         uint32
	Proposal      string
	// Algorithms is the negotiated proposal (shared: read only).
	Algorithms    *crypto.Proposal
	Local, Remote []kernel.TS
	LocalAddr     netip.Addr
	RemoteAddr    netip.Addr
	Installed     time.Time
	RekeyAt       time.Time
	ExpireAt      time.Time
}

func (s *IKESA) snapshot() *Snapshot {
	sn := &Snapshot{
		UniqueID: s.UniqueID, Name: s.Name(), State: s.state, Initiator: s.Initiator,
		SPIi: s.SPIi, SPIr: s.SPIr, Local: s.Local, Remote: s.Remote,
		NATLocal: s.NATLocal, NATRemote: s.NATRemote, Created: s.Created,
		Established: s.Established, RekeyAt: s.RekeyAt, ReauthAt: s.ReauthAt,
		LocalAuth: s.LocalAuthClass.String(), RemoteAuth: s.OtherAuthClass.String(),
	}
	if !s.LocalID.IsZero() {
		sn.LocalID = s.LocalID.String()
	}
	if !s.RemoteID.IsZero() {
		sn.RemoteID = s.RemoteID.String()
	}
	if s.Proposal != nil {
		sn.Proposal = cachedString(&s.propStr, s.Proposal)
		sn.IKE = s.Proposal
	}
	for _, c := range s.Children {
		sn.Children = append(sn.Children, c.snapshot())
	}
	sn.MyVIPs = append(sn.MyVIPs, s.MyVIPs...)
	sn.PeerVIPs = append(sn.PeerVIPs, s.PeerVIPs...)
	for _, q := range s.tm.queued {
		sn.Queued = append(sn.Queued, q.task.Type().String())
	}
	for _, t := range s.tm.active {
		sn.Active = append(sn.Active, t.Type().String())
	}
	for _, t := range s.tm.passive {
		sn.Passive = append(sn.Passive, t.Type().String())
	}
	return sn
}

// proposalString remembers the printed form of a proposal, which the
// snapshots an SA publishes after every event share. Negotiated proposals
// are not changed once set (a rekeying sets a new one).
type proposalString struct {
	p *crypto.Proposal
	s string
}

func cachedString(c *proposalString, p *crypto.Proposal) string {
	if c.p != p {
		c.p, c.s = p, p.String()
	}
	return c.s
}
