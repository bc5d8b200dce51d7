// Package kernel is the boundary between the IKE daemon and the operating
// system's IPsec and networking: interfaces plus plain data types. The IKE
// core programs SAs and policies and learns about acquires, expiries,
// NAT mapping changes and address changes only through it. Two backends
// implement it: kernel/xfrm (Linux XFRM over netlink) and kernel/userspace
// (ESP in Go over a TUN device); kernel/fake records calls for tests.
//
// This package imports only the standard library: nothing of internal/ike
// and no backend.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Protocol numbers of IPsec SAs.
const (
	ProtoESP uint8 = 50
	ProtoAH  uint8 = 51
)

// Mode of an SA or policy.
type Mode uint8

const (
	ModeTunnel Mode = iota + 1
	ModeTransport
	ModeBEET
)

func (m Mode) String() string {
	switch m {
	case ModeTunnel:
		return "TUNNEL"
	case ModeTransport:
		return "TRANSPORT"
	case ModeBEET:
		return "BEET"
	}
	return fmt.Sprintf("MODE(%d)", uint8(m))
}

// Mark is an XFRM mark (value/mask); the zero Mark means none.
type Mark struct{ Value, Mask uint32 }

// TS is one traffic selector: a protocol, an address range and a port
// range, as IKEv2 negotiates them (RFC 7296 section 3.13.1). Proto 0 means
// any protocol; ports 0-65535 any port. For ICMP the ports carry type and
// code as in IKEv2.
type TS struct {
	Proto      uint8
	Start, End netip.Addr
	FromPort   uint16
	ToPort     uint16
}

