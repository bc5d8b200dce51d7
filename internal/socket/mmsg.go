package socket

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batches: the sockets are read with recvmmsg, espBatch datagrams at a
// time on a NAT-T socket that carries ESP for the userspace datapath,
// ikeBatch on the others; ESP-in-UDP is sent with sendmmsg, up to
// sendBatchMax datagrams per call. Every slot of a read holds a whole
// datagram (64 KiB); the pages of a slot become resident only as far as
// datagrams reach into it.
const (
	ikeBatch     = 4
	espBatch     = 64
	slotSize     = 65536
	sendBatchMax = 128
	// oobWords is room for one IP_PKTINFO or IPV6_PKTINFO control
	// message, in uint64s for the alignment of the header.
	oobWords = 8
)

// reader is the recvmmsg state of one socket.
type reader struct {
	k     connKey
	rc    syscall.RawConn
	bufs  []byte
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	oob   [][oobWords]uint64
	// the ESP-in-UDP packets of the current read
	src, dst []netip.AddrPort
	esp      [][]byte
	// recvmmsg's results
	recvFn func(fd uintptr) bool
	got    int
	errno  syscall.Errno
}

func newReader(k connKey, rc syscall.RawConn, n int) *reader {
	return &reader{k: k, rc: rc, bufs: make([]byte, n*slotSize),
		hdrs: make([]unix.Mmsghdr, n), iovs: make([]unix.Iovec, n),
		names: make([]unix.RawSockaddrInet6, n), oob: make([][oobWords]uint64, n),
		src: make([]netip.AddrPort, 0, n), dst: make([]netip.AddrPort, 0, n), esp: make([][]byte, 0, n)}
}

// read receives up to len(r.hdrs) datagrams, blocking until one arrives.
func (r *reader) read() (int, error) {
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i*slotSize]
		r.iovs[i].SetLen(slotSize)
		h := &r.hdrs[i]
		h.Hdr.Iov = &r.iovs[i]
		h.Hdr.Iovlen = 1
		h.Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet6
		h.Hdr.Control = (*byte)(unsafe.Pointer(&r.oob[i][0]))
		h.Hdr.SetControllen(oobWords * 8)
		h.Hdr.Flags = 0
		h.Len = 0
	}
	if r.recvFn == nil {
		r.recvFn = r.recvmmsg // once: a method value allocates
	}
	if err := r.rc.Read(r.recvFn); err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, r.errno
	}
	return r.got, nil
}

func (r *reader) recvmmsg(fd uintptr) bool {
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	r.got, r.errno = int(n), e
	return true
}

// msg returns the i-th datagram of the last read: its source, its
// destination (from PKTINFO, with the socket's port) and its data, which
// stays valid until the next read. ok is false for truncated datagrams
// and unknown address families.
func (r *reader) msg(i int) (src, dst netip.AddrPort, data []byte, ok bool) {
	h := &r.hdrs[i]
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
		return src, dst, nil, false
	}
	data = r.bufs[i*slotSize : i*slotSize+int(h.Len)]
	name := (*[unix.SizeofSockaddrInet6]byte)(unsafe.Pointer(&r.names[i]))
	port := binary.BigEndian.Uint16(name[2:4])
	switch r.names[i].Family {
	case unix.AF_INET:
		src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(name[4:8])), port)
	case unix.AF_INET6:
		src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(name[8:24])).Unmap(), port)
	default:
		return src, dst, nil, false
	}
	oob := unsafe.Slice((*byte)(unsafe.Pointer(&r.oob[i][0])), oobWords*8)[:h.Hdr.Controllen]
	return src, netip.AddrPortFrom(pktinfoDst(oob, r.k.v6), r.k.port), data, true
}

