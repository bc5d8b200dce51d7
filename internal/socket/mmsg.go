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
	// oobWords is room for an IP_PKTINFO or IPV6_PKTINFO control
	// message and a UDP_GRO or UDP_SEGMENT one, in uint64s for the
	// alignment of the headers.
	oobWords = 12
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
func (r *reader) msg(i int) (src, dst netip.AddrPort, data []byte, gso int, ok bool) {
	h := &r.hdrs[i]
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
		return src, dst, nil, 0, false
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
		return src, dst, nil, 0, false
	}
	oob := unsafe.Slice((*byte)(unsafe.Pointer(&r.oob[i][0])), oobWords*8)[:h.Hdr.Controllen]
	a, gso := parseOOB(oob, r.k.v6)
	return src, netip.AddrPortFrom(a, r.k.port), data, gso, true
}

// parseOOB extracts a datagram's destination address from its
// IP_PKTINFO / IPV6_PKTINFO control message and the segment size of a
// coalesced one from UDP_GRO (0 if none), without allocating.
func parseOOB(oob []byte, v6 bool) (dst netip.Addr, gso int) {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(oob) {
			break
		}
		d := oob[unix.CmsgLen(0):l]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(d) >= unix.SizeofInet4Pktinfo:
			dst = netip.AddrFrom4([4]byte(d[8:12])) // ipi_addr
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(d) >= unix.SizeofInet6Pktinfo:
			dst = netip.AddrFrom16([16]byte(d[:16]))
		case h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO && len(d) >= 4:
			gso = int(binary.NativeEndian.Uint32(d))
		case h.Level == unix.SOL_UDP && h.Type == unix.UDP_GRO && len(d) >= 2:
			gso = int(binary.NativeEndian.Uint16(d))
		}
		oob = oob[min(unix.CmsgSpace(l-unix.CmsgLen(0)), len(oob)):]
	}
	if !dst.IsValid() {
		if v6 {
			dst = netip.IPv6Unspecified()
		} else {
			dst = netip.IPv4Unspecified()
		}
	}
	return dst, gso
}

// sendBatch collects datagrams for sendmmsg, per address family (one
// NAT-T socket each).
type sendBatch struct {
	fam [2]mmsgOut
}

func (b *sendBatch) reset() {
	b.fam[0].reset()
	b.fam[1].reset()
}

func (b *sendBatch) full() bool {
	return b.fam[0].np == sendBatchMax || b.fam[1].np == sendBatchMax
}

// UDP GSO (UDP_SEGMENT): a run of datagrams with the same addresses and
// size (the last may be shorter) goes out as one message of at most
// gsoMaxSegs segments and gsoMaxBytes bytes, which the stack carries as
// one packet until a device (or the receiving socket) splits it.
const (
	gsoMaxSegs  = 64
	gsoMaxBytes = 65000
)

type outPkt struct {
	src  netip.Addr
	dst  netip.AddrPort
	data []byte
}

// mmsgOut is the sendmmsg state for one socket: the queued datagrams and
// the messages built from them.
type mmsgOut struct {
	c    *conn
	v6   bool
	pkts [sendBatchMax]outPkt
	np   int

	n     int // messages
	hdrs  [sendBatchMax]unix.Mmsghdr
	first [sendBatchMax]int // a message's first datagram (index into pkts)
	segs  [sendBatchMax]int // and how many it carries
	bytes [sendBatchMax]int
	iovs  [sendBatchMax]unix.Iovec // one per datagram
	name4 [sendBatchMax]unix.RawSockaddrInet4
	name6 [sendBatchMax]unix.RawSockaddrInet6
	oob   [sendBatchMax][oobWords]uint64
	// sendmmsg's progress and results
	sendFn     func(fd uintptr) bool
	done, sent int
	errno      syscall.Errno
}

func (m *mmsgOut) reset() {
	clear(m.pkts[:m.np])
	m.np, m.n = 0, 0
}

// add queues data to dst from src (if specified); the caller flushes
// before the batch overflows.
func (m *mmsgOut) add(c *conn, src netip.Addr, dst netip.AddrPort, data []byte, v6 bool) {
	m.c, m.v6 = c, v6
	m.pkts[m.np] = outPkt{src: src, dst: dst, data: data}
	m.np++
}

