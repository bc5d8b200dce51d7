package xfrm

import (
	"errors"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// receiveEvents reads the event socket until Close.
func (x *IPsec) receiveEvents() {
	defer x.wg.Done()
	for {
		msgs, err := x.ev.recv()
		if err != nil {
			select {
			case <-x.done:
				return
			default:
			}
			if errors.Is(err, os.ErrClosed) {
				return
			}
			// ENOBUFS: events were lost, go on
			x.logf(1, "unable to receive from XFRM event socket: %v", err)
			continue
		}
		for _, m := range msgs {
			ev, ok := x.parseEvent(m.Header.Type, m.Data)
			if !ok {
				continue
			}
			select {
			case x.events <- ev:
			case <-x.done:
				return
			}
		}
	}
}

// parseEvent decodes one message of the event socket into a kernel
// event; ok is false for messages that raise none.
func (x *IPsec) parseEvent(typ uint16, data []byte) (ev kernel.Event, ok bool) {
	switch typ {
	case msgAcquire:
		x.logf(2, "received a XFRM_MSG_ACQUIRE")
		a, err := parseAcquire(data)
		if err != nil {
			x.logf(1, "invalid XFRM_MSG_ACQUIRE: %v", err)
			return nil, false
		}
		if a == nil {
			return nil, false
		}
		return *a, true
	case msgExpire:
		x.logf(2, "received a XFRM_MSG_EXPIRE")
		e, err := parseExpire(data)
		if err != nil {
			x.logf(1, "invalid XFRM_MSG_EXPIRE: %v", err)
			return nil, false
		}
		if e == nil {
			return nil, false
		}
		return *e, true
	case msgMapping:
		x.logf(2, "received a XFRM_MSG_MAPPING")
		m, err := parseMapping(data)
		if err != nil {
			x.logf(1, "invalid XFRM_MSG_MAPPING: %v", err)
			return nil, false
		}
		if m == nil {
			return nil, false
		}
		return *m, true
	case msgMigrate:
		x.logf(2, "received a XFRM_MSG_MIGRATE")
		mg, err := parseMigrate(data)
		if err != nil {
			x.logf(1, "invalid XFRM_MSG_MIGRATE: %v", err)
			return nil, false
		}
		x.logf(2, "  policy: %v === %v %v", mg.src, mg.dst, mg.dir)
		for _, m := range mg.migrate {
			x.logf(2, "  migrate %s...%s to %s...%s, reqid {%d}", m.oldSaddr, m.oldDaddr, m.newSaddr, m.newDaddr, m.reqid)
		}
		// no kernel event type for it (charon uses it for MIPv6 only)
		return nil, false
	case unix.NLMSG_ERROR, unix.NLMSG_DONE:
		return nil, false
	}
	x.logf(1, "received unknown event from XFRM event socket: %d", typ)
	return nil, false
}

// selectorTS converts one side of an xfrm_selector to a traffic selector
// as charon's selector2ts: the subnet, the protocol, and the port (a
// single port if its mask is set, else all); for ICMP the type and code
// from the source and destination ports.
func selectorTS(sel *selector, src bool) (kernel.TS, bool) {
	addr, plen, port, mask := sel.daddr, sel.prefixlenD, sel.dport, sel.dportMask
	if src {
		addr, plen, port, mask = sel.saddr, sel.prefixlenS, sel.sport, sel.sportMask
	}
	if !addr.IsValid() || int(plen) > addr.BitLen() {
		return kernel.TS{}, false
	}
	if mask == 0 {
		port = 0
	}
	if sel.proto == unix.IPPROTO_ICMP || sel.proto == unix.IPPROTO_ICMPV6 {
		port = sel.sport<<8 | sel.dport&0xff
	}
	p := netip.PrefixFrom(addr, int(plen)).Masked()
	ts := kernel.TS{Proto: sel.proto, Start: p.Addr(), End: lastAddr(p), FromPort: port, ToPort: port}
	if port == 0 {
		ts.ToPort = 0xffff
	}
	return ts, true
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// parseAcquire decodes XFRM_MSG_ACQUIRE (struct xfrm_user_acquire and a
// template with the reqid); nil for protocols other than ESP and AH.
func parseAcquire(b []byte) (*kernel.Acquire, error) {
	if len(b) < sizeofUserAcquire {
		return nil, errShort
	}
	proto := b[20]
	sel := getSelector(b[40:])
	attrs, err := parseAttrs(b[sizeofUserAcquire:])
	if err != nil {
		return nil, err
	}
	var reqid uint32
	for _, a := range attrs {
		if a.typ == attrTmpl && len(a.data) >= sizeofUserTmpl {
			reqid = getUserTmpl(a.data).reqid
		}
	}
	switch proto {
	case 0, kernel.ProtoESP, kernel.ProtoAH:
	default:
		return nil, nil // IPComp
	}
	src, ok1 := selectorTS(&sel, true)
	dst, ok2 := selectorTS(&sel, false)
	if !ok1 || !ok2 {
		return nil, errors.New("invalid selector")
	}
	return &kernel.Acquire{ReqID: reqid, Src: src, Dst: dst}, nil
}

// parseExpire decodes XFRM_MSG_EXPIRE (struct xfrm_user_expire); nil for
// protocols other than ESP and AH and for states without SPI (the larval
// states of acquires, which are no SA of ours).
func parseExpire(b []byte) (*kernel.Expire, error) {
	if len(b) < sizeofUserExpire {
		return nil, errShort
	}
	st, err := getUsersaInfo(b)
	if err != nil {
		return nil, err
	}
	if (st.proto != kernel.ProtoESP && st.proto != kernel.ProtoAH) || st.spi == 0 {
		return nil, nil
	}
	if !st.daddr.IsValid() {
		return nil, errors.New("unknown address family")
	}
	e := &kernel.Expire{
		ID:    kernel.SAID{Src: st.saddr, Dst: st.daddr, SPI: st.spi, Proto: st.proto},
		ReqID: st.reqid,
		Hard:  b[224] != 0,
	}
	attrs, _ := parseAttrs(b[sizeofUserExpire:])
	for _, a := range attrs {
		if a.typ == attrMark && len(a.data) >= sizeofMark {
			e.ID.Mark = kernel.Mark{Value: ne.Uint32(a.data), Mask: ne.Uint32(a.data[4:])}
		}
	}
	return e, nil
}

// parseMapping decodes XFRM_MSG_MAPPING (struct xfrm_user_mapping): the
// peer of a UDP encapsulated ESP SA sends from a new address or port.
func parseMapping(b []byte) (*kernel.Mapping, error) {
	if len(b) < sizeofUserMapping {
		return nil, errShort
	}
	id := getUsersaID(b)
	if id.proto != kernel.ProtoESP {
		return nil, nil
	}
	if !id.daddr.IsValid() {
		return nil, errors.New("unknown address family")
	}
	oldSrc := getAddr(b[28:], id.family)
	newSrc := getAddr(b[44:], id.family)
	return &kernel.Mapping{
		ID:  kernel.SAID{Src: oldSrc, Dst: id.daddr, SPI: id.spi, Proto: id.proto},
		New: netip.AddrPortFrom(newSrc, be.Uint16(b[62:])),
	}, nil
}

// migrate is a decoded XFRM_MSG_MIGRATE.
type migrate struct {
	src, dst  kernel.TS
	dir       kernel.Direction
	migrate   []userMigrate
	local     netip.Addr // XFRMA_KMADDRESS
	remote    netip.Addr
	hasKMAddr bool
}

// parseMigrate decodes XFRM_MSG_MIGRATE (struct xfrm_userpolicy_id with
// XFRMA_MIGRATE and XFRMA_KMADDRESS).
func parseMigrate(b []byte) (*migrate, error) {
	if len(b) < sizeofUserpolicyID {
		return nil, errShort
	}
	sel := getSelector(b)
	m := &migrate{}
	var ok1, ok2 bool
	m.src, ok1 = selectorTS(&sel, true)
	m.dst, ok2 = selectorTS(&sel, false)
	if !ok1 || !ok2 {
		return nil, errors.New("invalid selector")
	}
	switch b[60] {
	case policyIn:
		m.dir = kernel.DirIn
	case policyOut:
		m.dir = kernel.DirOut
	default:
		m.dir = kernel.DirFwd
	}
	attrs, err := parseAttrs(b[sizeofUserpolicyID:])
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		switch a.typ {
		case attrKMAddress:
			if len(a.data) >= sizeofUserKMAddress {
				fam := ne.Uint16(a.data[36:])
				m.local, m.remote = getAddr(a.data, fam), getAddr(a.data[16:], fam)
				m.hasKMAddr = true
			}
		case attrMigrate:
			for d := a.data; len(d) >= sizeofUserMigrate; d = d[sizeofUserMigrate:] {
				m.migrate = append(m.migrate, getUserMigrate(d))
			}
		}
	}
	return m, nil
}
