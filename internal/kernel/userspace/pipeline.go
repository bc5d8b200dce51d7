package userspace

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.zx2c4.com/wireguard/tun"

	"github.com/goswan/goswan/internal/kernel"
	"github.com/goswan/goswan/internal/log"
)

// Buffers: every packet slot owns one buffer. The packet starts headroom
// bytes in (room for the ESP header and IV, or an IP header rebuilt in
// transport mode, plus the virtio-net header wireguard's TUN writes).
// Inbound, a packet may be a reassembled 64 KiB ESP packet and grows to a
// 64 KiB GRO super-packet when written to the TUN device; outbound, the TUN
// device hands out packets of at most its MTU (GSO super-packets are split
// into segments).
const (
	maxBatch   = 128
	headroom   = 64
	tailroom   = 512
	bufSize    = headroom + 65535 + tailroom // inbound
	outBufSize = headroom + MaxMTU + tailroom
	vnetHdrLen = 10 // room wireguard's tun.Write needs before each packet
)

// MaxMTU is the largest TUN MTU the engine supports.
const MaxMTU = 16384

// pkt is one packet slot of a batch.
type pkt struct {
	buf    []byte // bufSize bytes, owned
	off, n int    // the packet: buf[off:off+n]
	sa     *sa
	seq    uint64
	// outbound: the SA's endpoints; inbound: where the packet came from
	// and arrived (ports for UDP encapsulation).
	src, dst netip.AddrPort
	encap    bool
	nh       uint8
	ok       bool
}

func (p *pkt) data() []byte { return p.buf[p.off : p.off+p.n] }

// batch is a unit of work: the packets of one read. It is queued to a
// crypto worker and, in the same order it was read, to the goroutine that
// delivers it; mu is held from queueing until a worker is done with it.
type batch struct {
	mu    sync.Mutex
	out   bool
	n     int
	pkts  [maxBatch]pkt
	bufs  [][]byte
	sizes []int
	list  []*pkt
}

func newBatch(out bool) *batch {
	return &batch{out: out, bufs: make([][]byte, maxBatch), sizes: make([]int, maxBatch), list: make([]*pkt, 0, maxBatch)}
}

func (b *batch) ensureBuffers() {
	size := bufSize
	if b.out {
		size = outBufSize
	}
	for i := range b.pkts {
		if b.pkts[i].buf == nil {
			b.pkts[i].buf = make([]byte, size)
		}
	}
}

// start launches the datapath goroutines.
func (e *Engine) start() {
	// batches in flight per direction: one being read, one per worker,
	// one being delivered, and spares for the inbound readers
	w := e.workers()
	nOut, nIn := w+3, w+5
	e.work = make(chan *batch, nOut+nIn)
	e.outQ = make(chan *batch, nOut)
	e.inQ = make(chan *batch, nIn)
	e.freeOut = make(chan *batch, nOut)
	e.freeIn = make(chan *batch, nIn)
	for range nOut {
		e.freeOut <- newBatch(true)
	}
	for range nIn {
		e.freeIn <- newBatch(false)
	}
	go e.eventLoop()
	e.producers.Add(2)
	go e.tunReader()
	go e.udpFlusher()
	for _, c := range e.raw {
		if c != nil {
			e.producers.Add(1)
			go e.rawReader(c)
		}
	}
	if e.inline {
		return
	}
	e.consumers.Add(w + 2)
	for range w {
		go e.worker()
	}
	go e.outSender()
	go e.inWriter()
}

func (e *Engine) getBatch(free chan *batch) *batch {
	select {
	case b := <-free:
		b.n = 0
		return b
	case <-e.done:
		return nil
	}
}

func (e *Engine) isClosed(err error) bool {
	select {
	case <-e.done:
		return true
	default:
	}
	return errors.Is(err, os.ErrClosed)
}

// dispatch queues a locked batch to the ordered stage and the workers, or
// in inline mode processes it in the calling goroutine.
func (e *Engine) dispatch(b *batch, ordered chan *batch) {
	if e.inline {
		e.processInline(b)
		return
	}
	b.mu.Lock()
	ordered <- b
	e.work <- b
}

