package control

import (
	"bufio"
	"bytes"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
)

// TrafficSelector is a traffic selector as `ipsec status` prints it: an
// address range (a subnet when it is one), an optional IP protocol and a
// port range.
type TrafficSelector struct {
	// From and To bound the address range (inclusive, same family).
	From netip.Addr `json:"from"`
	To   netip.Addr `json:"to"`
	// Dynamic marks a selector that stands for the host's own (or
	// virtual) address; it prints as "dynamic" while the range is still
	// the whole address space.
	Dynamic bool `json:"dynamic,omitempty"`
	// Protocol is the IP protocol number, 0 for any.
	Protocol uint8 `json:"protocol,omitempty"`
	// FromPort and ToPort bound the port range. Both zero (the zero value)
	// or 0-65535 mean any port; FromPort 65535 with ToPort 0 is OPAQUE.
	// For ICMP the "port" is type<<8 | code.
	FromPort uint16 `json:"from_port,omitempty"`
	ToPort   uint16 `json:"to_port,omitempty"`
}

// SubnetTS returns the selector covering prefix, any protocol and port.
func SubnetTS(prefix netip.Prefix) TrafficSelector {
	p := prefix.Masked()
	return TrafficSelector{From: p.Addr(), To: lastAddr(p)}
}

// DynamicTS returns the "dynamic" selector of a configuration (IPv4, or
// IPv6 when v6 is set).
func DynamicTS(v6 bool) TrafficSelector {
	p := netip.MustParsePrefix("0.0.0.0/0")
	if v6 {
		p = netip.MustParsePrefix("::/0")
	}
	ts := SubnetTS(p)
	ts.Dynamic = true
	return ts
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			b[i] |= 0xff >> bits
			bits = 0
		default:
			b[i] = 0xff
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// prefixLen returns the length of the prefix whose range is exactly
// [from, to], or -1 if the range is not a subnet.
func prefixLen(from, to netip.Addr) int {
	if !from.IsValid() || !to.IsValid() || from.Is4() != to.Is4() {
		return -1
	}
	f, t := from.AsSlice(), to.AsSlice()
	n := 0
	for i := range f {
		for bit := 7; bit >= 0; bit-- {
			fb, tb := f[i]>>bit&1, t[i]>>bit&1
			if fb == tb && n == i*8+7-bit {
				n++
				continue
			}
			if fb != 0 || tb != 1 {
				return -1
			}
		}
	}
	return n
}

// anyPorts reports whether the selector has no port restriction.
func (ts TrafficSelector) anyPorts() bool {
	return (ts.FromPort == 0 && ts.ToPort == 0) || (ts.FromPort == 0 && ts.ToPort == 0xffff)
}

// String renders the selector as strongSwan's %R does, with the system's
// protocol and service names.
func (ts TrafficSelector) String() string {
	return ts.format(systemNames())
}

func (ts TrafficSelector) format(names NameDB) string {
	var b strings.Builder
	full := ts.From.IsValid() && ts.From.IsUnspecified() && prefixLen(ts.From, ts.To) == 0
	switch n := prefixLen(ts.From, ts.To); {
	case ts.Dynamic && full:
		b.WriteString("dynamic")
	case n >= 0:
		b.WriteString(ts.From.String())
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(n))
	default:
		b.WriteString(addrString(ts.From))
		b.WriteString("..")
		b.WriteString(addrString(ts.To))
	}
	if ts.Protocol == 0 && ts.anyPorts() {
		return b.String()
	}
	b.WriteByte('[')
	proto := ""
	if ts.Protocol != 0 {
		if names != nil {
			proto = names.Protocol(ts.Protocol)
		}
		if proto != "" {
			b.WriteString(proto)
		} else {
			b.WriteString(strconv.Itoa(int(ts.Protocol)))
		}
	} else {
		b.WriteByte('0')
	}
	if !ts.anyPorts() {
		b.WriteByte('/')
		icmp := ts.Protocol == 1 || ts.Protocol == 58
		switch {
		case ts.FromPort == ts.ToPort && icmp:
			b.WriteString(icmpString(ts.FromPort))
		case ts.FromPort == ts.ToPort:
			svc := ""
			if names != nil {
				svc = names.Service(ts.FromPort, proto)
			}
			if svc != "" {
				b.WriteString(svc)
			} else {
				b.WriteString(strconv.Itoa(int(ts.FromPort)))
			}
		case ts.FromPort == 0xffff && ts.ToPort == 0:
			b.WriteString("OPAQUE")
		case icmp:
			b.WriteString(icmpString(ts.FromPort))
			b.WriteByte('-')
			b.WriteString(icmpString(ts.ToPort))
		default:
			b.WriteString(strconv.Itoa(int(ts.FromPort)))
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(ts.ToPort)))
		}
	}
	b.WriteByte(']')
	return b.String()
}