// build lays out the messages for pkts[from:], with UDP GSO if gso.
func (m *mmsgOut) build(from int, gso bool) {
	m.n = 0
	for k := from; k < m.np; k++ {
		p := &m.pkts[k]
		if gso && m.n > 0 && len(p.data) > 0 {
			i := m.n - 1
			f := &m.pkts[m.first[i]]
			size := len(f.data)
			last := &m.pkts[k-1]
			if p.dst == f.dst && p.src == f.src && len(last.data) == size && len(p.data) <= size &&
				m.segs[i] < gsoMaxSegs && m.bytes[i]+len(p.data) <= gsoMaxBytes {
				m.iovs[k].Base = &p.data[0]
				m.iovs[k].SetLen(len(p.data))
				m.segs[i]++
				m.bytes[i] += len(p.data)
				m.hdrs[i].Hdr.SetIovlen(m.segs[i])
				continue
			}
		}
		i := m.n
		m.n++
		m.first[i], m.segs[i], m.bytes[i] = k, 1, len(p.data)
		h := &m.hdrs[i]
		h.Len = 0
		h.Hdr.Flags = 0
		if len(p.data) > 0 {
			m.iovs[k].Base = &p.data[0]
		} else {
			m.iovs[k].Base = nil
		}
		m.iovs[k].SetLen(len(p.data))
		h.Hdr.Iov = &m.iovs[k]
		h.Hdr.SetIovlen(1)
		if m.v6 {
			m.name6[i] = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: p.dst.Addr().As16()}
			binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&m.name6[i].Port))[:], p.dst.Port())
			h.Hdr.Name = (*byte)(unsafe.Pointer(&m.name6[i]))
			h.Hdr.Namelen = unix.SizeofSockaddrInet6
		} else {
			m.name4[i] = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: p.dst.Addr().Unmap().As4()}
			binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&m.name4[i].Port))[:], p.dst.Port())
			h.Hdr.Name = (*byte)(unsafe.Pointer(&m.name4[i]))
			h.Hdr.Namelen = unix.SizeofSockaddrInet4
		}
	}
	// control messages: the source, the segment size
	for i := range m.n {
		h := &m.hdrs[i]
		f := &m.pkts[m.first[i]]
		oob := unsafe.Slice((*byte)(unsafe.Pointer(&m.oob[i][0])), oobWords*8)
		off := 0
		if f.src.IsValid() && !f.src.IsUnspecified() {
			if m.v6 {
				putPktinfo6(oob, f.src)
				off = unix.CmsgSpace(unix.SizeofInet6Pktinfo)
			} else {
				putPktinfo4(oob, f.src)
				off = unix.CmsgSpace(unix.SizeofInet4Pktinfo)
			}
		}
		if m.segs[i] > 1 {
			ch := (*unix.Cmsghdr)(unsafe.Pointer(&oob[off]))
			ch.Level, ch.Type = unix.SOL_UDP, unix.UDP_SEGMENT
			ch.SetLen(unix.CmsgLen(2))
			d := oob[off+unix.CmsgLen(0) : off+unix.CmsgSpace(2)]
			clear(d)
			binary.NativeEndian.PutUint16(d, uint16(len(f.data)))
			off += unix.CmsgSpace(2)
		}
		if off == 0 {
			h.Hdr.Control = nil
		} else {
			h.Hdr.Control = &oob[0]
		}
		h.Hdr.SetControllen(off)
	}
}

// send sends the queued datagrams and returns how many went out. A
// message the kernel refuses (EMSGSIZE, ENETUNREACH, ...) is skipped and
// its error returned after the rest went out. If a segmented message
// fails, the rest goes out unsegmented; EIO (the device cannot checksum
// for GSO) turns GSO off for the socket.
func (m *mmsgOut) send() (int, error) {
	if m.sendFn == nil {
		m.sendFn = m.sendmmsg // once: a method value allocates
	}
	gso := !m.c.noGSO.Load()
	m.build(0, gso)
	sent := 0
	var firstErr error
	for m.done = 0; m.done < m.n; {
		if err := m.c.rc.Write(m.sendFn); err != nil {
			return sent, err
		}
		if m.errno != 0 {
			if m.segs[m.done] > 1 && (m.errno == unix.EIO || m.errno == unix.EINVAL) {
				if m.errno == unix.EIO {
					m.c.noGSO.Store(true)
				}
				gso = false
				m.build(m.first[m.done], false)
				m.done = 0
				continue
			}
			if firstErr == nil {
				firstErr = m.errno
			}
			m.done++
			continue
		}
		for _, n := range m.segs[m.done : m.done+m.sent] {
			sent += n
		}
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
