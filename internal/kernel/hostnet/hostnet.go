// Package hostnet is a minimal kernel.Net over the standard library: the
// host's addresses from its interfaces and source address selection by
// connecting a UDP socket (which sends nothing). Virtual IPs and routes
// need the netlink backend (kernel/xfrm) and are refused here. It imports
// only the standard library and internal/kernel.
package hostnet

import (
	"context"
	"errors"
	"net"
	"net/netip"

	"github.com/goswan/goswan/internal/kernel"
)

// Net implements kernel.Net.
type Net struct{}

var _ kernel.Net = Net{}

// ErrUnsupported is returned for virtual IPs and routes.
var ErrUnsupported = errors.New("not supported without a netlink kernel backend")

// SourceAddr returns the address the routing table picks to reach dst.
func (Net) SourceAddr(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 500)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// Addresses returns the addresses of the host's interfaces that are up,
// without loopback and IPv6 link-local addresses (charon's "Listening IP
// addresses").
func (Net) Addresses(context.Context) ([]netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := p.Addr().Unmap()
			if ip.IsLinkLocalUnicast() || ip.IsLoopback() {
				continue
			}
			out = append(out, ip)
		}
	}
	return out, nil
}

func (Net) AddVirtualIP(context.Context, netip.Prefix, string) error { return ErrUnsupported }
func (Net) DelVirtualIP(context.Context, netip.Prefix) error         { return ErrUnsupported }
func (Net) AddRoute(context.Context, kernel.Route) error             { return ErrUnsupported }
func (Net) DelRoute(context.Context, kernel.Route) error             { return ErrUnsupported }

// Events never delivers anything (no address monitoring here).
func (Net) Events() <-chan kernel.Event { return nil }

func (Net) Close() error { return nil }
