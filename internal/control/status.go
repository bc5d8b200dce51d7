package control

import (
	"net/netip"
	"time"
)

// Status is a snapshot of the daemon for `ipsec status` and `ipsec
// statusall`: plain data the daemon fills in and [WriteStatus] renders.
// The daemon may leave out what the [StatusQuery] did not ask for.
//
// Names and enum values are the strings strongSwan prints (state names,
// modes, algorithm names), so the renderer copies them unchanged.
type Status struct {
	// Now is when the snapshot was taken; every "ago"/"in" figure is
	// relative to it.
	Now    time.Time  `json:"now"`
	Daemon DaemonInfo `json:"daemon"`
	// Pools are the in-memory virtual IP pools ("Virtual IP pools" section).
	Pools []Pool `json:"pools,omitempty"`
	// Addresses are the local addresses IKE listens on.
	Addresses []netip.Addr `json:"addresses,omitempty"`
	// Conns are the loaded connections, in load order.
	Conns []Conn `json:"conns,omitempty"`
	// Shunts are the installed bypass/drop policies (type=pass/drop).
	Shunts []Shunt `json:"shunts,omitempty"`
	// Routed are the trap policies (auto=route), State ChildRouted.
	Routed []ChildSA `json:"routed,omitempty"`
	// Up and Connecting are the figures of the "Security Associations
	// (N up, M connecting)" line: Connecting counts half-open IKE_SAs
	// (IKE_SA_INIT not completed), Up all others.
	Up         int `json:"up"`
	Connecting int `json:"connecting"`
	// IKESAs are the IKE_SAs, in the order they should be listed
	// (charon lists the newest first).
	IKESAs []IKESA `json:"ike_sas,omitempty"`
}

// DaemonInfo is the statusall header.
type DaemonInfo struct {
	// Software names the daemon in the first line, e.g. "goswan 0.1.0,
	// strongSwan 5.9.8 compatible" (strongSwan prints "strongSwan 5.9.8").
	Software string `json:"software"`
	// Sysname, Release and Machine are uname(2)'s fields; the header omits
	// them when Sysname is empty.
	Sysname string `json:"sysname,omitempty"`
	Release string `json:"release,omitempty"`
	Machine string `json:"machine,omitempty"`
	// Started is when the daemon started (uptime and "since").
	Started time.Time `json:"started"`
	// Memory is printed as the "malloc:" line when set.
	Memory  *Memory `json:"memory,omitempty"`
	Workers Workers `json:"workers"`
	// Plugins are the names in the "loaded plugins:" line.
	Plugins []string `json:"plugins,omitempty"`
}

// Memory is the "malloc: sbrk S, mmap M, used U, free F" line.
type Memory struct {
	Sbrk uint64 `json:"sbrk"`
	Mmap uint64 `json:"mmap"`
	Used uint64 `json:"used"`
	Free uint64 `json:"free"`
}

// Workers is the "worker threads: I of T idle, a/b/c/d working, job queue:
// e/f/g/h, scheduled: S" line; the four columns are charon's job priorities
// critical/high/medium/low.
type Workers struct {
	Idle      int    `json:"idle"`
	Total     int    `json:"total"`
	Working   [4]int `json:"working"`
	Queued    [4]int `json:"queued"`
	Scheduled int    `json:"scheduled"`
}

// Pool is one line of the "Virtual IP pools (size/online/offline)" section.
type Pool struct {
	Name    string `json:"name"`
	Size    uint32 `json:"size"`
	Online  uint32 `json:"online"`
	Offline uint32 `json:"offline"`
}

// Conn is a loaded connection (a peer config with its children).
type Conn struct {
	Name string `json:"name"`
	// Local and Remote are the configured IKE addresses as strongSwan
	// keeps them (left=/right= text: "192.168.0.1", "%any",
	// "moon.strongswan.org", comma lists).
	Local  string `json:"local"`
	Remote string `json:"remote"`
	// Version is the IKE version: 1, 2, or 0 for either.
	Version    int  `json:"version"`
	Aggressive bool `json:"aggressive,omitempty"`
	// DPDDelay is printed (whole seconds) with each child's DPDAction
	// when non-zero.
	DPDDelay   time.Duration `json:"dpd_delay,omitempty"`
	LocalAuth  []Auth        `json:"local_auth,omitempty"`
	RemoteAuth []Auth        `json:"remote_auth,omitempty"`
	Children   []ChildConfig `json:"children,omitempty"`
}

