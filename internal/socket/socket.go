// Package socket is the daemon's IKE network I/O (strongSwan's
// socket-default): UDP sockets on the IKE port (500) and the NAT-T port
// (4500) for IPv4 and IPv6, bound to the wildcard address, learning the
// local address of every received datagram (IP_PKTINFO / IPV6_PKTINFO)
// and choosing it as the source of replies, adding and stripping the
// non-ESP marker on the NAT-T port (RFC 3948), marking packets with
// SO_MARK (charon.plugins.socket-default.fwmark) so routing policies can
// keep them out of the IPsec routing table, and sending NAT-T keepalives.
//
// It imports only the standard library and golang.org/x/sys.
package socket

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Datagram is one received or sent IKE message. For the NAT-T port, Data
// excludes the non-ESP marker.
type Datagram struct {
	Src, Dst  netip.AddrPort
	Data      []byte
	Keepalive bool
}

// Config says what to open.
type Config struct {
	Port, NATTPort uint16 // 0 disables a port (tests use unprivileged ports)
	IPv4, IPv6     bool
	Mark           uint32 // SO_MARK, 0 for none
	// RecvESP is called for ESP-in-UDP packets on the NAT-T port (nil:
	// dropped); the userspace datapath hooks in here.
	RecvESP func(src, dst netip.AddrPort, data []byte)
}

// Socket is the set of open UDP sockets.
type Socket struct {
	cfg   Config
	conns map[connKey]*net.UDPConn
	mu    sync.Mutex // guards closed
	close bool
}

type connKey struct {
	v6   bool
	port uint16
}

// Open opens the sockets.
func Open(cfg Config) (*Socket, error) {
	s := &Socket{cfg: cfg, conns: map[connKey]*net.UDPConn{}}
	for _, port := range []uint16{cfg.Port, cfg.NATTPort} {
		if port == 0 {
			continue
		}
		for _, v6 := range []bool{false, true} {
			if (v6 && !cfg.IPv6) || (!v6 && !cfg.IPv4) {
				continue
			}
			c, err := s.listen(v6, port)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.conns[connKey{v6, port}] = c
		}
	}
	if len(s.conns) == 0 {
		return nil, errors.New("no sockets configured")
	}
	return s, nil
}

