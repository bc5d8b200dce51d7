package cfg

import (
	"crypto/x509"
	"fmt"
	"net/netip"
	"reflect"
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
	"github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/kernel"
)

// AuthClass is the kind of an authentication round.
type AuthClass uint8

const (
	AuthAny AuthClass = iota
	AuthPubkey
	AuthPSK
	AuthEAP
	AuthXAuth
)

func (c AuthClass) String() string {
	switch c {
	case AuthPubkey:
		return "public key"
	case AuthPSK:
		return "pre-shared key"
	case AuthEAP:
		return "EAP"
	case AuthXAuth:
		return "XAuth"
	}
	return "any"
}

// Auth is one authentication round of one end (leftauth/leftauth2).
type Auth struct {
	Class AuthClass
	// Method is the auth= text as written (e.g. "pubkey", "rsa-sha256",
	// "eap-ttls", "eap-radius", "psk").
	Method string
	// EAPType is the EAP method for eap-* (0: any/negotiated).
	EAPType uint32
	ID      identity.ID
	// IDSet is false when the ID was derived (from the address or the
	// certificate), which allows charon's less strict matching.
	IDSet bool
	// CertFiles are leftcert= files (resolved by the credential store).
	CertFiles []string
	// CA constrains the peer's issuing CA (rightca=), Groups the groups
	// the peer must be member of (rightgroups=).
	CA       string
	Groups   []string
	SendCert config.SendCert
	// EAPIdentity is eap_identity= for the client's EAP round.
	EAPIdentity string
	AAAIdentity string
}

// TS is a configured traffic selector; Dynamic means the end's own
// (IKE or virtual) address, filled in at negotiation time.
type TS struct {
	Dynamic bool
	kernel.TS
}

// Child is a CHILD_SA config (one per conn in ipsec.conf).
type Child struct {
	Name      string
	Mode      config.Mode
	Proposals []*crypto.Proposal // ESP (or AH when AH is set)
	AH        bool
	Local     []TS
	Remote    []TS
	// RekeyTime is when to rekey (lifetime - margin, minus up to Jitter),
	// LifeTime the hard expiry.
	RekeyTime, LifeTime, Jitter time.Duration
	LifeBytes, RekeyBytes       uint64
	LifePackets, RekeyPackets   uint64
	Updown                      string
	HostAccess                  bool
	DPDAction, CloseAction      config.Action
	Start                       config.Auto
	ReqID                       uint32
	MarkIn, MarkOut             kernel.Mark
	ReplayWindow                int64
	InstallPolicy               bool
	IPComp                      bool
	ForceEncap                  bool
}

// Peer is the runtime form of one conn.
type Peer struct {
	Name string
	// Local and Remote are the hosts of the two ends as written (IPs,
	// DNS names, "%any"), LocalPort/RemotePort the IKE ports.
	Local, Remote         []config.HostSpec
	LocalPort, RemotePort uint16
	// LocalAny/RemoteAny: the end matches any address (%any or allowany).
	LocalAny, RemoteAny bool
	IKE                 []*crypto.Proposal
	// LocalAuth and RemoteAuth are the authentication rounds.
	LocalAuth, RemoteAuth []*Auth
	Children              []*Child
	Auto                  config.Auto
	// RekeyTime or ReauthTime (one of them is set) with Jitter; OverTime
	// is how long after those the SA is closed if not renewed.
	RekeyTime, ReauthTime, Jitter, OverTime time.Duration
	DPDDelay, DPDTimeout                    time.Duration
	DPDAction                               config.Action
	Mobike                                  bool
	Fragmentation                           config.Fragmentation
	ForceEncap                              bool
	// KeyingTries is 0 for %forever.
	KeyingTries uint32
	UniqueIDs   config.UniqueIDs
	// Origin is the conn's position in ipsec.conf.
	Origin config.Pos
	// VIPs are the virtual IPs we ask for (leftsourceip=): an
	// unspecified address asks for any of that family (%config).
	VIPs []netip.Addr
	// Pools name the pools the peer's virtual IPs come from
	// (rightsourceip=): the conn name for %config, NAME for %NAME, the
	// CIDR or range as written for in-memory pools. PoolSpecs are the
	// entries they were made of, for the daemon to create the pools.
	Pools     []string
	PoolSpecs []config.SourceIP
	// DNS are the rightdns= entries, served to the peer by the pools'
	// provider; DNSRequests the families we ask for (leftdns=%config4/6).
	DNS         []config.DNSServer
	DNSRequests []netip.Addr
}

