package log

import (
	"fmt"
	"strings"
)

// Group is a logging subsystem, charon's debug_t. The order and names are
// libstrongswan's (utils/debug.h, debug.c): they appear in log lines in
// upper case and in strongswan.conf in lower case.
type Group uint8

// The subsystems, in charon's order.
const (
	DMN Group = iota // daemon setup/cleanup/signal handling
	MGR              // IKE_SA manager
	IKE              // IKE_SA
	CHD              // CHILD_SA
	JOB              // job queueing/processing
	CFG              // configuration management
	KNL              // IPsec/networking kernel interface
	NET              // IKE network communication
	ASN              // ASN.1, X.509 encoding/decoding
	ENC              // message encoding/decoding, encryption
	TNC              // trusted network connect
	IMC              // integrity measurement collector
	IMV              // integrity measurement verifier
	PTS              // platform trust service
	TLS              // TLS (EAP-TLS/TTLS)
	APP              // applications other than daemons
	ESP              // userspace ESP datapath (libipsec)
	LIB              // library messages

	// NumGroups is the number of subsystems.
	NumGroups = int(iota)
)

// Any stands for all groups in [Logger.SetLevel] (charon's DBG_ANY).
const Any = Group(NumGroups)

var groupNames = [NumGroups + 1]string{
	"DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN",
	"ENC", "TNC", "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB", "ANY",
}

var groupLowerNames = [NumGroups + 1]string{
	"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net", "asn",
	"enc", "tnc", "imc", "imv", "pts", "tls", "app", "esp", "lib", "any",
}

// String returns the upper-case name printed in log lines, e.g. "IKE".
func (g Group) String() string {
	if int(g) <= NumGroups {
		return groupNames[g]
	}
	return fmt.Sprintf("Group(%d)", uint8(g))
}

// Key returns the lower-case name used in strongswan.conf, e.g. "ike".
func (g Group) Key() string {
	if int(g) <= NumGroups {
		return groupLowerNames[g]
	}
	return g.String()
}

// ParseGroup looks a group up by name, ignoring case, as "ipsec stroke
// loglevel" does; "any" yields [Any].
func ParseGroup(name string) (Group, bool) {
	for i, n := range groupNames {
		if strings.EqualFold(n, name) {
			return Group(i), true
		}
	}
	return 0, false
}

// Level is a message's verbosity, charon's level_t. A message of level L
// is written by a logger whose level for the group is at least L.
type Level int8

// charon's levels (strongswan.conf(5), LOGGER CONFIGURATION, Loglevels).
const (
	Silent  Level = -1 // absolutely silent (loggers only)
	Audit   Level = 0  // very basic auditing (SA up/down)
	Ctrl    Level = 1  // generic control flow with errors
	Diag    Level = 2  // more detailed debugging control flow
	Raw     Level = 3  // including raw data dumps in hex
	Private Level = 4  // also sensitive material, e.g. keys
)

// Levels holds one level per group.
type Levels [NumGroups]Level

// AllLevels returns Levels with every group at lv.
func AllLevels(lv Level) Levels {
	var ls Levels
	for i := range ls {
		ls[i] = lv
	}
	return ls
}

// clampLevel converts a strongswan.conf integer to a Level. Values beyond
// the int8 range behave like the nearest representable level: everything
// (or nothing) is logged either way.
func clampLevel(v int) Level {
	switch {
	case v < -128:
		return -128
	case v > 127:
		return 127
	}
	return Level(v)
}

// debugOptions are the groups charon accepts as --debug-<type> options
// (src/charon/charon.c; there is no --debug-app).
var debugOptions = []Group{DMN, MGR, IKE, CHD, JOB, CFG, KNL, NET, ASN, ENC,
	TNC, IMC, IMV, PTS, TLS, ESP, LIB}

// ParseCharonDebug turns ipsec.conf's charondebug value into the default
// logger levels, as starter and charon do: every group starts at [Ctrl];
// starter reads entries with sscanf("%3s %d,") ("ike 2, knl 3", also
// "ike2") and passes them as --debug-<type> <level>, which charon matches
// with getopt_long, so a type may be an unambiguous prefix ("ik") and an
// unknown or ambiguous one makes charon refuse to start (an error here).
// Parsing stops at the first entry that does not scan, like starter.
func ParseCharonDebug(s string) (Levels, error) {
	levels := AllLevels(Ctrl)
	pos := s
	for {
		typ, level, ok := scanDebugEntry(pos)
		if !ok {
			return levels, nil
		}
		g, err := matchDebugOption(typ)
		if err != nil {
			return levels, err
		}
		levels[g] = clampLevel(level)
		i := strings.IndexByte(pos, ',')
		if i < 0 {
			return levels, nil
		}
		pos = pos[i+1:]
	}
}

// scanDebugEntry is sscanf(s, "%3s %d", ...) == 2.
func scanDebugEntry(s string) (typ string, level int, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	n := 0
	for n < len(s) && n < 3 && !isCSpace(s[n]) {
		n++
	}
	if n == 0 {
		return "", 0, false
	}
	typ, s = s[:n], strings.TrimLeft(s[n:], " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return "", 0, false
	}
	v := 0
	for _, c := range s[start:i] {
		if v < 1<<20 {
			v = v*10 + int(c-'0')
		}
	}
	if s[0] == '-' {
		v = -v
	}
	return typ, v, true
}

func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// matchDebugOption resolves "--debug-<typ>" like getopt_long: an exact
// name, or a prefix of exactly one.
func matchDebugOption(typ string) (Group, error) {
	var found []Group
	for _, g := range debugOptions {
		if g.Key() == typ {
			return g, nil
		}
		if strings.HasPrefix(g.Key(), typ) {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return 0, fmt.Errorf("charondebug: unrecognized option '--debug-%s'", typ)
	}
	return 0, fmt.Errorf("charondebug: option '--debug-%s' is ambiguous", typ)
}
