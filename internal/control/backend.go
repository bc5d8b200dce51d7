package control

import (
	"context"
	"io"
	"strconv"
	"strings"
)

// Backend is what the daemon implements for the control socket. The
// [Server] does the stroke semantics around it (resolving `ipsec up NAME`
// and `ipsec down NAME{N}` to configs and SA IDs, the texts stroke prints,
// result codes), so the methods are plain operations.
//
// Methods are called concurrently, one goroutine per client. A method's
// context is canceled when the client goes away or the server shuts down:
// Initiate and the Terminate methods must then stop waiting and return
// promptly; like charon when a stroke client disconnects, the exchange may
// go on in the background.
type Backend interface {
	// Initiate brings up child of connection conn (`ipsec up`) and returns
	// when the IKE_SA and the CHILD_SA are established (nil) or failed.
	// While it runs it writes charon's log lines for this IKE_SA to out
	// ("initiating IKE_SA home[1] to 192.168.0.1", "generating IKE_SA_INIT
	// request 0 [ ... ]", ...). Return a *DetachedError when giving up
	// waiting after a configured timeout.
	Initiate(ctx context.Context, conn, child string, out LogWriter) error
	// TerminateIKE deletes the IKE_SA with the unique ID id and its
	// CHILD_SAs, logging the exchange to out; for an unknown ID it logs
	// "unable to terminate IKE_SA: ID 99 not found" and returns an error
	// wrapping ErrNotFound.
	TerminateIKE(ctx context.Context, id uint32, out LogWriter) error
	// TerminateChild deletes the CHILD_SA with the unique ID id; for an
	// unknown ID it logs "unable to terminate, CHILD_SA with ID 99 not
	// found" and returns an error wrapping ErrNotFound.
	TerminateChild(ctx context.Context, id uint32, out LogWriter) error
	// Status returns a snapshot; q says what the caller needs, more is
	// fine.
	Status(ctx context.Context, q StatusQuery) (*Status, error)
	// Reload rereads ipsec.conf (and strongswan.conf) and applies the
	// changes (`ipsec reload`, `ipsec update`, SIGHUP).
	Reload(ctx context.Context) error
	// RereadSecrets rereads ipsec.secrets and the keys it names.
	RereadSecrets(ctx context.Context) error
	// RereadAll rereads secrets, CA certificates and CRLs.
	RereadAll(ctx context.Context) error
	// List writes the text of strongSwan's list commands (`ipsec
	// listcerts`, listcacerts, listcrls, listall) for the sections opt
	// selects to w.
	List(ctx context.Context, opt ListOptions, w io.Writer) error
	// Leases returns the pools and their leases; pool and address are
	// filters the backend may apply (the renderer applies them anyway).
	// Return ErrUnsupported while pools are not implemented.
	Leases(ctx context.Context, pool, address string) (*Leases, error)
	// Shutdown asks the daemon to stop (`ipsec stop`). The server calls
	// it after it has acknowledged the request to the client; it may
	// return before the daemon has stopped.
	Shutdown(ctx context.Context) error
}

// LogWriter receives the log lines of one operation for the client. It is
// safe for concurrent use and never blocks for long: lines the client does
// not take in time are dropped (and counted), and lines written after the
// operation returned are discarded.
type LogWriter interface {
	// Log sends msg (one line, no "NN[GRP]" prefix) if level is within
	// the client's verbosity (stroke default 1: charon's level 0 and 1).
	Log(level int, msg string)
}

// StatusQuery says what a Status call is for.
type StatusQuery struct {
	// Name is the connection the caller is interested in ("" for all);
	// a hint only.
	Name string
	// Daemon: header data (uptime, workers, plugins), pools and
	// addresses.
	Daemon bool
	// Conns: loaded connections.
	Conns bool
	// SAs: IKE_SAs, CHILD_SAs, trap and shunt policies.
	SAs bool
}

// ListOptions select what List prints, in strongSwan's order: end-entity
// certificates, CA certificates, CRLs.
type ListOptions struct {
	Certs   bool // ipsec listcerts
	CACerts bool // ipsec listcacerts
	CRLs    bool // ipsec listcrls
	// All is `ipsec listall`: the three above are set too; a backend that
	// lists more (algorithms, plugins, ...) adds it.
	All bool
	// UTC prints times in UTC (--utc).
	UTC bool
}

// List sections, as named in Request.Sections.
const (
	ListCerts   = "certs"
	ListCACerts = "cacerts"
	ListCRLs    = "crls"
	ListAll     = "all"
)

// Target is a parsed `ipsec down` specifier.
type Target struct {
	// Name is the IKE_SA or CHILD_SA name ("" when ID is set).
	Name string
	// ID is the unique ID of NAME[N] / NAME{N}; 0 when selecting by name.
	ID uint32
	// Child selects CHILD_SAs (NAME{...}) instead of IKE_SAs.
	Child bool
	// All selects every match (NAME[*], NAME{*}) instead of the first.
	All bool
}

// ParseTarget parses a specifier as stroke does: NAME, NAME[], NAME{},
// NAME[N], NAME{N}, NAME[*], NAME{*}. As there, the name of NAME[N] is
// ignored and N must be a positive number.
func ParseTarget(spec string) (Target, bool) {
	if spec == "" {
		return Target{}, false
	}
	var t Target
	var open byte
	switch spec[len(spec)-1] {
	case '}':
		t.Child, open = true, '{'
	case ']':
		open = '['
	default:
		t.Name = spec
		return t, true
	}
	pos := strings.IndexByte(spec, open)
	switch {
	case pos < 0:
		return Target{}, false
	case pos == len(spec)-2: // NAME[] or NAME{}
		t.Name = spec[:pos]
	case spec[pos+1] == '*':
		t.Name, t.All = spec[:pos], true
	default:
		id := leadingNumber(spec[pos+1:])
		if id == 0 {
			return Target{}, false
		}
		t.ID = id
	}
	return t, true
}

// leadingNumber parses the decimal digits at the start of s as atoi(3)
// would (0 if there are none or the value does not fit 32 bits).
func leadingNumber(s string) uint32 {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseUint(s[:i], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// String renders the target in the specifier syntax.
func (t Target) String() string {
	o, c := "[", "]"
	if t.Child {
		o, c = "{", "}"
	}
	switch {
	case t.ID != 0:
		return t.Name + o + strconv.FormatUint(uint64(t.ID), 10) + c
	case t.All:
		return t.Name + o + "*" + c
	case t.Child:
		return t.Name + o + c
	}
	return t.Name
}
