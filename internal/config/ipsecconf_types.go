package config

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Auto is a conn's (or ca's) auto= operation.
type Auto uint8

const (
	AutoIgnore Auto = iota // the default: not loaded
	AutoAdd
	AutoRoute
	AutoStart
)

var autoNames = []string{"ignore", "add", "route", "start"}

func (a Auto) String() string { return enumName(autoNames, int(a)) }

// KeyExchange is keyexchange=: which IKE version to initiate with.
type KeyExchange uint8

const (
	// KeyExchangeIKE (the default) initiates IKEv2 and accepts either
	// version as responder (strongSwan's IKE_ANY).
	KeyExchangeIKE KeyExchange = iota
	KeyExchangeIKEv1
	KeyExchangeIKEv2
)

var keyExchangeNames = []string{"ike", "ikev1", "ikev2"}

func (k KeyExchange) String() string { return enumName(keyExchangeNames, int(k)) }

// Mode is the IPsec mode set by type=.
type Mode uint8

const (
	ModeTunnel Mode = iota // the default
	ModeTransport
	ModeBEET
	ModePass // type=passthrough|pass: bypass policy
	ModeDrop // type=drop|reject: drop policy
)

var modeNames = []string{"tunnel", "transport", "beet", "pass", "drop"}

func (m Mode) String() string { return enumName(modeNames, int(m)) }

// Fragmentation is fragmentation=.
type Fragmentation uint8

const (
	FragmentationNo Fragmentation = iota
	FragmentationAccept
	FragmentationYes // the default
	FragmentationForce
)

var fragmentationNames = []string{"no", "accept", "yes", "force"}

func (f Fragmentation) String() string { return enumName(fragmentationNames, int(f)) }

// Action is dpdaction= or closeaction=.
type Action uint8

const (
	ActionNone Action = iota // the default
	ActionClear
	ActionHold
	ActionRestart
)

var actionNames = []string{"none", "clear", "hold", "restart"}

func (a Action) String() string { return enumName(actionNames, int(a)) }

// SendCert is leftsendcert=.
type SendCert uint8

const (
	SendCertAlways  SendCert = iota // always, yes
	SendCertIfAsked                 // the default
	SendCertNever                   // never, no
)

var sendCertNames = []string{"always", "ifasked", "never"}

func (s SendCert) String() string { return enumName(sendCertNames, int(s)) }

// UniqueIDs is config setup's uniqueids=.
type UniqueIDs uint8

const (
	UniqueIDsNo  UniqueIDs = iota
	UniqueIDsYes           // the default, same as replace
	UniqueIDsReplace
	UniqueIDsKeep
	UniqueIDsNever
)

var uniqueIDsNames = []string{"no", "yes", "replace", "keep", "never"}

func (u UniqueIDs) String() string { return enumName(uniqueIDsNames, int(u)) }

// StrictCRLPolicy is config setup's strictcrlpolicy=.
type StrictCRLPolicy uint8

const (
	StrictCRLNo StrictCRLPolicy = iota // the default
	StrictCRLYes
	StrictCRLIfURI
)

var strictNames = []string{"no", "yes", "ifuri"}

func (s StrictCRLPolicy) String() string { return enumName(strictNames, int(s)) }

func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return "unknown(" + strconv.Itoa(i) + ")"
}

// MarkUnique says whether a mark is %unique.
type MarkUnique uint8

const (
	MarkFixed     MarkUnique = iota // Value/Mask as given
	MarkUniqueSA                    // %unique: one value per CHILD_SA
	MarkUniqueDir                   // %unique-dir: one value per SA and direction
)

// Mark is an XFRM mark: mark=, mark_in=, mark_out=.
type Mark struct {
	Value  uint32
	Mask   uint32
	Unique MarkUnique
}

func (m Mark) String() string {
	v := fmt.Sprintf("%#x", m.Value)
	switch m.Unique {
	case MarkUniqueSA:
		v = "%unique"
	case MarkUniqueDir:
		v = "%unique-dir"
	}
	return fmt.Sprintf("%s/%#08x", v, m.Mask)
}

// HostKind classifies one entry of left=/right=.
type HostKind uint8

const (
	HostAny    HostKind = iota // %any, %any4, %any6
	HostAddr                   // an IP address
	HostPrefix                 // a subnet
	HostRange                  // from-to
	HostName                   // a DNS name, resolved at run time
)

// HostSpec is one comma-separated entry of left=/right=.
type HostSpec struct {
	Kind     HostKind
	Raw      string
	Addr     netip.Addr   // HostAddr; the unspecified address of the family for %any4/%any6
	Prefix   netip.Prefix // HostPrefix
	From, To netip.Addr   // HostRange
}

// TrafficSelector is one entry of leftsubnet=, with the protocol and ports
// from its [proto/port] suffix or from leftprotoport=.
type TrafficSelector struct {
	// Dynamic is set for %dynamic and for an end without subnet: the
	// selector is the end's IKE (or virtual) address.
	Dynamic  bool
	Prefix   netip.Prefix
	Protocol uint8
	// FromPort..ToPort is the port range; 0..65535 means any port and
	// 65535..0 is %opaque.
	FromPort, ToPort uint16
}

func (ts TrafficSelector) String() string {
	s := "%dynamic"
	if !ts.Dynamic {
		s = ts.Prefix.String()
	}
	if ts.Protocol == 0 && ts.FromPort == 0 && ts.ToPort == 0xffff {
		return s
	}
	proto := "%any"
	if ts.Protocol != 0 {
		proto = strconv.Itoa(int(ts.Protocol))
	}
	var port string
	switch {
	case ts.FromPort == 0 && ts.ToPort == 0xffff:
		port = "%any"
	case ts.FromPort == 0xffff && ts.ToPort == 0:
		port = "%opaque"
	case ts.FromPort == ts.ToPort:
		port = strconv.Itoa(int(ts.FromPort))
	default:
		port = strconv.Itoa(int(ts.FromPort)) + "-" + strconv.Itoa(int(ts.ToPort))
	}
	return s + "[" + proto + "/" + port + "]"
}

// SourceIPKind classifies an entry of leftsourceip=/rightsourceip=.
type SourceIPKind uint8

const (
	SourceIPConfig  SourceIPKind = iota // %config, %cfg, %modeconfig, %modecfg
	SourceIPConfig4                     // %config4
	SourceIPConfig6                     // %config6
	SourceIPPool                        // %poolname: an external (e.g. attr-sql) pool
	SourceIPAddr                        // an address: requested (local) or a one-address pool
	SourceIPPrefix                      // network/bits: an in-memory pool
	SourceIPRange                       // from-to: an in-memory pool
)

// SourceIP is one entry of leftsourceip=/rightsourceip=. Whether it is a
// request (local end) or a pool (remote end) is decided when charon knows
// which end is local.
type SourceIP struct {
	Kind     SourceIPKind
	Raw      string
	Pool     string // SourceIPPool: the name without '%'
	Addr     netip.Addr
	Prefix   netip.Prefix
	From, To netip.Addr
}

// DNSServer is one entry of leftdns=/rightdns=.
type DNSServer struct {
	// Request is set for %config/%config4/%config6: ask the peer for a
	// server of Addr's family (Addr is the unspecified address).
	Request bool
	Addr    netip.Addr
}

func (d DNSServer) String() string {
	if d.Request {
		if d.Addr.Is6() {
			return "%config6"
		}
		return "%config4"
	}
	return d.Addr.String()
}
