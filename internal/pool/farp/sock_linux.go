package farp

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/log"
)

// arpSocket is a packet socket for ARP on all interfaces of its network
// namespace (strongSwan's Linux farp_spoofer), plus a netlink handle of
// the same namespace to learn the interfaces' MAC addresses.
type arpSocket struct {
	f      *os.File
	raw    syscall.RawConn
	closed atomic.Bool

	nlMu sync.Mutex // guards nl
	nl   *netlink.Handle
}

// source is where a packet came from.
type source struct {
	ifindex  int
	addr     net.HardwareAddr // the link-layer source
	outgoing bool             // sent by this host
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openARPSocket(l *log.Logger) (*arpSocket, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		l.Log(log.NET, 1, log.Context{}, "opening ARP packet socket failed: %s", errText(err))
		return nil, fmt.Errorf("opening ARP packet socket failed: %w", err)
	}
	if err := attachFilter(fd, requestFilter()); err != nil {
		unix.Close(fd)
		l.Log(log.NET, 1, log.Context{}, "installing ARP packet filter failed: %s", errText(err))
		return nil, fmt.Errorf("installing ARP packet filter failed: %w", err)
	}
	s := &arpSocket{f: os.NewFile(uintptr(fd), "farp")}
	if s.raw, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return nil, err
	}
	if s.nl, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
		s.f.Close()
		l.Log(log.NET, 1, log.Context{}, "opening netlink socket for ARP failed: %s", errText(err))
		return nil, err
	}
	_ = s.nl.SetSocketTimeout(2 * time.Second)
	return s, nil
}

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

func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

func (s *arpSocket) recv(buf []byte) (int, source, error) {
	var n int
	var from unix.Sockaddr
	var rerr error
	err := s.raw.Read(func(fd uintptr) bool {
		n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
		return rerr != unix.EAGAIN && rerr != unix.EINTR
	})
	if err != nil {
		return 0, source{}, err
	}
	if rerr != nil {
		return 0, source{}, rerr
	}
	var src source
	if ll, ok := from.(*unix.SockaddrLinklayer); ok {
		src.ifindex = ll.Ifindex
		src.outgoing = ll.Pkttype == unix.PACKET_OUTGOING
		if ll.Halen <= 8 {
			src.addr = net.HardwareAddr(append([]byte(nil), ll.Addr[:ll.Halen]...))
		}
	}
	return n, src, nil
}

// ifaceMAC returns the MAC and name of an Ethernet interface.
func (s *arpSocket) ifaceMAC(ifindex int) (net.HardwareAddr, string, bool) {
	s.nlMu.Lock()
	defer s.nlMu.Unlock()
	if s.nl == nil {
		return nil, "", false
	}
	link, err := s.nl.LinkByIndex(ifindex)
	if err != nil {
		return nil, "", false
	}
	a := link.Attrs()
	if a.EncapType != "ether" || len(a.HardwareAddr) != 6 {
		return nil, "", false
	}
	return a.HardwareAddr, a.Name, true
}

func (s *arpSocket) send(b []byte, ifindex int, dst net.HardwareAddr) error {
	to := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ARP), Ifindex: ifindex, Halen: uint8(len(dst))}
	copy(to.Addr[:], dst)
	var serr error
	err := s.raw.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), b, 0, to)
		return serr != unix.EAGAIN && serr != unix.EINTR
	})
	if err != nil {
		return err
	}
	return serr
}

func (s *arpSocket) isClosed() bool { return s.closed.Load() }

func (s *arpSocket) close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.f.Close()
	s.nlMu.Lock()
	if s.nl != nil {
		s.nl.Close()
		s.nl = nil
	}
	s.nlMu.Unlock()
	return err
}