func icmpString(port uint16) string {
	typ, code := port>>8, port&0xff
	if code != 0 {
		return strconv.Itoa(int(typ)) + "(" + strconv.Itoa(int(code)) + ")"
	}
	return strconv.Itoa(int(typ))
}

// addrString prints an address like inet_ntop; an invalid one as "%any".
func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "%any"
	}
	return a.String()
}

// tsList renders a selector list as %#R does: space separated.
func tsList(list []TrafficSelector, names NameDB) string {
	parts := make([]string, len(list))
	for i, ts := range list {
		parts[i] = ts.format(names)
	}
	return strings.Join(parts, " ")
}

// NameDB maps protocol numbers and ports to names, as getprotobynumber(3)
// and getservbyport(3) do for strongSwan. Empty results print numbers.
type NameDB interface {
	Protocol(number uint8) string
	// Service names port for the protocol name proto ("tcp", "udp"; ""
	// for any).
	Service(port uint16, proto string) string
}

// StaticNames is a NameDB from fixed tables, for tests and as the fallback
// when /etc/protocols or /etc/services cannot be read.
type StaticNames struct {
	Protocols map[uint8]string
	// Services maps "port/proto" to a name, e.g. "22/tcp" -> "ssh".
	Services map[string]string
}

// Protocol implements NameDB.
func (s StaticNames) Protocol(n uint8) string { return s.Protocols[n] }

// Service implements NameDB: with proto "" the first protocol that has a
// name for the port wins, tcp before udp, as in glibc's file order.
func (s StaticNames) Service(port uint16, proto string) string {
	p := strconv.Itoa(int(port))
	if proto != "" {
		return s.Services[p+"/"+proto]
	}
	for _, pr := range []string{"tcp", "udp", "sctp", "dccp"} {
		if n := s.Services[p+"/"+pr]; n != "" {
			return n
		}
	}
	return ""
}

// DefaultNames is the built-in table: Debian's /etc/protocols and
// /etc/services entries for what IPsec policies usually name.
var DefaultNames = StaticNames{
	Protocols: map[uint8]string{
		1: "icmp", 2: "igmp", 4: "ipencap", 6: "tcp", 17: "udp", 41: "ipv6",
		47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 89: "ospf",
		103: "pim", 112: "vrrp", 132: "sctp", 136: "udplite",
	},
	Services: map[string]string{
		"20/tcp": "ftp-data", "21/tcp": "ftp", "22/tcp": "ssh", "23/tcp": "telnet",
		"25/tcp": "smtp", "53/tcp": "domain", "53/udp": "domain", "67/udp": "bootps",
		"68/udp": "bootpc", "69/udp": "tftp", "80/tcp": "http", "88/tcp": "kerberos",
		"88/udp": "kerberos", "110/tcp": "pop3", "123/udp": "ntp", "143/tcp": "imap2",
		"161/udp": "snmp", "179/tcp": "bgp", "389/tcp": "ldap", "443/tcp": "https",
		"443/udp": "https", "500/udp": "isakmp", "514/udp": "syslog", "636/tcp": "ldaps",
		"1812/udp": "radius", "1813/udp": "radius-acct", "3306/tcp": "mysql",
		"4500/udp": "ipsec-nat-t", "5432/tcp": "postgresql",
	},
}

var (
	sysNamesOnce sync.Once
	sysNames     NameDB
)

// systemNames reads /etc/protocols and /etc/services once; missing files
// fall back to DefaultNames.
func systemNames() NameDB {
	sysNamesOnce.Do(func() {
		s := StaticNames{Protocols: map[uint8]string{}, Services: map[string]string{}}
		okP := readNameFile("/etc/protocols", func(f []string) {
			if n, err := strconv.ParseUint(f[1], 10, 8); err == nil {
				if _, dup := s.Protocols[uint8(n)]; !dup {
					s.Protocols[uint8(n)] = f[0]
				}
			}
		})
		okS := readNameFile("/etc/services", func(f []string) {
			if _, dup := s.Services[f[1]]; !dup {
				s.Services[f[1]] = f[0]
			}
		})
		if !okP {
			s.Protocols = DefaultNames.Protocols
		}
		if !okS {
			s.Services = DefaultNames.Services
		}
		sysNames = s
	})
	return sysNames
}

func readNameFile(path string, add func(fields []string)) bool {
	data, err := os.ReadFile(path)
	if err != nil || len(data) > 4<<20 {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if f := strings.Fields(line); len(f) >= 2 {
			add(f)
		}
	}
	return true
}
