package config

import (
	"bufio"
	"bytes"
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// cStrtoul parses an unsigned number like C's strtoul: optional leading
// blanks and sign, base 0 detects 0x (hex) and a leading 0 (octal). It
// returns the value, the unparsed rest and whether any digit was read.
// A negative number wraps around like in C; overflow reports ok=false.
func cStrtoul(s string, base int) (v uint64, rest string, digits, ok bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if (base == 0 || base == 16) && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		i+2 < len(s) && digitVal(s[i+2]) < 16 {
		base = 16
		i += 2
	} else if base == 0 {
		base = 10
		if i < len(s) && s[i] == '0' {
			base = 8
		}
	}
	start := i
	ok = true
	for i < len(s) {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			ok = false
		}
		v = v*uint64(base) + uint64(d)
		i++
	}
	if i == start {
		return 0, s, false, true
	}
	if neg {
		v = -v
	}
	return v, s[i:], true, ok
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// parseDecimal accepts the unsigned decimal numbers starter's
// strtoul(.., 10) accepts, without a sign (a negative value would wrap
// around to a huge one). Like strtoul, an empty string (`key=""`) is 0.
func parseDecimal(s string, max uint64) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	v, rest, _, ok := cStrtoul(s, 10)
	if !ok || rest != "" || v > max {
		return 0, false
	}
	return v, true
}

// parseStarterTime parses an ipsec.conf duration: a decimal number of
// seconds, optionally followed by exactly one of s, m, h, d. As in starter,
// a missing number counts as 0 ("h" and "" are valid).
func parseStarterTime(s string) (time.Duration, bool) {
	if strings.HasPrefix(strings.TrimLeft(s, " \t\n\r\f\v"), "-") {
		return 0, false
	}
	v, rest, _, ok := cStrtoul(s, 10)
	if !ok {
		return 0, false
	}
	mult := uint64(1)
	switch rest {
	case "", "s":
	case "m":
		mult = 60
	case "h":
		mult = 3600
	case "d":
		mult = 86400
	default:
		return 0, false
	}
	const maxSecs = uint64(math.MaxInt64 / int64(time.Second))
	if v > maxSecs/mult {
		return 0, false
	}
	return time.Duration(v*mult) * time.Second, true
}

// parsePercent parses "NNN%".
func parsePercent(s string) (uint32, bool) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, false
	}
	v, ok := parseDecimal(num, math.MaxUint32)
	return uint32(v), ok
}

// parseMark parses value[/mask] with C number syntax, or %unique[-dir][/mask].
func parseMark(s string) (Mark, string) {
	var m Mark
	rest := s
	if len(s) >= 7 && strings.EqualFold(s[:7], "%unique") {
		rest = s[7:]
		switch {
		case len(rest) >= 4 && strings.EqualFold(rest[:4], "-dir"):
			m.Unique = MarkUniqueDir
			rest = rest[4:]
		case rest == "" || rest[0] == '/':
			m.Unique = MarkUniqueSA
		default:
			return m, "invalid mark value"
		}
	} else if len(s) >= 5 && strings.EqualFold(s[:5], "%same") {
		return m, "unexpected use of %same mark"
	} else {
		v, r, _, ok := cStrtoul(s, 0)
		if !ok || v > math.MaxUint32 && v < math.MaxUint64-math.MaxUint32 {
			return m, "invalid mark value"
		}
		m.Value = uint32(v)
		rest = r
	}
	m.Mask = math.MaxUint32
	if rest != "" {
		if rest[0] != '/' {
			return m, "invalid mark value"
		}
		v, r, _, ok := cStrtoul(rest[1:], 0)
		if r != "" || !ok || v > math.MaxUint32 && v < math.MaxUint64-math.MaxUint32 {
			return m, "invalid mark mask " + quoteMsg(rest[1:])
		}
		m.Mask = uint32(v)
	}
	if m.Unique == MarkFixed {
		m.Value &= m.Mask
	}
	return m, ""
}

// splitList splits a comma-separated list as strongSwan's token enumerator
// does: blanks around entries are trimmed, empty entries are skipped and an
// entry may be quoted with ' or ".
func splitList(s string) []string {
	var out []string
	for {
		s = strings.TrimLeft(s, ", ")
		if s == "" {
			return out
		}
		if s[0] == '"' || s[0] == '\'' {
			if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
				out = append(out, s[1:1+end])
				s = s[2+end:]
				continue
			}
		}
		tok := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			tok, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if tok = strings.TrimRight(tok, " "); tok != "" {
			out = append(out, tok)
		}
	}
}