func (s *Socket) listen(v6 bool, port uint16) (*net.UDPConn, error) {
	network, addr := "udp4", fmt.Sprintf("0.0.0.0:%d", port)
	if v6 {
		network, addr = "udp6", fmt.Sprintf("[::]:%d", port)
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			f := int(fd)
			if v6 {
				serr = unix.SetsockoptInt(f, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1)
				if serr == nil {
					serr = unix.SetsockoptInt(f, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
				}
			} else {
				serr = unix.SetsockoptInt(f, unix.IPPROTO_IP, unix.IP_PKTINFO, 1)
			}
			if serr == nil && s.cfg.Mark != 0 {
				serr = unix.SetsockoptInt(f, unix.SOL_SOCKET, unix.SO_MARK, int(s.cfg.Mark))
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	pc, err := lc.ListenPacket(context.Background(), network, addr)
	if err != nil {
		return nil, fmt.Errorf("unable to bind socket to port %d: %w", port, err)
	}
	return pc.(*net.UDPConn), nil
}

// Close closes all sockets; Serve returns.
func (s *Socket) Close() error {
	s.mu.Lock()
	s.close = true
	s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	return nil
}

// Serve reads datagrams from all sockets and calls recv for each IKE
// message until Close. It returns the first read error that is not caused
// by Close.
func (s *Socket) Serve(recv func(Datagram)) error {
	var wg sync.WaitGroup
	errc := make(chan error, len(s.conns))
	for k, c := range s.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- s.readLoop(k, c, recv)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Socket) closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.close
}

func (s *Socket) readLoop(k connKey, c *net.UDPConn, recv func(Datagram)) error {
	buf := make([]byte, 65536)
	oob := make([]byte, 256)
	for {
		n, oobn, _, src, err := c.ReadMsgUDPAddrPort(buf, oob)
		if err != nil {
			if s.closed() {
				return nil
			}
			return err
		}
		dst := localAddr(oob[:oobn], k)
		data := buf[:n]
		if k.port == s.cfg.NATTPort && k.port != 0 {
			switch {
			case n == 1 && data[0] == 0xff:
				continue // NAT-T keepalive
			case n < 4:
				continue
			case binary.BigEndian.Uint32(data) != 0:
				if s.cfg.RecvESP != nil {
					s.cfg.RecvESP(src, dst, append([]byte(nil), data...))
				}
				continue
			}
			data = data[4:]
		}
		recv(Datagram{Src: unmap(src), Dst: dst, Data: append([]byte(nil), data...)})
	}
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// localAddr extracts the datagram's destination from the PKTINFO control
// message.
func localAddr(oob []byte, k connKey) netip.AddrPort {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil {
		for _, m := range msgs {
			switch {
			case m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= unix.SizeofInet4Pktinfo:
				var a [4]byte
				copy(a[:], m.Data[8:12]) // ipi_addr
				return netip.AddrPortFrom(netip.AddrFrom4(a), k.port)
			case m.Header.Level == unix.IPPROTO_IPV6 && m.Header.Type == unix.IPV6_PKTINFO && len(m.Data) >= unix.SizeofInet6Pktinfo:
				var a [16]byte
				copy(a[:], m.Data[:16])
				return netip.AddrPortFrom(netip.AddrFrom16(a), k.port)
			}
		}
	}
	if k.v6 {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), k.port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), k.port)
}

// Send transmits a datagram from d.Src (its port picks the socket, its
// address is the source) to d.Dst, adding the non-ESP marker on the NAT-T
// port.
func (s *Socket) Send(d Datagram) error {
	v6 := d.Dst.Addr().Is6() && !d.Dst.Addr().Is4In6()
	c := s.conns[connKey{v6, d.Src.Port()}]
	if c == nil {
		return fmt.Errorf("no socket for port %d", d.Src.Port())
	}
	payload := d.Data
	if d.Keepalive {
		payload = []byte{0xff}
	} else if d.Src.Port() == s.cfg.NATTPort && s.cfg.NATTPort != 0 {
		payload = make([]byte, 4+len(d.Data))
		copy(payload[4:], d.Data)
	}
	oob := sourceOOB(d.Src.Addr(), v6)
	dst := d.Dst
	if !v6 {
		dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	}
	_, _, err := c.WriteMsgUDPAddrPort(payload, oob, dst)
	return err
}

// SendESP sends an ESP-in-UDP packet (with no marker) from the NAT-T port.
func (s *Socket) SendESP(src, dst netip.AddrPort, data []byte) error {
	v6 := dst.Addr().Is6() && !dst.Addr().Is4In6()
	c := s.conns[connKey{v6, s.cfg.NATTPort}]
	if c == nil {
		return errors.New("no NAT-T socket")
	}
	_, _, err := c.WriteMsgUDPAddrPort(data, sourceOOB(src.Addr(), v6), dst)
	return err
}

func sourceOOB(src netip.Addr, v6 bool) []byte {
	if !src.IsValid() || src.IsUnspecified() {
		return nil
	}
	if v6 {
		b := make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
		h := (*unix.Cmsghdr)(unsafePointer(b))
		h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
		h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
		a := src.As16()
		copy(b[unix.CmsgLen(0):], a[:])
		return b
	}
	b := make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	h := (*unix.Cmsghdr)(unsafePointer(b))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
	a := src.Unmap().As4()
	copy(b[unix.CmsgLen(0)+4:], a[:]) // ipi_spec_dst
	return b
}

// Control calls f with the file descriptor of every open socket (its
// family and port), e.g. to exempt the IKE sockets from IPsec policies or
// to enable the kernel's UDP decapsulation on the NAT-T socket.
func (s *Socket) Control(f func(fd int, v6 bool, port uint16) error) error {
	for k, c := range s.conns {
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var ferr error
		if err := rc.Control(func(fd uintptr) { ferr = f(int(fd), k.v6, k.port) }); err != nil {
			return err
		}
		if ferr != nil {
			return ferr
		}
	}
	return nil
}