// processInline encrypts and sends, or decrypts and writes, a batch in the
// goroutine that read it: no hand-off between goroutines, which on a
// machine with few cores costs more than parallel crypto gains (each
// hand-off wakes another thread). Outbound packets come from the one TUN
// reader; inbound ones from several readers, which take turns in the
// ordered part (replay windows, TUN writes).
func (e *Engine) processInline(b *batch) {
	sc := e.scratch.Get().(*scratch)
	defer e.scratch.Put(sc)
	if b.out {
		e.sealBatch(b, sc)
		e.sendOutBatch(b, &e.inlineRaw)
		e.freeOut <- b
		return
	}
	e.decryptBatch(b, sc)
	e.inMu.Lock()
	e.writeInBatch(b)
	e.inMu.Unlock()
	e.freeIn <- b
}

// sealBatch encrypts the packets of an outbound batch.
func (e *Engine) sealBatch(b *batch, sc *scratch) {
	for i := range b.n {
		p := &b.pkts[i]
		s := p.sa
		start, end := s.suite.seal(p.buf, p.off, p.n, s.id.SPI, p.seq, p.nh, sc, nil)
		p.off, p.n, p.ok = start, end-start, true
	}
}

// flowCache remembers the policy and SA of recent flows for the TUN
// reader, until the SPD or SAD changes.
type flowCache struct {
	spdGen, sadGen uint64
	slots          [256]flowSlot
}

type flowSlot struct {
	used bool
	key  flowKey
	pe   *policyEntry
	sa   *sa
}

func (c *flowCache) lookup(e *Engine, snap *spdSnap, k *flowKey) (*policyEntry, *sa) {
	if g := e.sad.gen.Load(); c.spdGen != snap.gen || c.sadGen != g {
		c.spdGen, c.sadGen = snap.gen, g
		for i := range c.slots {
			c.slots[i] = flowSlot{}
		}
	}
	h := k.src.lo*0x9e3779b97f4a7c15 ^ k.dst.lo*0xc2b2ae3d27d4eb4f ^ uint64(k.sport)<<16 ^ uint64(k.dport) ^ uint64(k.proto)<<32
	sl := &c.slots[(h^h>>29)%uint64(len(c.slots))]
	if sl.used && sl.key == *k {
		return sl.pe, sl.sa
	}
	pe := snap.lookupOut(k)
	var s *sa
	if pe != nil && pe.pol.Type == kernel.PolicyIPsec {
		s = e.sad.lookupOut(&pe.pol)
	}
	*sl = flowSlot{used: true, key: *k, pe: pe, sa: s}
	return pe, s
}