// Auth is one authentication round of a connection end.
type Auth struct {
	// ID is the identity, printed in brackets; empty for none (%any).
	ID string `json:"id,omitempty"`
	// Class is the auth class as strongSwan names it: AuthPubkey,
	// AuthPSK, AuthEAP, AuthXAuth, AuthAny.
	Class string `json:"class"`
	// EAPType is the EAP method for AuthEAP as strongSwan names it
	// ("EAP_MD5", "EAP_TTLS", ..., "EAP_<type>-<vendor>" for expanded
	// types); empty for any method.
	EAPType     string `json:"eap_type,omitempty"`
	EAPIdentity string `json:"eap_identity,omitempty"`
	// XAuthBackend is the XAuth backend for AuthXAuth; empty for "any".
	XAuthBackend  string `json:"xauth_backend,omitempty"`
	XAuthIdentity string `json:"xauth_identity,omitempty"`
	// CACert, IMCert and Cert are subject DNs of the CA, intermediate CA
	// and end-entity certificate constraints, empty when unset.
	CACert string `json:"ca_cert,omitempty"`
	IMCert string `json:"im_cert,omitempty"`
	Cert   string `json:"cert,omitempty"`
	// OCSP and CRL are the revocation requirements.
	OCSP   Requirement `json:"ocsp,omitempty"`
	CRL    Requirement `json:"crl,omitempty"`
	Groups []string    `json:"groups,omitempty"`
}

// Auth classes (strongSwan's auth_class_names).
const (
	AuthAny    = "any"
	AuthPubkey = "public key"
	AuthPSK    = "pre-shared key"
	AuthEAP    = "EAP"
	AuthXAuth  = "XAuth"
)

// Requirement is a certificate status requirement (strictcrlpolicy).
type Requirement string

// Certificate status requirements.
const (
	RequireNothing       Requirement = ""
	RequireGood          Requirement = "good"
	RequireGoodOrSkipped Requirement = "good-or-skipped"
)

// ChildConfig is a child (CHILD_SA config) of a connection.
type ChildConfig struct {
	Name     string            `json:"name"`
	LocalTS  []TrafficSelector `json:"local_ts,omitempty"`
	RemoteTS []TrafficSelector `json:"remote_ts,omitempty"`
	Mode     Mode              `json:"mode"`
	// DPDAction is "none", "trap" or "start" (dpdaction=clear/hold/restart).
	DPDAction string `json:"dpd_action,omitempty"`
}

// Shunt is an installed shunt policy (type=pass or type=drop).
type Shunt struct {
	Name     string            `json:"name"`
	LocalTS  []TrafficSelector `json:"local_ts,omitempty"`
	RemoteTS []TrafficSelector `json:"remote_ts,omitempty"`
	Mode     Mode              `json:"mode"`
}

// Mode is an IPsec mode as strongSwan names it.
type Mode string

// IPsec modes.
const (
	ModeTransport Mode = "TRANSPORT"
	ModeTunnel    Mode = "TUNNEL"
	ModeBEET      Mode = "BEET"
	ModePass      Mode = "PASS"
	ModeDrop      Mode = "DROP"
)

// IKEState is an IKE_SA state as strongSwan names it.
type IKEState string

// IKE_SA states.
const (
	IKECreated     IKEState = "CREATED"
	IKEConnecting  IKEState = "CONNECTING"
	IKEEstablished IKEState = "ESTABLISHED"
	IKEPassive     IKEState = "PASSIVE"
	IKERekeying    IKEState = "REKEYING"
	IKERekeyed     IKEState = "REKEYED"
	IKEDeleting    IKEState = "DELETING"
	IKEDestroying  IKEState = "DESTROYING"
)

// ChildState is a CHILD_SA state as strongSwan names it.
type ChildState string

// CHILD_SA states.
const (
	ChildCreated    ChildState = "CREATED"
	ChildRouted     ChildState = "ROUTED"
	ChildInstalling ChildState = "INSTALLING"
	ChildInstalled  ChildState = "INSTALLED"
	ChildUpdating   ChildState = "UPDATING"
	ChildRekeying   ChildState = "REKEYING"
	ChildRekeyed    ChildState = "REKEYED"
	ChildRetrying   ChildState = "RETRYING"
	ChildDeleting   ChildState = "DELETING"
	ChildDeleted    ChildState = "DELETED"
	ChildDestroying ChildState = "DESTROYING"
)

