package userspace

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// packetConn sends and receives raw ESP packets (the Linux implementation
// is rawConn; tests use in-memory ones).
type packetConn interface {
	// readBatch receives up to len(ps) packets: the ESP packet (from the
	// SPI on) lands in ps[i].buf at ps[i].off with length ps[i].n, src and
	// dst are the outer addresses. It blocks until at least one arrives.
	readBatch(ps []pkt) (int, error)
	// writeBatch sends the packets (ESP from the SPI on) from p.src to
	// p.dst and returns how many were sent.
	writeBatch(ps []*pkt) (int, error)
	close() error
}

const oobSize = 64 // room for one IP_PKTINFO/IPV6_PKTINFO control message

// rawConn is an IPPROTO_ESP raw socket, read with recvmmsg and written
// with sendmmsg. The kernel needs no ESP support for it: it hands us
// every ESP packet addressed to this host and sends ours with an IP
// header it builds (source chosen with IP_PKTINFO/IPV6_PKTINFO). IPv4
// reads include the IP header, IPv6 reads do not (the destination comes
// from IPV6_PKTINFO).
type rawConn struct {
	v6 bool
	f  *os.File
	rc syscall.RawConn

	rhdr  []unix.Mmsghdr
	riov  []unix.Iovec
	rname []unix.RawSockaddrInet6
	roob  []byte

	whdr   []unix.Mmsghdr
	wiov   []unix.Iovec
	wname4 []unix.RawSockaddrInet4
	wname6 []unix.RawSockaddrInet6
	woob   []byte
}

func setBuffer(fd, force, opt, size int) {
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, size) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, size)
	}
}

func newRawConn(v6 bool, mark uint32) (*rawConn, error) {
	fam := unix.AF_INET
	if v6 {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_ESP)
	if err != nil {
		return nil, err
	}
	if mark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark)); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("SO_MARK: %w", err)
		}
	}
	setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, 8<<20)
	setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, 4<<20)
	if v6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("IPV6_RECVPKTINFO: %w", err)
		}
	}
	f := os.NewFile(uintptr(fd), "esp")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	c := &rawConn{v6: v6, f: f, rc: rc,
		rhdr: make([]unix.Mmsghdr, maxBatch), riov: make([]unix.Iovec, maxBatch),
		rname: make([]unix.RawSockaddrInet6, maxBatch), roob: make([]byte, maxBatch*oobSize),
		whdr: make([]unix.Mmsghdr, maxBatch), wiov: make([]unix.Iovec, maxBatch),
		wname4: make([]unix.RawSockaddrInet4, maxBatch), wname6: make([]unix.RawSockaddrInet6, maxBatch),
		woob: make([]byte, maxBatch*oobSize)}
	return c, nil
}

func (c *rawConn) close() error { return c.f.Close() }

func (c *rawConn) readBatch(ps []pkt) (int, error) {
	n := min(len(ps), maxBatch)
	for i := range n {
		b := ps[i].buf[headroom:]
		c.riov[i].Base = &b[0]
		c.riov[i].SetLen(len(b))
		h := &c.rhdr[i]
		h.Hdr.Iov = &c.riov[i]
		h.Hdr.Iovlen = 1
		h.Hdr.Name = (*byte)(unsafe.Pointer(&c.rname[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet6
		h.Hdr.Control = &c.roob[i*oobSize]
		h.Hdr.SetControllen(oobSize)
		h.Hdr.Flags = 0
		h.Len = 0
	}
	var got int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&c.rhdr[0])), uintptr(n), 0, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		got, errno = int(r), e
		return true
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	for i := range got {
		p := &ps[i]
		l := int(c.rhdr[i].Len)
		p.off, p.n = headroom, l
		p.src, p.dst = netip.AddrPort{}, netip.AddrPort{}
		if !c.v6 {
			b := p.buf[headroom : headroom+l]
			if l < ipv4HeaderLen {
				p.n = 0
				continue
			}
			ihl := int(b[0]&0x0f) * 4
			if ihl < ipv4HeaderLen || ihl > l {
				p.n = 0
				continue
			}
			p.src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), 0)
			p.dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), 0)
			p.off += ihl
			p.n -= ihl
			continue
		}
		p.src = netip.AddrPortFrom(netip.AddrFrom16(c.rname[i].Addr), 0)
		oob := c.roob[i*oobSize : i*oobSize+int(c.rhdr[i].Hdr.Controllen)]
		p.dst = netip.AddrPortFrom(pktinfo6(oob), 0)
	}
	return got, nil
}