// ParseHost parses an IP address as strongSwan's host_create_from_string:
// %any, %any4 and %any6 are the unspecified addresses.
func ParseHost(s string) (netip.Addr, bool) { return parseAddr(s) }

// Atoi is C's atoi: leading blanks, a sign, the digits that follow
// (saturating at 2^31), 0 if there are none.
func Atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			n = 1 << 31
		}
	}
	if neg {
		return -n
	}
	return n
}

// parseAddr parses an IP address as strongSwan's host_create_from_string:
// %any, %any4 and %any6 are the unspecified addresses.
func parseAddr(s string) (netip.Addr, bool) {
	switch s {
	case "%any", "%any4":
		return netip.IPv4Unspecified(), true
	case "%any6":
		return netip.IPv6Unspecified(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseRange parses "from-to" (blanks around '-' allowed): both addresses of
// the same family and from <= to.
func parseRange(s string) (from, to netip.Addr, isRange bool, errMsg string) {
	i := strings.IndexByte(s, '-')
	if i < 0 {
		return from, to, false, ""
	}
	f, okf := parseAddr(strings.TrimRight(s[:i], " "))
	t, okt := parseAddr(strings.TrimLeft(s[i+1:], " "))
	if !okf || !okt {
		return from, to, false, ""
	}
	if f.Is4() != t.Is4() || f.Compare(t) > 0 {
		return f, t, true, "invalid IP address range"
	}
	return f, t, true, ""
}

// parsePrefix parses network/bits (host bits are cleared) or a plain
// address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// parseHosts parses left=/right=: addresses, ranges, subnets and names.
func parseHosts(s string) ([]HostSpec, string) {
	var out []HostSpec
	for _, tok := range splitList(s) {
		h := HostSpec{Raw: tok}
		switch {
		case tok == "%any" || tok == "%any4" || tok == "%any6":
			h.Kind = HostAny
			h.Addr, _ = parseAddr(tok)
		case strings.Contains(tok, "/"):
			p, ok := parsePrefix(tok)
			if !ok {
				return out, "invalid subnet " + quoteMsg(tok)
			}
			h.Kind, h.Prefix = HostPrefix, p
		default:
			if from, to, isRange, msg := parseRange(tok); isRange {
				if msg != "" {
					return out, msg + " " + quoteMsg(tok)
				}
				h.Kind, h.From, h.To = HostRange, from, to
				break
			}
			if a, ok := parseAddr(tok); ok {
				h.Kind, h.Addr = HostAddr, a
				break
			}
			if looksNumeric(tok) || strings.Contains(tok, ":") {
				return out, "invalid IP address " + quoteMsg(tok)
			}
			if strings.ContainsAny(tok, " \t") {
				return out, "invalid host name " + quoteMsg(tok)
			}
			h.Kind = HostName
		}
		out = append(out, h)
	}
	return out, ""
}

// looksNumeric reports whether s consists of digits and dots only, i.e. was
// meant as an IPv4 address.
func looksNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

// parseSourceIPs parses leftsourceip=/rightsourceip=.
func parseSourceIPs(s string) ([]SourceIP, string) {
	var out []SourceIP
	for _, tok := range splitList(s) {
		sip := SourceIP{Raw: tok}
		switch tok {
		case "%config", "%cfg", "%modeconfig", "%modecfg":
			sip.Kind = SourceIPConfig
		case "%config4":
			sip.Kind = SourceIPConfig4
		case "%config6":
			sip.Kind = SourceIPConfig6
		default:
			if name, ok := strings.CutPrefix(tok, "%"); ok {
				if name == "" {
					return out, "IP pool name missing after '%'"
				}
				if a, ok := parseAddr(tok); ok { // %any, %any4, %any6
					sip.Kind, sip.Addr = SourceIPAddr, a
					break
				}
				sip.Kind, sip.Pool = SourceIPPool, name
				break
			}
			if from, to, isRange, msg := parseRange(tok); isRange {
				if msg != "" {
					return out, "IP pool " + quoteMsg(tok) + " invalid: " + msg
				}
				sip.Kind, sip.From, sip.To = SourceIPRange, from, to
				break
			}
			if strings.Contains(tok, "/") {
				p, err := netip.ParsePrefix(tok)
				if err != nil || p.Addr().Zone() != "" {
					return out, "IP pool " + quoteMsg(tok) + " invalid"
				}
				sip.Kind, sip.Prefix = SourceIPPrefix, p
				break
			}
			a, ok := parseAddr(tok)
			if !ok {
				return out, "invalid source IP (virtual IP or pool) " + quoteMsg(tok)
			}
			sip.Kind, sip.Addr = SourceIPAddr, a
		}
		out = append(out, sip)
	}
	return out, ""
}

// parseDNS parses leftdns=/rightdns=.
func parseDNS(s string) ([]DNSServer, string) {
	var out []DNSServer
	for _, tok := range splitList(s) {
		switch tok {
		case "%config", "%config4":
			out = append(out, DNSServer{Request: true, Addr: netip.IPv4Unspecified()})
		case "%config6":
			out = append(out, DNSServer{Request: true, Addr: netip.IPv6Unspecified()})
		default:
			a, ok := parseAddr(tok)
			if !ok {
				return out, "invalid DNS address " + quoteMsg(tok)
			}
			out = append(out, DNSServer{Addr: a})
		}
	}
	return out, ""
}

// protoPort is a parsed protocol/port restriction.
type protoPort struct {
	proto    uint8
	from, to uint16
	hasPort  bool
}

// parseProtoPort parses "proto[/port]" as starter and stroke do: proto is a
// name from /etc/protocols, a number or %any (or empty); port is a service
// name, a number, a range lo-hi, %any or %opaque.
func parseProtoPort(s string) (protoPort, string) {
	pp := protoPort{to: 0xffff}
	proto, port, _ := strings.Cut(s, "/")
	if proto != "%any" {
		if n, ok := protocolByName(proto); ok {
			pp.proto = n
		} else {
			v, rest, digits, ok := cStrtoul(proto, 0)
			if strings.HasPrefix(strings.TrimLeft(proto, " \t"), "-") || !ok || v > 0xff || (proto != "" && (rest != "" || !digits)) {
				return pp, "bad protocol " + quoteMsg(proto)
			}
			pp.proto = uint8(v)
		}
	}
	switch port {
	case "":
	case "%any":
		pp.from, pp.to, pp.hasPort = 0, 0xffff, true
	case "%opaque":
		pp.from, pp.to, pp.hasPort = 0xffff, 0, true
	default:
		pp.hasPort = true
		if n, ok := serviceByName(port); ok {
			pp.from, pp.to = n, n
			break
		}
		lo, hi, found := strings.Cut(port, "-")
		from, ok := parsePort(lo)
		if !ok {
			return pp, "bad port " + quoteMsg(port)
		}
		to := from
		if found {
			if to, ok = parsePort(hi); !ok {
				return pp, "bad port " + quoteMsg(port)
			}
		}
		pp.from, pp.to = from, to
	}
	return pp, ""
}

func parsePort(s string) (uint16, bool) {
	if strings.HasPrefix(strings.TrimLeft(s, " \t"), "-") {
		return 0, false
	}
	v, rest, digits, ok := cStrtoul(s, 0)
	if !digits || !ok || rest != "" || v > 0xffff {
		return 0, false
	}
	return uint16(v), true
}

// subnetSpec is one parsed leftsubnet= entry; the protocol and ports of
// leftprotoport= fill in what its [proto/port] suffix leaves open.
type subnetSpec struct {
	ts      TrafficSelector
	hasPP   bool // a [proto/port] suffix was given (sets the protocol)
	hasPort bool // ... and it had a port part
}

// parseSubnets parses leftsubnet=: entries are network/bits, an address or
// %dynamic, each optionally followed by [proto/port]. Invalid entries are
// reported and skipped, as stroke does.
func parseSubnets(s string) (specs []subnetSpec, errs []string) {
	for _, tok := range splitList(s) {
		var sp subnetSpec
		if i := strings.IndexByte(tok, '['); i >= 0 {
			spec := tok[i+1:]
			j := strings.LastIndexByte(spec, ']')
			if j < 0 {
				errs = append(errs, "invalid proto/port "+quoteMsg(spec)+": missing ']'")
				continue
			}
			pp, msg := parseProtoPort(spec[:j])
			if msg != "" {
				errs = append(errs, "invalid proto/port "+quoteMsg(spec[:j])+": "+msg)
				continue
			}
			sp.hasPP, sp.hasPort = true, pp.hasPort
			sp.ts.Protocol, sp.ts.FromPort, sp.ts.ToPort = pp.proto, pp.from, pp.to
			tok = tok[:i]
		}
		if tok == "%dynamic" {
			sp.ts.Dynamic = true
		} else {
			p, ok := parsePrefix(tok)
			if !ok {
				errs = append(errs, "invalid subnet "+quoteMsg(tok))
				continue
			}
			sp.ts.Prefix = p
		}
		specs = append(specs, sp)
	}
	return specs, errs
}

// Built-in subsets of /etc/protocols and /etc/services, used where those
// files are missing; the files, when present, are consulted first.
var builtinProtocols = map[string]uint8{
	"ip": 0, "icmp": 1, "igmp": 2, "ipencap": 4, "tcp": 6, "udp": 17, "ipv6": 41,
	"ipv6-route": 43, "ipv6-frag": 44, "gre": 47, "esp": 50, "ah": 51,
	"ipv6-icmp": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89, "pim": 103,
	"ipcomp": 108, "vrrp": 112, "l2tp": 115, "sctp": 132, "udplite": 136, "mpls-in-ip": 137,
	"IP": 0, "ICMP": 1, "IGMP": 2, "IP-ENCAP": 4, "TCP": 6, "UDP": 17, "IPv6": 41,
	"IPv6-Route": 43, "IPv6-Frag": 44, "GRE": 47, "IPV6-ICMP": 58, "IPv6-ICMP": 58,
	"IPv6-NoNxt": 59, "IPv6-Opts": 60, "OSPFIGP": 89, "PIM": 103, "IPCOMP": 108,
	"VRRP": 112, "L2TP": 115, "SCTP": 132, "UDPLite": 136,
	"ESP": 50, "IPV6-CRYPT": 50, "AH": 51, "IPV6-AUTH": 51,
}

var builtinServices = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "domain": 53,
	"bootps": 67, "bootpc": 68, "tftp": 69, "http": 80, "www": 80, "kerberos": 88,
	"pop3": 110, "sunrpc": 111, "auth": 113, "nntp": 119, "ntp": 123,
	"netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139, "imap2": 143, "imap": 143,
	"snmp": 161, "snmp-trap": 162, "ldap": 389, "https": 443, "microsoft-ds": 445,
	"isakmp": 500, "syslog": 514, "submission": 587, "ldaps": 636, "imaps": 993,
	"pop3s": 995, "openvpn": 1194, "l2tp": 1701, "l2f": 1701, "radius": 1812,
	"radius-acct": 1813, "nfs": 2049, "mysql": 3306, "ipsec-nat-t": 4500,
	"postgresql": 5432, "sip": 5060, "sip-tls": 5061,
}

var netDB struct {
	once      sync.Once
	protocols map[string]uint8
	services  map[string]uint16
}

func loadNetDB() {
	netDB.protocols = map[string]uint8{}
	netDB.services = map[string]uint16{}
	if data, err := os.ReadFile("/etc/protocols"); err == nil {
		eachDBLine(data, func(f []string) {
			n, err := strconv.ParseUint(f[1], 10, 8)
			if err != nil {
				return
			}
			for i, name := range f {
				if i != 1 {
					if _, dup := netDB.protocols[name]; !dup {
						netDB.protocols[name] = uint8(n)
					}
				}
			}
		})
	}
	if data, err := os.ReadFile("/etc/services"); err == nil {
		eachDBLine(data, func(f []string) {
			num, _, _ := strings.Cut(f[1], "/")
			n, err := strconv.ParseUint(num, 10, 16)
			if err != nil {
				return
			}
			for i, name := range f {
				if i != 1 {
					if _, dup := netDB.services[name]; !dup {
						netDB.services[name] = uint16(n)
					}
				}
			}
		})
	}
}

func eachDBLine(data []byte, fn func(fields []string)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if f := strings.Fields(line); len(f) >= 2 {
			fn(f)
		}
	}
}

func protocolByName(name string) (uint8, bool) {
	if name == "" {
		return 0, false
	}
	netDB.once.Do(loadNetDB)
	if n, ok := netDB.protocols[name]; ok {
		return n, true
	}
	n, ok := builtinProtocols[name]
	return n, ok
}

func serviceByName(name string) (uint16, bool) {
	if name == "" {
		return 0, false
	}
	netDB.once.Do(loadNetDB)
	if n, ok := netDB.services[name]; ok {
		return n, true
	}
	n, ok := builtinServices[name]
	return n, ok
}

// quoteMsg renders a token for a message: in single quotes, or Go-quoted if
// it contains control characters.
func quoteMsg(s string) string {
	if show(s) != s {
		return strconv.Quote(s)
	}
	return "'" + s + "'"
}