// tunReader reads packets from the TUN device, matches them against the
// SPD and queues those to protect.
func (e *Engine) tunReader() {
	defer e.producers.Done()
	var fc flowCache
	icmp := make([]byte, vnetHdrLen+1500)
	icmpBufs := make([][]byte, 1)
	batchSize := min(max(e.tun.BatchSize(), 1), maxBatch)
	failures := 0
	for {
		b := e.getBatch(e.freeOut)
		if b == nil {
			return
		}
		b.ensureBuffers()
		for i := range batchSize {
			b.bufs[i] = b.pkts[i].buf[:outBufSize-tailroom]
		}
		n, err := e.tun.Read(b.bufs[:batchSize], b.sizes, headroom)
		if err != nil {
			e.freeOut <- b
			if e.isClosed(err) {
				return
			}
			if errors.Is(err, tun.ErrTooManySegments) {
				e.count(cDropInvalid)
				continue
			}
			e.count(cTUNErrors)
			e.logf(log.Ctrl, "reading from TUN device %s failed: %v", e.name, err)
			if failures++; failures > 100 {
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		failures = 0
		now := e.clock.Now().UnixNano()
		snap := e.spd.snap.Load()
		m := 0
		for i := range n {
			p := &b.pkts[i]
			p.off, p.n, p.ok = headroom, b.sizes[i], false
			e.count(cTUNRead)
			if e.classifyOut(p, &fc, snap, now, icmp, icmpBufs) {
				if i != m {
					b.pkts[i], b.pkts[m] = b.pkts[m], b.pkts[i]
				}
				m++
			}
		}
		if m == 0 {
			e.freeOut <- b
			continue
		}
		b.n = m
		e.dispatch(b, e.outQ)
	}
}

// classifyOut decides what happens to a packet read from the TUN device
// and prepares those to encrypt; it reports whether p is to be sent.
func (e *Engine) classifyOut(p *pkt, fc *flowCache, snap *spdSnap, now int64, icmp []byte, icmpBufs [][]byte) bool {
	data := p.data()
	f, ok := parseFlow(data)
	if !ok {
		e.count(cDropInvalid)
		return false
	}
	p.n = f.total
	data = data[:f.total]
	k := keyOf(&f)
	pe, s := fc.lookup(e, snap, &k)
	if pe == nil {
		e.count(cDropNoPolicy)
		if e.log.Enabled(log.ESP, log.Diag) {
			e.logf(log.Diag, "no matching outbound IPsec policy for %v == %v [%d]", f.src, f.dst, f.proto)
		}
		return false
	}
	pe.lastUse.Store(now)
	switch pe.pol.Type {
	case kernel.PolicyDrop:
		e.count(cDropPolicy)
		return false
	case kernel.PolicyPass:
		e.bypass(data)
		return false
	}
	if s == nil || s.hardDone.Load() {
		if pe.pol.Trap {
			e.acquire(pe.pol.ReqID, &f)
		} else if e.log.Enabled(log.ESP, log.Ctrl) {
			e.logf(log.Ctrl, "could not find an outbound IPsec SA for reqid {%d}, dropping packet", pe.pol.ReqID)
		}
		e.count(cDropNoSA)
		return false
	}
	if mtu := int(s.mtu.Load()); p.n > mtu && (f.df || f.src.Is6()) {
		e.count(cDropTooBig)
		if r := icmpTooBig(icmp[vnetHdrLen:], data, &f, mtu); r != nil {
			icmpBufs[0] = icmp[:vnetHdrLen+len(r)]
			if _, err := e.tun.Write(icmpBufs, vnetHdrLen); err == nil {
				e.count(cICMPSent)
			}
		}
		return false
	}
	if s.mode == kernel.ModeTransport && f.fragment && f.src.Is4() {
		// the rebuilt header could not say where the fragment belongs
		e.count(cDropInvalid)
		return false
	}
	if !s.account(e, p.n, now) {
		e.count(cDropExpired)
		return false
	}
	seq, ok := s.nextSeq(e)
	if !ok {
		e.count(cDropExpired)
		return false
	}
	p.sa, p.seq = s, seq
	if s.mode == kernel.ModeTransport {
		if f.src.Is4() {
			p.nh = f.proto
			p.off += f.hdrLen
			p.n -= f.hdrLen
		} else {
			p.nh = data[6] // extension headers stay in the payload
			p.off += ipv6HeaderLen
			p.n -= ipv6HeaderLen
		}
	} else if f.src.Is4() {
		p.nh = protoIPIP
	} else {
		p.nh = protoIPv6
	}
	ep := s.ep.Load()
	p.src, p.dst, p.encap = ep.src, ep.dst, ep.encap
	return true
}

// bypass sends a packet that matched a pass policy around the tunnel.
func (e *Engine) bypass(pkt []byte) {
	var err error
	switch {
	case e.cfg.Bypass != nil:
		err = e.cfg.Bypass(pkt)
	case e.bypassC != nil:
		err = e.bypassC.send(pkt)
	default:
		err = errors.New("no bypass socket")
	}
	if err != nil {
		e.count(cSendErrors)
		return
	}
	e.count(cBypassed)
}

// worker encrypts and decrypts batches.
func (e *Engine) worker() {
	defer e.consumers.Done()
	sc := new(scratch)
	for b := range e.work {
		if b.out {
			e.sealBatch(b, sc)
		} else {
			e.decryptBatch(b, sc)
		}
		b.mu.Unlock()
	}
}

// decryptBatch verifies and decrypts inbound packets and checks their
// inner addresses against the SA's inbound policies (replay and lifetime
// checks follow in order, in inWriter).
func (e *Engine) decryptBatch(b *batch, sc *scratch) {
	snap := e.spd.snap.Load()
	now := e.clock.Now().UnixNano()
	var lastReqID uint32
	var inPolicies []*policyEntry
	havePolicies := false
	for i := range b.n {
		p := &b.pkts[i]
		p.ok = false
		s := p.sa
		esp := p.data()
		seq := inferSeq(s.top.Load(), binary.BigEndian.Uint32(esp[4:8]), s.replay.size, s.esn)
		ps, pe, nh, err := s.suite.open(esp, seq, sc)
		if err != nil {
			e.count(cDropIntegrity)
			if e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "ESP packet with SPI %08x from %v: %v", s.id.SPI, p.src, err)
			}
			continue
		}
		p.seq, p.nh = seq, nh
		p.off, p.n = p.off+ps, pe-ps
		if nh == protoNone {
			continue // dummy packet (RFC 4303 2.6)
		}
		var f flow
		var ok bool
		if s.mode == kernel.ModeTransport {
			f, ok = e.rebuildTransport(p, s)
		} else {
			f, ok = parseFlow(p.data())
			ok = ok && (nh == protoIPIP && f.src.Is4() || nh == protoIPv6 && f.src.Is6())
			if ok {
				p.n = f.total
			}
		}
		if !ok {
			e.count(cDropInvalid)
			continue
		}
		k := keyOf(&f)
		if !havePolicies || s.reqID != lastReqID {
			lastReqID, inPolicies, havePolicies = s.reqID, snap.inByReqID[s.reqID], true
		}
		allowed := false
		if len(inPolicies) > 0 {
			for _, pol := range inPolicies {
				if pol.matches(&k) {
					pol.lastUse.Store(now)
					allowed = true
					break
				}
			}
		} else if len(s.local) > 0 && len(s.remote) > 0 {
			allowed = s.allowInner(&k)
		} else {
			allowed = true // nothing to enforce: no policy, no selectors
		}
		if !allowed {
			e.count(cDropSelector)
			if e.log.Enabled(log.ESP, log.Ctrl) {
				e.logf(log.Ctrl, "discarding inbound IP packet %v == %v [%d] due to policy", f.src, f.dst, f.proto)
			}
			continue
		}
		p.ok = true
	}
}

