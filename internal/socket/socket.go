// Package socket is the daemon's IKE network I/O (strongSwan's
// socket-default): UDP sockets on the IKE port (500) and the NAT-T port
// (4500) for IPv4 and IPv6, bound to the wildcard address, learning the
// local address of every received datagram (IP_PKTINFO / IPV6_PKTINFO)
// and choosing it as the source of replies, adding and stripping the
// non-ESP marker on the NAT-T port (RFC 3948), marking packets with
// SO_MARK (charon.plugins.socket-default.fwmark) so routing policies can
// keep them out of the IPsec routing table, and sending NAT-T keepalives.
//
// The sockets are read with recvmmsg. ESP-in-UDP on the NAT-T port goes
// to the userspace datapath a read at a time (Config.RecvESPBatch, the
// socket's buffers lent for the call; datagrams the kernel coalesced with
// UDP GRO are split again), and comes back in batches (SendESPBatch:
// sendmmsg with IP_PKTINFO / IPV6_PKTINFO sources, runs of equal-sized
// datagrams to one peer as UDP GSO messages); both allocate nothing per
// packet.
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
	"sync/atomic"
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
	// dropped), with a copy of each packet.
	RecvESP func(src, dst netip.AddrPort, data []byte)
	// RecvESPBatch, if set, is called instead of RecvESP with the
	// ESP-in-UDP packets of one read of the NAT-T socket (recvmmsg):
	// pkts[i] came from src[i] and arrived at dst[i]. The slices and the
	// packets are the socket's buffers, valid only during the call. The
	// userspace datapath (userspace.Engine.HandleUDPESPBatch) hooks in
	// here.
	RecvESPBatch func(src, dst []netip.AddrPort, pkts [][]byte)
}

// Socket is the set of open UDP sockets.
type Socket struct {
	cfg   Config
	conns map[connKey]*conn
	mu    sync.Mutex // guards closed
	close bool
	send  sync.Pool // *sendBatch
}

type connKey struct {
	v6   bool
	port uint16
}

type conn struct {
	*net.UDPConn
	rc    syscall.RawConn
	noGSO atomic.Bool // no UDP_SEGMENT, or it failed with EIO
}

// Open opens the sockets.
func Open(cfg Config) (*Socket, error) {
	s := &Socket{cfg: cfg, conns: map[connKey]*conn{}}
	s.send.New = func() any { return new(sendBatch) }
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
			rc, err := c.SyscallConn()
			if err != nil {
				c.Close()
				s.Close()
				return nil, err
			}
			cn := &conn{UDPConn: c, rc: rc}
			// UDP GSO only where the kernel knows UDP_SEGMENT (4.18):
			// older ones would ignore the control message and send
			// the segments as one datagram
			rc.Control(func(fd uintptr) {
				if _, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT); err != nil {
					cn.noGSO.Store(true)
				}
			})
			s.conns[connKey{v6, port}] = cn
		}
	}
	if len(s.conns) == 0 {
		return nil, errors.New("no sockets configured")
	}
	return s, nil
}