// pktinfoDst extracts a datagram's destination address from its
// IP_PKTINFO / IPV6_PKTINFO control message, without allocating.
func pktinfoDst(oob []byte, v6 bool) netip.Addr {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		d := oob[unix.CmsgLen(0):l]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(d) >= unix.SizeofInet4Pktinfo:
			return netip.AddrFrom4([4]byte(d[8:12])) // ipi_addr
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(d) >= unix.SizeofInet6Pktinfo:
			return netip.AddrFrom16([16]byte(d[:16]))
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	if v6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// sendBatch collects datagrams for sendmmsg, per address family (one
// NAT-T socket each).
type sendBatch struct {
	fam [2]mmsgOut
}

func (b *sendBatch) reset() {
	b.fam[0].n, b.fam[1].n = 0, 0
}

func (b *sendBatch) full() bool {
	return b.fam[0].n == sendBatchMax || b.fam[1].n == sendBatchMax
}

// mmsgOut is the sendmmsg state for one socket.
type mmsgOut struct {
	c     *conn
	n     int
	hdrs  [sendBatchMax]unix.Mmsghdr
	iovs  [sendBatchMax]unix.Iovec
	name4 [sendBatchMax]unix.RawSockaddrInet4
	name6 [sendBatchMax]unix.RawSockaddrInet6
	oob   [sendBatchMax][oobWords]uint64
	// sendmmsg's progress and results
	sendFn     func(fd uintptr) bool
	done, sent int
	errno      syscall.Errno
}

// add queues data to dst from src (if specified); the caller flushes
// before the batch overflows.
func (m *mmsgOut) add(src netip.Addr, dst netip.AddrPort, data []byte, v6 bool) {
	i := m.n
	m.n++
	h := &m.hdrs[i]
	h.Len = 0
	h.Hdr.Flags = 0
	if len(data) > 0 {
		m.iovs[i].Base = &data[0]
	} else {
		m.iovs[i].Base = nil
	}
	m.iovs[i].SetLen(len(data))
	h.Hdr.Iov = &m.iovs[i]
	h.Hdr.Iovlen = 1
	if v6 {
		m.name6[i] = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: dst.Addr().As16()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&m.name6[i].Port))[:], dst.Port())
		h.Hdr.Name = (*byte)(unsafe.Pointer(&m.name6[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet6
	} else {
		m.name4[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: dst.Addr().Unmap().As4()}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&m.name4[i].Port))[:], dst.Port())
		h.Hdr.Name = (*byte)(unsafe.Pointer(&m.name4[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet4
	}
	if !src.IsValid() || src.IsUnspecified() {
		h.Hdr.Control = nil
		h.Hdr.SetControllen(0)
		return
	}
	oob := unsafe.Slice((*byte)(unsafe.Pointer(&m.oob[i][0])), oobWords*8)
	if v6 {
		putPktinfo6(oob, src)
		h.Hdr.SetControllen(unix.CmsgSpace(unix.SizeofInet6Pktinfo))
	} else {
		putPktinfo4(oob, src)
		h.Hdr.SetControllen(unix.CmsgSpace(unix.SizeofInet4Pktinfo))
	}
	h.Hdr.Control = &oob[0]
}

// send sends the queued datagrams; one the kernel refuses (EMSGSIZE,
// ENETUNREACH, ...) is skipped and its error returned after the rest
// went out.
func (m *mmsgOut) send() (int, error) {
	if m.sendFn == nil {
		m.sendFn = m.sendmmsg // once: a method value allocates
	}
	sent := 0
	var firstErr error
	for m.done = 0; m.done < m.n; {
		if err := m.c.rc.Write(m.sendFn); err != nil {
			return sent, err
		}
		if m.errno != 0 {
			if firstErr == nil {
				firstErr = m.errno
			}
			m.done++
			continue
		}
		sent += m.sent
		m.done += m.sent
	}
	return sent, firstErr
}

func (m *mmsgOut) sendmmsg(fd uintptr) bool {
	r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&m.hdrs[m.done])), uintptr(m.n-m.done), 0, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false
	}
	m.sent, m.errno = int(r), e
	return true
}