// pktinfo6 extracts the destination from an IPV6_PKTINFO control message.
func pktinfo6(oob []byte) netip.Addr {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		if h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && l >= unix.CmsgLen(unix.SizeofInet6Pktinfo) {
			d := oob[unix.CmsgLen(0):]
			return netip.AddrFrom16([16]byte(d[:16]))
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	return netip.IPv6Unspecified()
}

func (c *rawConn) writeBatch(ps []*pkt) (int, error) {
	n := min(len(ps), maxBatch)
	for i := range n {
		p := ps[i]
		b := p.data()
		c.wiov[i].Base = &b[0]
		c.wiov[i].SetLen(len(b))
		h := &c.whdr[i]
		h.Hdr.Iov = &c.wiov[i]
		h.Hdr.Iovlen = 1
		h.Hdr.Flags = 0
		h.Len = 0
		dst, src := p.dst.Addr(), p.src.Addr()
		oob := c.woob[i*oobSize : (i+1)*oobSize]
		hasSrc := src.IsValid() && !src.IsUnspecified()
		if c.v6 {
			c.wname6[i] = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: dst.As16()}
			h.Hdr.Name = (*byte)(unsafe.Pointer(&c.wname6[i]))
			h.Hdr.Namelen = unix.SizeofSockaddrInet6
			if hasSrc {
				ch := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
				ch.Level, ch.Type = unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
				ch.SetLen(unix.CmsgLen(unix.SizeofInet6Pktinfo))
				a := src.As16()
				copy(oob[unix.CmsgLen(0):], a[:])
				binary.NativeEndian.PutUint32(oob[unix.CmsgLen(0)+16:], 0)
				h.Hdr.Control = &oob[0]
				h.Hdr.SetControllen(unix.CmsgSpace(unix.SizeofInet6Pktinfo))
			} else {
				h.Hdr.Control = nil
				h.Hdr.SetControllen(0)
			}
		} else {
			c.wname4[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: dst.Unmap().As4()}
			h.Hdr.Name = (*byte)(unsafe.Pointer(&c.wname4[i]))
			h.Hdr.Namelen = unix.SizeofSockaddrInet4
			if hasSrc {
				ch := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
				ch.Level, ch.Type = unix.IPPROTO_IP, unix.IP_PKTINFO
				ch.SetLen(unix.CmsgLen(unix.SizeofInet4Pktinfo))
				d := oob[unix.CmsgLen(0):]
				clear(d[:unix.SizeofInet4Pktinfo])
				a := src.Unmap().As4()
				copy(d[4:8], a[:]) // ipi_spec_dst: the source
				h.Hdr.Control = &oob[0]
				h.Hdr.SetControllen(unix.CmsgSpace(unix.SizeofInet4Pktinfo))
			} else {
				h.Hdr.Control = nil
				h.Hdr.SetControllen(0)
			}
		}
	}
	sent, done := 0, 0
	var firstErr error
	for done < n {
		var r int
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			r0, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&c.whdr[done])), uintptr(n-done), 0, 0, 0)
			if e == unix.EAGAIN || e == unix.EINTR {
				return false
			}
			r, errno = int(r0), e
			return true
		})
		if err != nil {
			return sent, err
		}
		if errno != 0 {
			// the first message failed (EMSGSIZE, EHOSTUNREACH, ...):
			// skip it
			if firstErr == nil {
				firstErr = errno
			}
			done++
			continue
		}
		sent += r
		done += r
	}
	return sent, firstErr
}

// bypassConn sends packets of pass policies around the tunnel: raw
// IPPROTO_RAW sockets (the packet carries its IP header) marked so that
// routing skips the IPsec table.
type bypassConn struct {
	fd4, fd6 int
}

func newBypassConn(mark uint32) (*bypassConn, error) {
	c := &bypassConn{fd4: -1, fd6: -1}
	for i, fam := range []int{unix.AF_INET, unix.AF_INET6} {
		fd, err := unix.Socket(fam, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
		if err != nil {
			continue
		}
		if mark != 0 {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark))
		}
		if i == 0 {
			c.fd4 = fd
		} else {
			c.fd6 = fd
		}
	}
	if c.fd4 < 0 && c.fd6 < 0 {
		return nil, fmt.Errorf("no raw sockets for bypass traffic")
	}
	return c, nil
}

func (c *bypassConn) send(pkt []byte) error {
	f, ok := parseFlow(pkt)
	if !ok {
		return fmt.Errorf("invalid packet")
	}
	if f.dst.Is4() {
		if c.fd4 < 0 {
			return fmt.Errorf("no IPv4 bypass socket")
		}
		return unix.Sendto(c.fd4, pkt[:f.total], 0, &unix.SockaddrInet4{Addr: f.dst.As4()})
	}
	if c.fd6 < 0 {
		return fmt.Errorf("no IPv6 bypass socket")
	}
	return unix.Sendto(c.fd6, pkt[:f.total], 0, &unix.SockaddrInet6{Addr: f.dst.As16()})
}

func (c *bypassConn) close() {
	if c.fd4 >= 0 {
		unix.Close(c.fd4)
	}
	if c.fd6 >= 0 {
		unix.Close(c.fd6)
	}
}