// IKESA is an IKE_SA and its CHILD_SAs.
type IKESA struct {
	Name     string   `json:"name"`
	UniqueID uint32   `json:"unique_id"`
	Version  int      `json:"version"` // 1 or 2
	State    IKEState `json:"state"`
	// Established is when the SA was established (printed for
	// IKEEstablished).
	Established time.Time `json:"established,omitzero"`
	// LocalHost and RemoteHost are the IKE addresses; the unspecified or
	// zero address prints as "%any".
	LocalHost  netip.Addr `json:"local_host,omitzero"`
	RemoteHost netip.Addr `json:"remote_host,omitzero"`
	LocalID    string     `json:"local_id"`
	RemoteID   string     `json:"remote_id"`
	// RemoteEAPID is the peer's EAP (IKEv1: XAuth) identity; printed by
	// statusall when set and different from RemoteID.
	RemoteEAPID  string `json:"remote_eap_id,omitempty"`
	InitiatorSPI uint64 `json:"initiator_spi"`
	ResponderSPI uint64 `json:"responder_spi"`
	// Initiator is set when we are the original initiator (the "*" goes
	// to our SPI).
	Initiator bool `json:"initiator"`
	// Rekey and Reauth are the scheduled IKE rekeying and
	// reauthentication times, zero when not scheduled.
	Rekey  time.Time `json:"rekey,omitzero"`
	Reauth time.Time `json:"reauth,omitzero"`
	// AuthClasses are the local auth rounds' classes, printed before
	// "reauthentication in" ("public key", "pre-shared key", ...).
	AuthClasses []string `json:"auth_classes,omitempty"`
	// Proposal is the negotiated IKE proposal without the "IKE:" prefix,
	// e.g. "AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519".
	Proposal string `json:"proposal,omitempty"`
	// Task queues by task type name ("IKE_REKEY", "CHILD_CREATE", ...).
	TasksQueued  []string  `json:"tasks_queued,omitempty"`
	TasksActive  []string  `json:"tasks_active,omitempty"`
	TasksPassive []string  `json:"tasks_passive,omitempty"`
	Children     []ChildSA `json:"children,omitempty"`
}

// ChildSA is a CHILD_SA (or, in Status.Routed, a trap policy).
type ChildSA struct {
	Name     string     `json:"name"`
	UniqueID uint32     `json:"unique_id"`
	State    ChildState `json:"state"`
	Mode     Mode       `json:"mode"`
	// Proxy marks transport proxy mode (type=transport_proxy).
	Proxy bool   `json:"proxy,omitempty"`
	ReqID uint32 `json:"reqid"`
	// Protocol is "ESP" or "AH".
	Protocol string `json:"protocol"`
	// Encap is set for UDP encapsulation ("ESP in UDP SPIs").
	Encap  bool   `json:"encap,omitempty"`
	SPIIn  uint32 `json:"spi_in"`
	SPIOut uint32 `json:"spi_out"`
	// IPComp marks an IPComp SA with the CPIs CPIIn/CPIOut.
	IPComp     bool            `json:"ipcomp,omitempty"`
	CPIIn      uint16          `json:"cpi_in,omitempty"`
	CPIOut     uint16          `json:"cpi_out,omitempty"`
	Algorithms ChildAlgorithms `json:"algorithms"`
	BytesIn    uint64          `json:"bytes_in"`
	BytesOut   uint64          `json:"bytes_out"`
	PacketsIn  uint64          `json:"packets_in"`
	PacketsOut uint64          `json:"packets_out"`
	// LastIn and LastOut are when the SA last carried traffic; zero if
	// never.
	LastIn  time.Time `json:"last_in,omitzero"`
	LastOut time.Time `json:"last_out,omitzero"`
	// Rekey is the soft lifetime (zero: rekeying disabled); Expire is the
	// hard lifetime, printed for ChildRekeying and ChildRekeyed.
	Rekey    time.Time         `json:"rekey,omitzero"`
	Expire   time.Time         `json:"expire,omitzero"`
	LocalTS  []TrafficSelector `json:"local_ts,omitempty"`
	RemoteTS []TrafficSelector `json:"remote_ts,omitempty"`
}

// ChildAlgorithms is the negotiated CHILD_SA proposal. Empty names are
// left out; key sizes are printed when non-zero ("AES_CBC_128").
type ChildAlgorithms struct {
	Encryption       string `json:"encryption,omitempty"` // e.g. "AES_CBC", "AES_GCM_16"
	EncryptionKeyLen int    `json:"encryption_keylen,omitempty"`
	Integrity        string `json:"integrity,omitempty"` // e.g. "HMAC_SHA2_256_128"
	IntegrityKeyLen  int    `json:"integrity_keylen,omitempty"`
	KE               string `json:"ke,omitempty"` // PFS group, e.g. "CURVE_25519"
	ESN              bool   `json:"esn,omitempty"`
}

// Leases is the answer to `ipsec leases`.
type Leases struct {
	Pools []PoolLeases `json:"pools"`
}

// PoolLeases is a pool with its leases.
type PoolLeases struct {
	Pool
	Leases []Lease `json:"leases,omitempty"`
}

// Lease is an address handed out from a pool.
type Lease struct {
	Address  netip.Addr `json:"address"`
	Online   bool       `json:"online"`
	Identity string     `json:"identity"`
}