// Config is the set of peer configs the daemon runs with.
type Config struct {
	Peers []*Peer
	// Conns are the conns in ipsec.conf order with the peer config and
	// CHILD_SA config each became: conns that differ only in what belongs
	// to a CHILD_SA share the peer config of the first (stroke adds them
	// as children of an existing configuration).
	Conns []Conn
}

// Conn is one conn of ipsec.conf as the daemon runs it.
type Conn struct {
	Name  string
	Peer  *Peer
	Child *Child
	Auto  config.Auto
	// Merged: the conn became a child of an earlier conn's peer config.
	Merged bool
}

// Lookup finds a conn by name as stroke's initiate and route do: the
// peer config of that name and its child config of that name, else the
// child config of that name in any peer config.
func (c *Config) Lookup(name string) (*Peer, *Child) {
	if p := c.Peer(name); p != nil {
		for _, ch := range p.Children {
			if ch.Name == name {
				return p, ch
			}
		}
		return p, nil
	}
	for _, p := range c.Peers {
		for _, ch := range p.Children {
			if ch.Name == name {
				return p, ch
			}
		}
	}
	return nil, nil
}

// sameIKE says whether two peer configs differ only in their name, their
// CHILD_SA configs and per-conn actions, so that one IKE_SA serves both
// (charon's peer_cfg and ike_cfg equals).
func (p *Peer) sameIKE(q *Peer) bool {
	a, b := *p, *q
	for _, x := range []*Peer{&a, &b} {
		x.Name, x.Children, x.Origin, x.Auto = "", nil, config.Pos{}, 0
		if x.DPDAction == config.ActionNone {
			// dpdaction=none disables DPD, whatever the delay
			x.DPDDelay, x.DPDTimeout = 0, 0
		}
		x.DPDAction = 0
	}
	return reflect.DeepEqual(a, b)
}

// Peer returns the peer config named name.
func (c *Config) Peer(name string) *Peer {
	for _, p := range c.Peers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Env is what Build needs from the host: which addresses are local (to
// decide which end of a conn is ours, as stroke's swap_ends), name
// resolution, and the certificates of leftcert=.
type Env struct {
	IsLocal  func(netip.Addr) bool
	Resolve  func(host string) []netip.Addr
	LoadCert func(file string) (*x509.Certificate, error)
}

// Build converts the resolved conns of an ipsec.conf. Conns starter would
// ignore (Invalid) and auto=ignore conns are left out; conns that cannot
// be used (bad proposals, IKEv1) yield diagnostics and are left out too.
func Build(c *config.IPsecConf, env Env) (*Config, []config.Diagnostic) {
	out := &Config{}
	var ds []config.Diagnostic
	uniq := c.Setup.UniqueIDs
	for _, conn := range c.Conns {
		if conn.Invalid || conn.Auto == config.AutoIgnore {
			continue
		}
		p, err := buildPeer(conn, env)
		if err != nil {
			ds = append(ds, config.Diagnostic{File: conn.Pos.File, Line: conn.Pos.Line,
				Severity: config.SeverityError, Msg: fmt.Sprintf("conn %s: %v", conn.Name, err)})
			continue
		}
		p.UniqueIDs = uniq
		c := Conn{Name: conn.Name, Peer: p, Child: p.Children[0], Auto: conn.Auto}
		for _, q := range out.Peers {
			if q.sameIKE(p) {
				q.Children = append(q.Children, p.Children...)
				c.Peer, c.Merged = q, true
				break
			}
		}
		if !c.Merged {
			out.Peers = append(out.Peers, p)
		}
		out.Conns = append(out.Conns, c)
	}
	return out, ds
}
