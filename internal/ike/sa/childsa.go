package sa

import (
	"context"
	"fmt"
	"github.com/goswan/goswan/internal/log"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

// ChildState of a CHILD_SA, with charon's names.
type ChildState uint8

const (
	ChildCreated ChildState = iota
	ChildRouted
	ChildInstalling
	ChildInstalled
	ChildUpdating
	ChildRekeying
	ChildRekeyed
	ChildRetrying
	ChildDeleting
	ChildDeleted
	ChildDestroying
)

var childStateNames = [...]string{"CREATED", "ROUTED", "INSTALLING", "INSTALLED", "UPDATING",
	"REKEYING", "REKEYED", "RETRYING", "DELETING", "DELETED", "DESTROYING"}

func (s ChildState) String() string {
	if int(s) < len(childStateNames) {
		return childStateNames[s]
	}
	return fmt.Sprintf("CHILD_STATE(%d)", uint8(s))
}

// ChildSA is a pair of IPsec SAs (inbound and outbound) with their
// policies.
type ChildSA struct {
	UniqueID uint32
	Config   *cfg.Child
	State    ChildState
	Proto    uint8 // kernel.ProtoESP or ProtoAH
	Mode     kernel.Mode
	// SPIIn is ours (allocated in the kernel), SPIOut the peer's.
	SPIIn, SPIOut uint32
	ReqID         uint32
	Proposal      *crypto.Proposal
	// Initiator: we initiated the exchange that created this CHILD_SA.
	Initiator bool
	Local     []kernel.TS
	Remote    []kernel.TS
	// endpoints and encapsulation when installed
	LocalAddr, RemoteAddr netip.AddrPort
	Encap                 bool
	Installed             time.Time
	RekeyAt, ExpireAt     time.Time
	keys                  *crypto.ChildKeys
	propStr               proposalString
	// nPolicies policies were installed between polLocal and polRemote
	// (see eachPolicy)
	nPolicies           int
	polLocal, polRemote netip.Addr
	saInstalled         [2]bool // inbound, outbound
	timers              []interface{ Stop() bool }
	// noCloseAction disables the closeaction (a redundant CHILD_SA of a
	// rekey collision the peer deletes).
	noCloseAction bool
}

// Name is the config name (the conn name).
func (c *ChildSA) Name() string {
	if c.Config == nil {
		return ""
	}
	return c.Config.Name
}

func (c *ChildSA) label() string { return fmt.Sprintf("%s{%d}", c.Name(), c.UniqueID) }

func (c *ChildSA) snapshot() ChildSnapshot {
	sn := ChildSnapshot{
		UniqueID: c.UniqueID, Name: c.Name(), State: c.State, Mode: c.Mode, Proto: c.Proto,
		Encap: c.Encap, SPIIn: c.SPIIn, SPIOut: c.SPIOut, ReqID: c.ReqID,
		Local: c.Local, Remote: c.Remote, LocalAddr: c.LocalAddr.Addr(), RemoteAddr: c.RemoteAddr.Addr(),
		Installed: c.Installed, RekeyAt: c.RekeyAt, ExpireAt: c.ExpireAt,
	}
	if c.Proposal != nil {
		sn.Proposal = cachedString(&c.propStr, c.Proposal)
		sn.Algorithms = c.Proposal
	}
	return sn
}

// algorithms splits the child proposal into the kernel's ENCR and INTEG.
func childAlgorithms(p *crypto.Proposal) (encr, integ kernel.Algorithm, esn bool) {
	if t, ok := p.Get(crypto.TransformENCR); ok {
		encr = kernel.Algorithm{ID: t.ID, KeyLen: t.KeyLen}
	}
	if t, ok := p.Get(crypto.TransformINTEG); ok {
		integ = kernel.Algorithm{ID: t.ID}
	}
	if t, ok := p.Get(crypto.TransformESN); ok {
		esn = t.ID == crypto.ESNYes
	}
	return
}

// install adds both SAs and the policies to the kernel.
func (s *IKESA) installChild(c *ChildSA) error {
	ctx := context.Background()
	k := s.env.Kernel
	c.State = ChildInstalling
	c.LocalAddr, c.RemoteAddr = s.Local, s.Remote
	c.Encap = s.NATLocal || s.NATRemote || (c.Config != nil && c.Config.ForceEncap)
	encr, integ, esn := childAlgorithms(c.Proposal)
	inE, inI, outE, outI := c.keys.EncrI, c.keys.IntegI, c.keys.EncrR, c.keys.IntegR
	if c.Initiator {
		inE, inI, outE, outI = c.keys.EncrR, c.keys.IntegR, c.keys.EncrI, c.keys.IntegI
	}
	life := kernel.Lifetime{}
	if c.Config != nil {
		life = kernel.Lifetime{
			HardTime: c.Config.LifeTime, SoftTime: c.Config.RekeyTime,
			HardBytes: c.Config.LifeBytes, SoftBytes: c.Config.RekeyBytes,
			HardPackets: c.Config.LifePackets, SoftPackets: c.Config.RekeyPackets,
		}
	}
	window := s.env.Settings.ReplayWindow
	if c.Config != nil && c.Config.ReplayWindow >= 0 {
		window = uint32(c.Config.ReplayWindow)
	}
	for i, in := range []bool{true, false} {
		ksa := &kernel.SA{
			ReqID: c.ReqID, Mode: c.Mode, Inbound: in, Encap: c.Encap, ESN: esn,
			ReplayWindow: window, Lifetime: life, Local: c.Local, Remote: c.Remote,
			Initiator: c.Initiator,
		}
		ksa.Proto = c.Proto
		if in {
			ksa.Src, ksa.Dst, ksa.SPI = s.Remote.Addr(), s.Local.Addr(), c.SPIIn
			ksa.SrcPort, ksa.DstPort = s.Remote.Port(), s.Local.Port()
			ksa.Encr, ksa.Integ = withKey(encr, inE), withKey(integ, inI)
			if c.Config != nil {
				ksa.Mark = c.Config.MarkIn
			}
		} else {
			ksa.Src, ksa.Dst, ksa.SPI = s.Local.Addr(), s.Remote.Addr(), c.SPIOut
			ksa.SrcPort, ksa.DstPort = s.Local.Port(), s.Remote.Port()
			ksa.Encr, ksa.Integ = withKey(encr, outE), withKey(integ, outI)
			if c.Config != nil {
				ksa.Mark = c.Config.MarkOut
			}
		}
		if err := k.AddSA(ctx, ksa); err != nil {
			return fmt.Errorf("unable to install %s SA with SPI %08x into the kernel: %w",
				map[bool]string{true: "inbound", false: "outbound"}[in], ksa.SPI, err)
		}
		c.saInstalled[i] = true
	}
	if c.Config == nil || c.Config.InstallPolicy {
		if err := s.installPolicies(c); err != nil {
			return err
		}
	}
	c.State = ChildInstalled
	c.Installed = s.env.Clock.Now()
	return nil
}

func withKey(a kernel.Algorithm, key []byte) kernel.Algorithm {
	if a.ID == 0 {
		return a
	}
	a.Key = key
	return a
}

func (s *IKESA) installPolicies(c *ChildSA) error {
	ctx := context.Background()
	c.polLocal, c.polRemote, c.nPolicies = s.Local.Addr(), s.Remote.Addr(), 0
	var err error
	c.eachPolicy(c.polLocal, c.polRemote, func(p *kernel.Policy) bool {
		if e := s.env.Kernel.AddPolicy(ctx, p); e != nil {
			err = fmt.Errorf("unable to install policy %v for reqid %d: %w", p.Dir, c.ReqID, e)
			return false
		}
		c.nPolicies++
		return true
	})
	return err
}

// eachPolicy calls f with the policies of c between the outer addresses
// local and remote, in installation order, until f returns false. The
// policies are not kept: uninstalling builds the first nPolicies again
// with the addresses they were installed with (a CHILD_SA has many).
func (c *ChildSA) eachPolicy(local, remote netip.Addr, f func(p *kernel.Policy) bool) {
	for _, l := range c.Local {
		for _, r := range c.Remote {
			dirs := [3]kernel.Direction{kernel.DirOut, kernel.DirIn, kernel.DirFwd}
			n := 2
			if c.Mode == kernel.ModeTunnel {
				n = 3
			}
			for _, d := range dirs[:n] {
				p := kernel.Policy{Dir: d, Type: kernel.PolicyIPsec, ReqID: c.ReqID, Mode: c.Mode, Proto: c.Proto}
				if d == kernel.DirOut {
					p.Src, p.Dst = l, r
					p.SrcAddr, p.DstAddr, p.SPI = local, remote, c.SPIOut
					if c.Config != nil {
						p.Mark = c.Config.MarkOut
					}
				} else {
					p.Src, p.Dst = r, l
					p.SrcAddr, p.DstAddr, p.SPI = remote, local, c.SPIIn
					if c.Config != nil {
						p.Mark = c.Config.MarkIn
					}
				}
				if !f(&p) {
					return
				}
			}
		}
	}
}

// destroyChild removes a CHILD_SA from the kernel and the IKE_SA; down
// raises the down event (not for rekeyed or redundant CHILD_SAs).
func (s *IKESA) destroyChild(c *ChildSA, down bool) {
	s.uninstallChild(c, down)
	s.removeChild(c)
}

// childUsage returns the bytes a CHILD_SA carried in and out.
func (s *IKESA) childUsage(c *ChildSA) (in, out uint64) {
	ctx := context.Background()
	if c.saInstalled[0] {
		u, _ := s.env.Kernel.QuerySA(ctx, kernel.SAID{Src: c.RemoteAddr.Addr(), Dst: c.LocalAddr.Addr(), SPI: c.SPIIn, Proto: c.Proto, Mark: markOf(c, true)})
		in = u.Bytes
	}
	if c.saInstalled[1] {
		u, _ := s.env.Kernel.QuerySA(ctx, kernel.SAID{Src: c.LocalAddr.Addr(), Dst: c.RemoteAddr.Addr(), SPI: c.SPIOut, Proto: c.Proto, Mark: markOf(c, false)})
		out = u.Bytes
	}
	return in, out
}

// uninstallChild removes the CHILD_SA's SAs and policies from the kernel;
// down raises the CHILD_SA's down event if it was up.
func (s *IKESA) uninstallChild(c *ChildSA, down bool) {
	ctx := context.Background()
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	if c.nPolicies > 0 {
		installed := make([]kernel.Policy, 0, c.nPolicies)
		c.eachPolicy(c.polLocal, c.polRemote, func(p *kernel.Policy) bool {
			installed = append(installed, *p)
			return len(installed) < c.nPolicies
		})
		for i := len(installed) - 1; i >= 0; i-- {
			if err := s.env.Kernel.DelPolicy(ctx, &installed[i]); err != nil {
				s.logf(log.KNL, 2, "unable to delete policy: %v", err)
			}
		}
		c.nPolicies = 0
	}
	if c.saInstalled[0] {
		s.env.Kernel.DelSA(ctx, kernel.SAID{Src: c.RemoteAddr.Addr(), Dst: c.LocalAddr.Addr(), SPI: c.SPIIn, Proto: c.Proto, Mark: markOf(c, true)})
	}
	if c.saInstalled[1] {
		s.env.Kernel.DelSA(ctx, kernel.SAID{Src: c.LocalAddr.Addr(), Dst: c.RemoteAddr.Addr(), SPI: c.SPIOut, Proto: c.Proto, Mark: markOf(c, false)})
	}
	c.saInstalled = [2]bool{}
	switch c.State {
	case ChildInstalled, ChildUpdating, ChildRekeying, ChildRekeyed, ChildDeleting, ChildDeleted:
		if down {
			s.env.Bus.childUpDown(s, c, false)
		}
	}
	c.State = ChildDestroying
}

func markOf(c *ChildSA, in bool) kernel.Mark {
	if c.Config == nil {
		return kernel.Mark{}
	}
	if in {
		return c.Config.MarkIn
	}
	return c.Config.MarkOut
}