// espPort reports whether ESP-in-UDP arrives on port for the userspace
// datapath: its socket gets bigger buffers and longer batches.
func (s *Socket) espPort(port uint16) bool {
	return port == s.cfg.NATTPort && port != 0 && s.cfg.RecvESPBatch != nil
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
			if serr == nil && s.espPort(port) {
				// room for bursts of ESP while the datapath is busy
				setBuffer(f, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, 4<<20)
				setBuffer(f, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, 4<<20)
				// coalesced datagrams (UDP GRO), split again in
				// readLoop; older kernels do without
				unix.SetsockoptInt(f, unix.SOL_UDP, unix.UDP_GRO, 1)
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

// setBuffer sets a socket buffer size, beyond net.core.[rw]mem_max if
// privileged.
func setBuffer(fd, force, opt, size int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, size)
	}
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

func (s *Socket) readLoop(k connKey, c *conn, recv func(Datagram)) error {
	n := ikeBatch
	if s.espPort(k.port) {
		n = espBatch
	}
	r := newReader(k, c.rc, n)
	natt := k.port == s.cfg.NATTPort && k.port != 0
	for {
		got, err := r.read()
		if err != nil {
			if s.closed() {
				return nil
			}
			return err
		}
		for i := range got {
			src, dst, data, gso, ok := r.msg(i)
			if !ok {
				continue
			}
			if gso <= 0 || gso >= len(data) {
				s.classify(r, natt, src, dst, data, recv)
				continue
			}
			for len(data) > 0 { // coalesced by UDP GRO
				seg := data[:min(gso, len(data))]
				data = data[len(seg):]
				s.classify(r, natt, src, dst, seg, recv)
			}
		}
		if len(r.esp) > 0 {
			s.cfg.RecvESPBatch(r.src, r.dst, r.esp)
			clear(r.esp)
			r.src, r.dst, r.esp = r.src[:0], r.dst[:0], r.esp[:0]
		}
	}
}

// classify passes on one datagram: IKE to recv (without the non-ESP
// marker on the NAT-T port), ESP-in-UDP to the batch of r or to RecvESP,
// keepalives nowhere.
func (s *Socket) classify(r *reader, natt bool, src, dst netip.AddrPort, data []byte, recv func(Datagram)) {
	if natt {
		switch {
		case len(data) == 1 && data[0] == 0xff:
			return // NAT-T keepalive
		case len(data) < 4:
			return
		case binary.BigEndian.Uint32(data) != 0:
			switch {
			case s.cfg.RecvESPBatch != nil:
				r.src, r.dst, r.esp = append(r.src, src), append(r.dst, dst), append(r.esp, data)
			case s.cfg.RecvESP != nil:
				s.cfg.RecvESP(src, dst, append([]byte(nil), data...))
			}
			return
		}
		data = data[4:]
	}
	recv(Datagram{Src: src, Dst: dst, Data: append([]byte(nil), data...)})
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
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
	b := s.send.Get().(*sendBatch)
	defer s.send.Put(b)
	b.reset()
	if err := s.queueESP(b, src, dst, data); err != nil {
		return err
	}
	_, err := s.flush(b)
	return err
}

// SendESPBatch sends ESP-in-UDP packets (with no marker) from the NAT-T
// port, pkts[i] from src[i] to dst[i], with one sendmmsg per address
// family (and per 128 packets); the source addresses go in IP_PKTINFO /
// IPV6_PKTINFO control messages. It returns how many packets were sent
// and the first error. It allocates nothing.
func (s *Socket) SendESPBatch(src, dst []netip.AddrPort, pkts [][]byte) (int, error) {
	b := s.send.Get().(*sendBatch)
	defer s.send.Put(b)
	b.reset()
	sent := 0
	var firstErr error
	for i, p := range pkts {
		if err := s.queueESP(b, src[i], dst[i], p); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if b.full() {
			n, err := s.flush(b)
			sent += n
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	n, err := s.flush(b)
	sent += n
	if firstErr == nil {
		firstErr = err
	}
	return sent, firstErr
}

func (s *Socket) queueESP(b *sendBatch, src, dst netip.AddrPort, data []byte) error {
	v6 := dst.Addr().Is6() && !dst.Addr().Is4In6()
	c := s.conns[connKey{v6, s.cfg.NATTPort}]
	if c == nil {
		return errors.New("no NAT-T socket")
	}
	fam := 0
	if v6 {
		fam = 1
	}
	b.fam[fam].add(c, src.Addr(), dst, data, v6)
	return nil
}

// flush sends what b holds.
func (s *Socket) flush(b *sendBatch) (int, error) {
	sent := 0
	var firstErr error
	for i := range b.fam {
		m := &b.fam[i]
		if m.np == 0 {
			continue
		}
		n, err := m.send()
		sent += n
		if err != nil && firstErr == nil {
			firstErr = err
		}
		m.reset()
	}
	return sent, firstErr
}

func sourceOOB(src netip.Addr, v6 bool) []byte {
	if !src.IsValid() || src.IsUnspecified() {
		return nil
	}
	if v6 {
		b := make([]byte, unix.CmsgSpace(unix.SizeofInet6Pktinfo))
		putPktinfo6(b, src)
		return b
	}
	b := make([]byte, unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	putPktinfo4(b, src)
	return b
}

// putPktinfo4 writes an IP_PKTINFO control message choosing src as the
// source address into b (CmsgSpace(SizeofInet4Pktinfo) bytes, aligned).
func putPktinfo4(b []byte, src netip.Addr) {
	h := (*unix.Cmsghdr)(unsafePointer(b))
	h.Level, h.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
	d := b[unix.CmsgLen(0):unix.CmsgSpace(unix.SizeofInet4Pktinfo)]
	clear(d)
	a := src.Unmap().As4()
	copy(d[4:8], a[:]) // ipi_spec_dst
}

// putPktinfo6 writes an IPV6_PKTINFO control message.
func putPktinfo6(b []byte, src netip.Addr) {
	h := (*unix.Cmsghdr)(unsafePointer(b))
	h.Level, h.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
	h.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
	d := b[unix.CmsgLen(0):unix.CmsgSpace(unix.SizeofInet6Pktinfo)]
	clear(d)
	a := src.As16()
	copy(d, a[:]) // ipi6_addr, ifindex 0
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