// Prefix returns the TS's address range as a prefix if it is one.
func (t TS) Prefix() (netip.Prefix, bool) {
	if !t.Start.IsValid() || t.Start.BitLen() != t.End.BitLen() {
		return netip.Prefix{}, false
	}
	for bits := 0; bits <= t.Start.BitLen(); bits++ {
		p, err := t.Start.Prefix(bits)
		if err != nil || p.Addr() != t.Start {
			continue
		}
		if lastAddr(p) == t.End {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Algorithm is an IKEv2 transform ID (RFC 7296 / IANA) with its key.
// KeyLen is in bits for ciphers with variable keys (0 otherwise); the key
// includes the salt of AEAD and counter-mode ciphers.
type Algorithm struct {
	ID     uint16
	KeyLen uint16
	Key    []byte
}

// Lifetime limits an SA; zero fields mean no limit. Soft limits raise an
// Expire event with Hard=false (time to rekey), hard ones delete the SA
// and raise Hard=true.
type Lifetime struct {
	SoftTime, HardTime       time.Duration
	SoftBytes, HardBytes     uint64
	SoftPackets, HardPackets uint64
}

// SAID identifies an SA.
type SAID struct {
	Src, Dst netip.Addr
	SPI      uint32
	Proto    uint8
	Mark     Mark
}

// SA is everything needed to add one (unidirectional) IPsec SA.
type SA struct {
	SAID
	ReqID   uint32
	Mode    Mode
	Inbound bool
	// Encap: UDP encapsulation (RFC 3948) with these ports.
	Encap            bool
	SrcPort, DstPort uint16
	Encr, Integ      Algorithm
	ESN              bool
	ReplayWindow     uint32
	Lifetime         Lifetime
	// Local and Remote are the negotiated traffic selectors (used by
	// transport mode and by backends that check them on the SA).
	Local, Remote []TS
	IfID          uint32
	// Initiator is set on the SAs of the CHILD_SA's initiator.
	Initiator bool
}

// Usage are the counters of an SA.
type Usage struct {
	Bytes, Packets uint64
	// LastUse is zero if the SA was never used.
	LastUse time.Time
}

// Direction of a policy.
type Direction uint8

const (
	DirIn Direction = iota + 1
	DirOut
	DirFwd
)

func (d Direction) String() string {
	switch d {
	case DirIn:
		return "in"
	case DirOut:
		return "out"
	case DirFwd:
		return "fwd"
	}
	return fmt.Sprintf("dir(%d)", uint8(d))
}

// PolicyType says what a policy does with matching traffic.
type PolicyType uint8

const (
	PolicyIPsec PolicyType = iota + 1 // protect with the SAs below
	PolicyPass                        // bypass (shunt)
	PolicyDrop                        // drop (shunt)
)

// Policy is one SPD entry. For PolicyIPsec, SrcAddr/DstAddr are the SA
// endpoints (tunnel outer addresses), SPIs those of the CHILD_SA (Trap
// policies for auto=route have no SPI and raise Acquire events).
type Policy struct {
	Src, Dst  TS
	Dir       Direction
	Type      PolicyType
	Priority  uint32
	ReqID     uint32
	Mode      Mode
	Proto     uint8 // ESP or AH
	SrcAddr   netip.Addr
	DstAddr   netip.Addr
	SPI       uint32
	Mark      Mark
	IfID      uint32
	Trap      bool
	Interface string // restrict to an interface (shunts), "" for any
}

// IPsec programs SAs and policies. All methods are safe for concurrent
// use.
type IPsec interface {
	// GetSPI allocates an inbound SPI for an SA from src to dst.
	GetSPI(ctx context.Context, src, dst netip.Addr, proto uint8, reqID uint32) (uint32, error)
	AddSA(ctx context.Context, sa *SA) error
	// UpdateSA moves an SA to new endpoints (MOBIKE, NAT mapping changes).
	UpdateSA(ctx context.Context, id SAID, newSrc, newDst netip.AddrPort, encap bool) error
	QuerySA(ctx context.Context, id SAID) (Usage, error)
	DelSA(ctx context.Context, id SAID) error
	AddPolicy(ctx context.Context, p *Policy) error
	// QueryPolicy returns when traffic last matched the policy.
	QueryPolicy(ctx context.Context, p *Policy) (time.Time, error)
	DelPolicy(ctx context.Context, p *Policy) error
	// Events delivers acquires, expiries and mapping changes.
	Events() <-chan Event
	Close() error
}

// Route is a route the daemon installs (in strongSwan's table 220).
type Route struct {
	Dst     netip.Prefix
	Gateway netip.Addr // invalid: none
	Src     netip.Addr // invalid: none
	Iface   string
	Table   uint32
}

// Net is what the daemon needs of the host's networking.
type Net interface {
	// SourceAddr returns the address the host would use to reach dst.
	SourceAddr(ctx context.Context, dst netip.Addr) (netip.Addr, error)
	// Addresses returns the host's usable addresses (not virtual IPs).
	Addresses(ctx context.Context) ([]netip.Addr, error)
	// AddVirtualIP installs ip on iface ("" lets the backend choose, as
	// charon.install_virtual_ip_on does).
	AddVirtualIP(ctx context.Context, ip netip.Prefix, iface string) error
	DelVirtualIP(ctx context.Context, ip netip.Prefix) error
	AddRoute(ctx context.Context, r Route) error
	DelRoute(ctx context.Context, r Route) error
	// Events delivers address and link changes.
	Events() <-chan Event
	Close() error
}

// Event is one of Acquire, Expire, Mapping, AddressChange.
type Event interface{ kernelEvent() }

// Acquire: traffic matched a trap policy (auto=route).
type Acquire struct {
	ReqID    uint32
	Src, Dst TS // the packet's selectors, for narrowing
}

// Expire: an SA reached a soft (rekey) or hard (delete) limit.
type Expire struct {
	ID    SAID
	ReqID uint32
	Hard  bool
}

// Mapping: the peer's NAT mapping of a UDP-encapsulated SA changed.
type Mapping struct {
	ID  SAID
	New netip.AddrPort
}

// AddressChange: local addresses or routes changed (MOBIKE).
type AddressChange struct{}

func (Acquire) kernelEvent()       {}
func (Expire) kernelEvent()        {}
func (Mapping) kernelEvent()       {}
func (AddressChange) kernelEvent() {}

// ErrNotFound is returned for SAs and policies that do not exist.
var ErrNotFound = errors.New("not found")