// rebuildTransport puts an IP header in front of a transport mode payload:
// the outer addresses, which are the SA's endpoints.
func (e *Engine) rebuildTransport(p *pkt, s *sa) (flow, bool) {
	ep := s.ep.Load()
	src, dst := ep.src.Addr(), ep.dst.Addr()
	if src.Is4() {
		if p.n > 65535-ipv4HeaderLen {
			return flow{}, false
		}
		p.off -= ipv4HeaderLen
		putIPv4Header(p.buf[p.off:], src, dst, p.nh, p.n, 0)
		p.n += ipv4HeaderLen
	} else {
		if p.n > 65535 {
			return flow{}, false
		}
		p.off -= ipv6HeaderLen
		putIPv6Header(p.buf[p.off:], src, dst, p.nh, p.n, 0)
		p.n += ipv6HeaderLen
	}
	f, ok := parseFlow(p.data())
	if ok && ep.encap {
		fixL4Checksum(p.data(), &f)
	}
	return f, ok
}

// outSender sends encrypted batches in the order they were read.
func (e *Engine) outSender() {
	defer e.consumers.Done()
	var sc sendScratch
	for b := range e.outQ {
		b.mu.Lock()
		e.sendOutBatch(b, &sc)
		b.mu.Unlock()
		e.freeOut <- b
	}
}

// sendScratch is the scratch space of a goroutine that sends batches:
// the raw ESP packets per address family and the ESP-in-UDP ones.
type sendScratch struct {
	raw      [2][]*pkt
	src, dst []netip.AddrPort
	udp      [][]byte
}

func (sc *sendScratch) init() {
	if sc.raw[0] == nil {
		sc.raw[0] = make([]*pkt, 0, maxBatch)
		sc.raw[1] = make([]*pkt, 0, maxBatch)
		sc.src = make([]netip.AddrPort, 0, maxBatch)
		sc.dst = make([]netip.AddrPort, 0, maxBatch)
		sc.udp = make([][]byte, 0, maxBatch)
	}
	sc.raw[0], sc.raw[1] = sc.raw[0][:0], sc.raw[1][:0]
	sc.src, sc.dst, sc.udp = sc.src[:0], sc.dst[:0], sc.udp[:0]
}

