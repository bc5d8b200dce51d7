// Package netdb looks up protocol and service names the way the C
// library's getprotobynumber/getservbyport do, from /etc/protocols and
// /etc/services, so that traffic selectors print as charon prints them
// ("10.1.0.0/16[tcp/http]"). A few well-known names are built in for
// hosts without those files. It imports only the standard library.
package netdb

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

var (
	once     sync.Once
	protos   map[uint8]string
	services map[string]string // "port/proto" -> name
)

var builtinProtos = map[uint8]string{1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp"}

var builtinServices = map[string]string{
	"22/tcp": "ssh", "53/udp": "domain", "53/tcp": "domain", "80/tcp": "http", "443/tcp": "https",
	"500/udp": "isakmp", "4500/udp": "ipsec-nat-t", "1701/udp": "l2tp", "1812/udp": "radius",
}

func load() {
	protos = map[uint8]string{}
	services = map[string]string{}
	for k, v := range builtinProtos {
		protos[k] = v
	}
	for k, v := range builtinServices {
		services[k] = v
	}
	if f, err := os.Open("/etc/protocols"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
			if len(fs) < 2 {
				continue
			}
			if n, err := strconv.Atoi(fs[1]); err == nil && n >= 0 && n < 256 {
				protos[uint8(n)] = fs[0]
			}
		}
		f.Close()
	}
	if f, err := os.Open("/etc/services"); err == nil {
		sc := bufio.NewScanner(f)
		seen := map[string]bool{}
		for sc.Scan() {
			fs := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
			if len(fs) < 2 || seen[fs[1]] {
				continue
			}
			seen[fs[1]] = true // the first entry wins, as in getservbyport
			services[fs[1]] = fs[0]
		}
		f.Close()
	}
}

// ProtoName returns the name of an IP protocol number, or "" if unknown.
func ProtoName(p uint8) string {
	once.Do(load)
	return protos[p]
}

// ServiceName returns the name of a port for a protocol name ("tcp",
// "udp"), or "" if unknown.
func ServiceName(port uint16, proto string) string {
	once.Do(load)
	return services[strconv.Itoa(int(port))+"/"+proto]
}
