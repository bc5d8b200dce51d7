package sa

import (
	"github.com/goswan/goswan/internal/log"
	"io"
	"net/netip"
	"time"

	"github.com/goswan/goswan/internal/clock"
	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/cfg"
	"github.com/goswan/goswan/internal/kernel"
)

// Packet is one UDP datagram. For port 4500 Data is the IKE message
// without the non-ESP marker; the socket layer adds and strips it.
type Packet struct {
	Src, Dst netip.AddrPort
	Data     []byte
	// Keepalive marks a NAT-T keepalive (RFC 3948 section 2.3): the
	// socket sends the single 0xFF octet without a non-ESP marker.
	Keepalive bool
}

// Settings are the strongswan.conf values the core uses, with charon
// 5.9's defaults from DefaultSettings.
type Settings struct {
	RetransmitTimeout  time.Duration // charon.retransmit_timeout (4s)
	RetransmitBase     float64       // charon.retransmit_base (1.8)
	RetransmitTries    int           // charon.retransmit_tries (5)
	RetransmitLimit    time.Duration // charon.retransmit_limit (0: none)
	RetransmitJitter   int           // percent, charon.retransmit_jitter (0)
	HalfOpenTimeout    time.Duration // charon.half_open_timeout (30s)
	CookieThreshold    int           // charon.cookie_threshold (30)
	CookieThresholdIP  int           // charon.cookie_threshold_ip (3)
	BlockThreshold     int           // charon.block_threshold (5)
	InitLimitHalfOpen  int           // charon.init_limit_half_open (0: none)
	FragmentSize       int           // charon.fragment_size (1280)
	KeepAlive          time.Duration // charon.keep_alive (20s)
	MakeBeforeBreak    bool          // charon.make_before_break (no)
	ReuseIKESA         bool          // charon.reuse_ikesa (yes)
	SignatureAuth      bool          // charon.signature_authentication (yes)
	SendVendorID       bool          // charon.send_vendor_id (no)
	PreferConfigured   bool          // charon.prefer_configured_proposals (yes)
	AcceptPrivateAlgs  bool          // charon.accept_private_algs (no)
	DeleteRekeyedDelay time.Duration // charon.delete_rekeyed_delay (5s)
	InstallRoutes      bool          // charon.install_routes (yes)
	RouteTable         uint32        // charon.routing_table (220)
	ReplayWindow       uint32        // charon.replay_window (32)
	RSAPSS             bool          // charon.rsa_pss (no)
}

// DefaultSettings are charon 5.9.8's defaults.
func DefaultSettings() Settings {
	return Settings{
		RetransmitTimeout:  4 * time.Second,
		RetransmitBase:     1.8,
		RetransmitTries:    5,
		HalfOpenTimeout:    30 * time.Second,
		CookieThreshold:    30,
		CookieThresholdIP:  3,
		BlockThreshold:     5,
		FragmentSize:       1280,
		KeepAlive:          20 * time.Second,
		ReuseIKESA:         true,
		SignatureAuth:      true,
		PreferConfigured:   true,
		DeleteRekeyedDelay: 5 * time.Second,
		InstallRoutes:      true,
		RouteTable:         220,
		ReplayWindow:       32,
	}
}

// Env holds the services shared by all IKE_SAs; the daemon builds one.
type Env struct {
	Clock    clock.Clock
	Rand     io.Reader
	Log      *log.Logger
	Kernel   kernel.IPsec
	Net      kernel.Net
	Settings Settings
	// Creds returns the current credentials (swapped on reread).
	Creds func() Creds
	// Config returns the current peer configs (swapped on reload).
	Config func() *cfg.Config
	// Send transmits a datagram.
	Send func(Packet) error
	// Resolve looks up a DNS name (left=/right= host names).
	Resolve func(host string) ([]netip.Addr, error)
	// Port and NATTPort are the local IKE ports (charon.port, port_nat_t).
	Port, NATTPort uint16
	Bus            *Bus
	// Attrs hands out virtual IPs and attributes and applies received
	// ones (nil: none).
	Attrs *attr.Manager
}