// sendOutBatch sends the encrypted packets of a batch; sc is scratch
// space of the calling goroutine.
func (e *Engine) sendOutBatch(b *batch, sc *sendScratch) {
	sc.init()
	raw := &sc.raw
	batchUDP := e.cfg.SendUDPBatch != nil
	for i := range b.n {
		p := &b.pkts[i]
		if !p.ok {
			continue
		}
		if p.encap {
			if batchUDP {
				sc.src, sc.dst, sc.udp = append(sc.src, p.src), append(sc.dst, p.dst), append(sc.udp, p.data())
				continue
			}
			if err := e.cfg.SendUDP(p.src, p.dst, p.data()); err != nil {
				e.count(cSendErrors)
			} else {
				e.count(cUDPSent)
			}
			continue
		}
		fam := family(p.dst.Addr())
		raw[fam] = append(raw[fam], p)
	}
	if len(sc.udp) > 0 {
		sent, err := e.cfg.SendUDPBatch(sc.src, sc.dst, sc.udp)
		e.stats[cUDPSent].Add(uint64(sent))
		if sent < len(sc.udp) {
			e.stats[cSendErrors].Add(uint64(len(sc.udp) - sent))
			if err != nil && e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "sending ESP-in-UDP packets failed: %v", err)
			}
		}
		clear(sc.udp[:cap(sc.udp)])
	}
	for fam, l := range raw {
		if len(l) == 0 {
			continue
		}
		c := e.raw[fam]
		if c == nil {
			e.stats[cSendErrors].Add(uint64(len(l)))
			continue
		}
		sent, err := c.writeBatch(l)
		e.stats[cESPSent].Add(uint64(sent))
		if err != nil {
			e.stats[cSendErrors].Add(uint64(len(l) - sent))
			if e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "sending ESP packets failed: %v", err)
			}
		}
	}
	clear(raw[0][:cap(raw[0])])
	clear(raw[1][:cap(raw[1])])
}

// rawReader receives raw ESP packets.
func (e *Engine) rawReader(c packetConn) {
	defer e.producers.Done()
	for {
		b := e.getBatch(e.freeIn)
		if b == nil {
			return
		}
		b.ensureBuffers()
		n, err := c.readBatch(b.pkts[:])
		if err != nil {
			e.freeIn <- b
			if e.isClosed(err) {
				return
			}
			e.logf(log.Ctrl, "receiving ESP packets failed: %v", err)
			time.Sleep(time.Millisecond)
			continue
		}
		e.stats[cESPReceived].Add(uint64(n))
		e.dispatchIn(b, n)
	}
}

// dispatchIn looks up the SAs of received ESP packets and queues the batch.
func (e *Engine) dispatchIn(b *batch, n int) {
	m := 0
	for i := range n {
		p := &b.pkts[i]
		p.ok = false
		if p.n < espHeaderLen+4 {
			e.count(cDropInvalid)
			continue
		}
		spi := binary.BigEndian.Uint32(p.data())
		s := e.sad.lookupIn(spi, p.dst.Addr())
		if s == nil {
			e.count(cDropUnknownSPI)
			if e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "inbound ESP packet with SPI %08x does not belong to an installed SA", spi)
			}
			continue
		}
		p.sa = s
		if i != m {
			b.pkts[i], b.pkts[m] = b.pkts[m], b.pkts[i]
		}
		m++
	}
	if m == 0 {
		e.freeIn <- b
		return
	}
	b.n = m
	e.dispatch(b, e.inQ)
}

// HandleUDPESP takes an ESP-in-UDP packet received on the daemon's NAT-T
// socket (socket.Config.RecvESP): src is the peer, dst the local address
// and port. pkt is copied; the caller may reuse it.
func (e *Engine) HandleUDPESP(src, dst netip.AddrPort, pkt []byte) {
	if len(pkt) > bufSize-headroom {
		e.count(cDropInvalid)
		return
	}
	e.udpMu.Lock()
	if e.closed {
		e.udpMu.Unlock()
		return
	}
	b := e.udpBatch
	if b == nil {
		select {
		case b = <-e.freeIn:
			b.n = 0
			e.udpBatch = b
		default:
			e.udpMu.Unlock()
			e.count(cDropOverload)
			return
		}
	}
	p := &b.pkts[b.n]
	if p.buf == nil {
		p.buf = make([]byte, bufSize)
	}
	p.off, p.n = headroom, copy(p.buf[headroom:], pkt)
	p.src, p.dst = netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	b.n++
	full := b.n == maxBatch
	if full {
		e.udpBatch = nil
	}
	if full {
		e.producers.Add(1) // Close waits for this dispatch
	}
	e.udpMu.Unlock()
	e.count(cUDPReceived)
	if full {
		e.dispatchIn(b, b.n)
		e.producers.Done()
		return
	}
	select {
	case e.udpKick <- struct{}{}:
	default:
	}
}

