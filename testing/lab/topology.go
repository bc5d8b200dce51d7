package lab

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Segment is one Ethernet segment of the test network: a bridge in the
// switch namespace.
type Segment struct {
	Name    string // bridge name in the switch netns: "br-" + Name
	Prefix  netip.Prefix
	Prefix6 netip.Prefix
}

// Iface is one interface of a lab host.
type Iface struct {
	Name  string // eth0, eth1
	Seg   string // Segment.Name
	Addr  netip.Prefix
	Addr6 netip.Prefix
	Down  bool // created and addressed, but left down (alice's eth1)
}

// MAC returns the interface's MAC address, fe:fd:<IPv4 bytes>, as the UML
// and KVM test hosts of strongSwan have.
func (i Iface) MAC() string {
	b := i.Addr.Addr().As4()
	return fmt.Sprintf("fe:fd:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}

// Host is one test host.
type Host struct {
	Name    string
	Ifaces  []Iface
	Gateway netip.Addr // IPv4 default route
}

// Segments of strongSwan's testing.conf network.
var Segments = []Segment{
	{"inet", netip.MustParsePrefix("192.168.0.0/24"), netip.MustParsePrefix("fec0::/16")},
	{"net1", netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("fec1::/16")},
	{"net2", netip.MustParsePrefix("10.2.0.0/16"), netip.MustParsePrefix("fec2::/16")},
}

func ifc(name, seg, v4, v6 string) Iface {
	return Iface{Name: name, Seg: seg, Addr: netip.MustParsePrefix(v4), Addr6: netip.MustParsePrefix(v6)}
}

func down(i Iface) Iface { i.Down = true; return i }

// Hosts of the test network, in strongSwan's order. 192.168.0.254 (uml0)
// does not exist in the lab; hosts on the "internet" segment route to it as
// the test hosts do, so traffic that is not tunneled stays on the bridge.
var Hosts = []Host{
	{"alice", []Iface{ifc("eth0", "net1", "10.1.0.10/16", "fec1::10/16"), down(ifc("eth1", "inet", "192.168.0.50/24", "fec0::5/16"))}, netip.MustParseAddr("10.1.0.1")},
	{"venus", []Iface{ifc("eth0", "net1", "10.1.0.20/16", "fec1::20/16")}, netip.MustParseAddr("10.1.0.1")},
	{"moon", []Iface{ifc("eth0", "inet", "192.168.0.1/24", "fec0::1/16"), ifc("eth1", "net1", "10.1.0.1/16", "fec1::1/16")}, netip.MustParseAddr("192.168.0.254")},
	{"carol", []Iface{ifc("eth0", "inet", "192.168.0.100/24", "fec0::10/16")}, netip.MustParseAddr("192.168.0.254")},
	{"winnetou", []Iface{ifc("eth0", "inet", "192.168.0.150/24", "fec0::15/16")}, netip.MustParseAddr("192.168.0.254")},
	{"dave", []Iface{ifc("eth0", "inet", "192.168.0.200/24", "fec0::20/16")}, netip.MustParseAddr("192.168.0.254")},
	{"sun", []Iface{ifc("eth0", "inet", "192.168.0.2/24", "fec0::2/16"), ifc("eth1", "net2", "10.2.0.1/16", "fec2::1/16")}, netip.MustParseAddr("192.168.0.254")},
	{"bob", []Iface{ifc("eth0", "net2", "10.2.0.10/16", "fec2::10/16")}, netip.MustParseAddr("10.2.0.1")},
}

// HostNames returns the names of all hosts in topology order.
func HostNames() []string {
	n := make([]string, len(Hosts))
	for i, h := range Hosts {
		n[i] = h.Name
	}
	return n
}

// LookupHost returns the host called name.
func LookupHost(name string) (Host, bool) {
	for _, h := range Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// SortHosts orders host names as in the topology and drops duplicates and
// unknown names (which are returned separately).
func SortHosts(names []string) (known, unknown []string) {
	idx := map[string]int{}
	for i, h := range Hosts {
		idx[h.Name] = i
	}
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if _, ok := idx[n]; ok {
			known = append(known, n)
		} else {
			unknown = append(unknown, n)
		}
	}
	sort.Slice(known, func(a, b int) bool { return idx[known[a]] < idx[known[b]] })
	return known, unknown
}

// Placeholders maps the PH_IP_* names of strongSwan's scenario files to the
// lab's addresses (testing/scripts/load-testconfig). The "1" names are the
// second interface of a host, or the virtual IP of a roadwarrior.
var Placeholders = map[string]string{
	"PH_IP_ALICE":     "10.1.0.10",
	"PH_IP_ALICE1":    "192.168.0.50",
	"PH_IP_VENUS":     "10.1.0.20",
	"PH_IP_MOON":      "192.168.0.1",
	"PH_IP_MOON1":     "10.1.0.1",
	"PH_IP_CAROL":     "192.168.0.100",
	"PH_IP_CAROL1":    "10.3.0.1",
	"PH_IP_WINNETOU":  "192.168.0.150",
	"PH_IP_DAVE":      "192.168.0.200",
	"PH_IP_DAVE1":     "10.3.0.2",
	"PH_IP_SUN":       "192.168.0.2",
	"PH_IP_SUN1":      "10.2.0.1",
	"PH_IP_BOB":       "10.2.0.10",
	"PH_IP6_ALICE":    "fec1::10",
	"PH_IP6_ALICE1":   "fec0::5",
	"PH_IP6_VENUS":    "fec1::20",
	"PH_IP6_MOON":     "fec0::1",
	"PH_IP6_MOON1":    "fec1::1",
	"PH_IP6_CAROL":    "fec0::10",
	"PH_IP6_CAROL1":   "fec3::1",
	"PH_IP6_WINNETOU": "fec0::15",
	"PH_IP6_DAVE":     "fec0::20",
	"PH_IP6_DAVE1":    "fec3::2",
	"PH_IP6_SUN":      "fec0::2",
	"PH_IP6_SUN1":     "fec2::1",
	"PH_IP6_BOB":      "fec2::10",
	"PH_IPV6_BOB":     "fec2::10",
}

var placeholderReplacer = func() *strings.Replacer {
	keys := make([]string, 0, len(Placeholders))
	for k := range Placeholders {
		keys = append(keys, k)
	}
	// Longest first: the replacer tries old strings in argument order at
	// each position, and PH_IP_MOON must not eat the prefix of PH_IP_MOON1.
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) > len(keys[j])
		}
		return keys[i] < keys[j]
	})
	var args []string
	for _, k := range keys {
		args = append(args, k, Placeholders[k])
	}
	return strings.NewReplacer(args...)
}()

// SubstitutePlaceholders replaces every PH_IP_* / PH_IP6_* name in s.
func SubstitutePlaceholders(s string) string {
	if !strings.Contains(s, "PH_IP") {
		return s
	}
	return placeholderReplacer.Replace(s)
}

// isLabAddress reports whether a is configured on some lab interface.
func isLabAddress(a netip.Addr) bool {
	for _, h := range Hosts {
		for _, i := range h.Ifaces {
			if i.Addr.Addr() == a || i.Addr6.Addr() == a {
				return true
			}
		}
	}
	return false
}
