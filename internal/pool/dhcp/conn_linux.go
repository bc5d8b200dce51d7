package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/log"
)

// sockConn is strongSwan's dhcp_socket arrangement: a UDP socket bound to
// port 68 (67 for use_server_port) sends, with SO_BROADCAST and a minimal
// receive buffer as nothing is read from it; a packet socket with a filter
// receives the replies, whatever address and port they were sent to (the
// broadcast address, our giaddr at port 67, ...). Both are bound to the
// configured interface. All of it, the netlink handle for source address
// look-ups included, lives in the network namespace New ran in.
type sockConn struct {
	udp *net.UDPConn
	pkt *os.File
	raw syscall.RawConn

	nlMu sync.Mutex // guards nl
	nl   *netlink.Handle
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openConn(st settings, l *log.Logger) (conn, error) {
	fail := func(g log.Group, format string, err error) error {
		l.Log(g, 1, log.Context{}, format, errText(err))
		return fmt.Errorf(format, err)
	}
	if len(st.iface) > unix.IFNAMSIZ-1 {
		l.Log(log.CFG, 1, log.Context{}, "name for DHCP interface too long: '%s'", st.iface)
		return nil, fmt.Errorf("name for DHCP interface too long: '%s'", st.iface)
	}
	var optErr error
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			s := int(fd)
			if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				optErr = fail(log.CFG, "unable to reuse DHCP socket address: %s", err)
				return
			}
			if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
				optErr = fail(log.CFG, "unable to broadcast on DHCP socket: %s", err)
				return
			}
			// nothing is read from this socket; the kernel rounds 0 up to
			// its minimum
			if err := unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_RCVBUF, 0); err != nil {
				optErr = fail(log.CFG, "unable to reduce receive buffer on DHCP send socket: %s", err)
				return
			}
			if st.iface != "" {
				if err := unix.BindToDevice(s, st.iface); err != nil {
					optErr = fail(log.CFG, "binding DHCP socket to '"+st.iface+"' failed: %s", err)
				}
			}
		})
	}}
	port := clientPort
	if st.useServerPort {
		// as relay agent the server answers to port 67 of giaddr (RFC
		// 2131 section 4.1); sending from there spares the server an
		// ICMP port unreachable
		port = serverPort
	}
	pc, err := lc.ListenPacket(context.Background(), "udp4", fmt.Sprintf("0.0.0.0:%d", port))
	if err != nil {
		if optErr != nil {
			return nil, optErr
		}
		return nil, fail(log.CFG, "unable to bind DHCP send socket: %s", err)
	}
	c := &sockConn{udp: pc.(*net.UDPConn)}

	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_IP)))
	if err != nil {
		c.udp.Close()
		return nil, fail(log.NET, "opening DHCP receive socket failed: %s", err)
	}
	if err := attachFilter(fd, replyFilter()); err != nil {
		unix.Close(fd)
		c.udp.Close()
		return nil, fail(log.CFG, "installing DHCP socket filter failed: %s", err)
	}
	if st.iface != "" {
		if err := bindPacket(fd, st.iface, unix.ETH_P_IP); err != nil {
			unix.Close(fd)
			c.udp.Close()
			return nil, fail(log.CFG, "binding DHCP socket to '"+st.iface+"' failed: %s", err)
		}
	}
	c.pkt = os.NewFile(uintptr(fd), "dhcp-packet")
	if c.raw, err = c.pkt.SyscallConn(); err != nil {
		c.close()
		return nil, err
	}
	if !st.broadcast() {
		if c.nl, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			c.close()
			return nil, fail(log.CFG, "unable to open netlink socket for DHCP: %s", err)
		}
		_ = c.nl.SetSocketTimeout(2 * time.Second)
	}
	return c, nil
}

// attachFilter installs a classic BPF program on a socket.
func attachFilter(fd int, prog []bpf.Instruction) error {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return err
	}
	f := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		f[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]})
}

// bindPacket binds a packet socket to an interface (looked up in the
// socket's namespace).
func bindPacket(fd int, name string, proto uint16) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return err
	}
	return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: int(ifr.Uint32())})
}

func (c *sockConn) send(b []byte, dst netip.Addr) error {
	_, err := c.udp.WriteToUDPAddrPort(b, netip.AddrPortFrom(dst, serverPort))
	return err
}

func (c *sockConn) recv(buf []byte) (int, error) {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), buf, 0)
		return rerr != unix.EAGAIN && rerr != unix.EINTR
	})
	if err != nil {
		return 0, err
	}
	return n, rerr
}

// source is charon's get_source_addr: the preferred source of the route
// to dst.
func (c *sockConn) source(dst netip.Addr) (netip.Addr, error) {
	c.nlMu.Lock()
	defer c.nlMu.Unlock()
	if c.nl == nil {
		return netip.Addr{}, errors.New("no netlink handle")
	}
	routes, err := c.nl.RouteGet(dst.AsSlice())
	if err != nil {
		return netip.Addr{}, err
	}
	for _, r := range routes {
		if a, ok := netip.AddrFromSlice(r.Src); ok && a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return netip.Addr{}, errors.New("no source address")
}

func (c *sockConn) close() error {
	var errs []error
	if c.udp != nil {
		errs = append(errs, c.udp.Close())
	}
	if c.pkt != nil {
		errs = append(errs, c.pkt.Close())
	}
	c.nlMu.Lock()
	if c.nl != nil {
		c.nl.Close()
		c.nl = nil
	}
	c.nlMu.Unlock()
	return errors.Join(errs...)
}