// HandleUDPESPBatch takes ESP-in-UDP packets received on the daemon's
// NAT-T socket in one read (socket.Config.RecvESPBatch): pkts[i] came from
// src[i] and arrived at the local address and port dst[i]. The packets
// are copied into the engine's buffers, and decrypted and written to the
// TUN device in the calling goroutine in inline mode (else queued to the
// crypto workers); the caller may reuse pkts once it returns. It blocks
// while all inbound buffers are in use, as the raw ESP readers do.
func (e *Engine) HandleUDPESPBatch(src, dst []netip.AddrPort, pkts [][]byte) {
	e.udpMu.Lock()
	if e.closed {
		e.udpMu.Unlock()
		return
	}
	e.producers.Add(1) // Close waits for this dispatch
	e.udpMu.Unlock()
	defer e.producers.Done()
	for len(pkts) > 0 {
		b := e.getBatch(e.freeIn)
		if b == nil {
			return
		}
		b.ensureBuffers()
		n := 0
		for len(pkts) > 0 && n < maxBatch {
			d, s, t := pkts[0], src[0], dst[0]
			pkts, src, dst = pkts[1:], src[1:], dst[1:]
			e.count(cUDPReceived)
			if len(d) > bufSize-headroom {
				e.count(cDropInvalid)
				continue
			}
			p := &b.pkts[n]
			p.off, p.n = headroom, copy(p.buf[headroom:], d)
			p.src, p.dst = netip.AddrPortFrom(s.Addr().Unmap(), s.Port()), netip.AddrPortFrom(t.Addr().Unmap(), t.Port())
			n++
		}
		if n == 0 {
			e.freeIn <- b
			continue
		}
		e.dispatchIn(b, n)
	}
}

// udpFlusher dispatches what HandleUDPESP collected: packets that arrive
// while a batch is dispatched wait for the next one, so batches form under
// load without delaying a lone packet.
func (e *Engine) udpFlusher() {
	defer e.producers.Done()
	for {
		select {
		case <-e.udpKick:
		case <-e.done:
			e.udpMu.Lock()
			if b := e.udpBatch; b != nil {
				e.udpBatch = nil
				e.freeIn <- b
			}
			e.udpMu.Unlock()
			return
		}
		e.udpMu.Lock()
		b := e.udpBatch
		e.udpBatch = nil
		e.udpMu.Unlock()
		if b != nil && b.n > 0 {
			e.dispatchIn(b, b.n)
		}
	}
}

// inWriter checks replay windows and lifetimes in arrival order and writes
// the decrypted packets to the TUN device.
func (e *Engine) inWriter() {
	defer e.consumers.Done()
	for b := range e.inQ {
		b.mu.Lock()
		e.writeInBatch(b)
		b.mu.Unlock()
		e.freeIn <- b
	}
}

// writeInBatch checks the replay windows and lifetimes of a decrypted
// batch and writes its packets to the TUN device.
func (e *Engine) writeInBatch(b *batch) {
	now := e.clock.Now().UnixNano()
	bufs := b.bufs[:0]
	for i := range b.n {
		p := &b.pkts[i]
		if !p.ok {
			continue
		}
		s := p.sa
		if s.hardDone.Load() {
			e.count(cDropExpired)
			continue
		}
		s.replayMu.Lock()
		ok := s.replay.update(p.seq)
		top := s.replay.top
		s.replayMu.Unlock()
		if !ok {
			e.count(cDropReplay)
			if e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "ESP packet with SPI %08x and sequence number %d is a replay", s.id.SPI, p.seq)
			}
			continue
		}
		s.top.Store(top)
		if !s.account(e, p.n, now) {
			e.count(cDropExpired)
			continue
		}
		if ep := s.ep.Load(); ep.encap && p.src.Port() != 0 && p.src != ep.src {
			e.mapping(s, p.src)
		}
		bufs = append(bufs, p.buf[p.off-vnetHdrLen:p.off+p.n])
	}
	if len(bufs) > 0 {
		if _, err := e.tun.Write(bufs, vnetHdrLen); err != nil && !e.isClosed(err) {
			e.count(cTUNErrors)
			if e.log.Enabled(log.ESP, log.Diag) {
				e.logf(log.Diag, "writing to TUN device %s failed: %v", e.name, err)
			}
		}
		e.stats[cTUNWritten].Add(uint64(len(bufs)))
	}
	clear(b.bufs)
}

// mapping reports that the peer of a UDP-encapsulated SA now sends from
// another address or port (its NAT mapping changed), once per change.
func (e *Engine) mapping(s *sa, from netip.AddrPort) {
	s.mapMu.Lock()
	if s.lastMapped == from {
		s.mapMu.Unlock()
		return
	}
	s.lastMapped = from
	s.mapMu.Unlock()
	e.logf(log.Ctrl, "NAT mappings of ESP SA with SPI %08x changed to %v", s.id.SPI, from)
	e.emit(kernel.Mapping{ID: s.currentID(), New: from})
}
