package xfrm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/internal/kernel"
)

// notFound marks kernel errors that mean "no such SA or policy" so that
// errors.Is(err, kernel.ErrNotFound) holds.
type notFound struct{ error }

func (e notFound) Is(target error) bool { return target == kernel.ErrNotFound }
func (e notFound) Unwrap() error        { return e.error }

// classify wraps the kernel's "not found" answers.
func classify(err error) error {
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT) {
		return notFound{err}
	}
	return err
}

func ctxErr(ctx context.Context) error {
	if ctx == nil {
		return nil
	}
	return ctx.Err()
}

func protoOf(p uint8) uint8 {
	if p == 0 {
		return kernel.ProtoESP
	}
	return p
}

func modeOf(m kernel.Mode) uint8 {
	switch m {
	case kernel.ModeTransport:
		return modeTransport
	case kernel.ModeBEET:
		return modeBEET
	}
	return modeTunnel
}

// GetSPI allocates an SPI for an inbound SA from src to dst in the
// configured range (XFRM_MSG_ALLOCSPI). The kernel keeps a larval state
// with that SPI until AddSA replaces it (or it expires after
// net.core.xfrm_acq_expires seconds, raising a hard Expire). reqID is not
// passed to the kernel (charon 5.9 does not either).
func (x *IPsec) GetSPI(ctx context.Context, src, dst netip.Addr, proto uint8, reqID uint32) (uint32, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	typ, body, err := buildAllocSPI(src, dst, protoOf(proto), x.opts.SPIMin, x.opts.SPIMax)
	if err != nil {
		return 0, err
	}
	replies, err := x.tr.do(typ, 0, body)
	if err == nil {
		for _, r := range replies {
			if r.typ == msgNewSA {
				info, perr := getUsersaInfo(r.data)
				if perr == nil && info.spi != 0 {
					x.logf(2, "got SPI %08x", info.spi)
					return info.spi, nil
				}
			}
		}
		err = errors.New("no SPI in the kernel's answer")
	}
	x.logf(1, "allocating SPI failed: %v", err)
	x.logf(1, "unable to get SPI")
	return 0, fmt.Errorf("unable to get SPI: %w", err)
}

// buildAllocSPI builds struct xfrm_userspi_info for an SPI from src to dst.
func buildAllocSPI(src, dst netip.Addr, proto uint8, lo, hi uint32) (uint16, []byte, error) {
	if !src.IsValid() || !dst.IsValid() {
		return 0, nil, errors.New("invalid SA addresses")
	}
	info := usersaInfo{daddr: dst, saddr: src, proto: proto, mode: modeTunnel, family: familyOf(src)}
	b := make([]byte, sizeofUserSPIInfo)
	info.put(b)
	ne.PutUint32(b[224:], lo)
	ne.PutUint32(b[228:], hi)
	return msgAllocSPI, b, nil
}

// AddSA installs an SA. Inbound SAs replace the larval state GetSPI left
// (XFRM_MSG_UPDSA, falling back to XFRM_MSG_NEWSA if it expired),
// outbound ones are added (XFRM_MSG_NEWSA).
func (x *IPsec) AddSA(ctx context.Context, sa *kernel.SA) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	typ, body, err := buildSA(sa, sa.Inbound, x.opts.ProtoPortTransport)
	if err != nil {
		x.logf(1, "unable to add SAD entry with SPI %08x%s: %v", sa.SPI, markString(sa.Mark), err)
		return fmt.Errorf("unable to add SAD entry with SPI %08x: %w", sa.SPI, err)
	}
	defer clear(body) // keys
	x.logf(2, "adding SAD entry with SPI %08x and reqid {%d}%s", sa.SPI, sa.ReqID, markString(sa.Mark))
	if sa.Encr.ID != 0 {
		x.logf(2, "  using encryption algorithm %s with key size %d", encrName(sa.Encr.ID), len(sa.Encr.Key)*8)
	}
	if sa.Integ.ID != 0 {
		x.logf(2, "  using integrity algorithm %s with key size %d", integName(sa.Integ.ID), len(sa.Integ.Key)*8)
	}
	_, err = x.tr.do(typ, 0, body)
	if err != nil && typ == msgUpdSA && errors.Is(err, syscall.ESRCH) {
		x.logf(1, "allocated SPI not found anymore, try to add SAD entry")
		_, err = x.tr.do(msgNewSA, 0, body)
	}
	if err != nil {
		x.logf(1, "unable to add SAD entry with SPI %08x%s (%v)", sa.SPI, markString(sa.Mark), err)
		return fmt.Errorf("unable to add SAD entry with SPI %08x: %w", sa.SPI, classify(err))
	}
	return nil
}

// buildSA builds the XFRM_MSG_NEWSA/UPDSA message for an SA: struct
// xfrm_usersa_info followed by the algorithms, UDP encapsulation, mark,
// interface ID and the replay state attribute, as charon's add_sa.
func buildSA(sa *kernel.SA, update, protoPortTransport bool) (uint16, []byte, error) {
	if !sa.Src.IsValid() || !sa.Dst.IsValid() {
		return 0, nil, errors.New("invalid SA addresses")
	}
	if sa.SPI == 0 {
		return 0, nil, errors.New("SPI 0")
	}
	proto := protoOf(sa.Proto)
	info := usersaInfo{
		daddr: sa.Dst, spi: sa.SPI, proto: proto, saddr: sa.Src,
		family: familyOf(sa.Src), mode: modeOf(sa.Mode), reqid: sa.ReqID,
	}
	switch sa.Mode {
	case kernel.ModeTransport, kernel.ModeBEET:
		// the selector of the first pair of traffic selectors
		src, dst := sa.Local, sa.Remote
		if sa.Inbound {
			src, dst = sa.Remote, sa.Local
		}
		if len(src) > 0 && len(dst) > 0 {
			sel, err := tsSelector(src[0], dst[0], 0)
			if err != nil {
				return 0, nil, err
			}
			if !protoPortTransport {
				// a second SA for other protocols/ports must still work
				sel.proto = 0
				sel.dport, sel.dportMask, sel.sport, sel.sportMask = 0, 0, 0, 0
			}
			info.sel = sel
		}
	default:
		info.flags |= stateAFUnspec
	}
	if proto == kernel.ProtoAH && info.family == unix.AF_INET {
		info.flags |= stateAlign4
	}
	l := sa.Lifetime
	info.lft = lifetimeCfg{
		softBytes: limit(l.SoftBytes), hardBytes: limit(l.HardBytes),
		softPackets: limit(l.SoftPackets), hardPackets: limit(l.HardPackets),
		softAdd: seconds(l.SoftTime), hardAdd: seconds(l.HardTime),
	}

	var attrs []byte
	var err error
	if sa.Encr.ID != 0 {
		if attrs, err = appendEncr(attrs, sa.Encr); err != nil {
			return 0, nil, err
		}
	}
	if sa.Integ.ID != 0 {
		if attrs, err = appendInteg(attrs, sa.Integ); err != nil {
			return 0, nil, err
		}
	}
	if sa.Encap {
		attrs = appendAttr(attrs, attrEncap, encapTmpl(sa.SrcPort, sa.DstPort))
	}
	attrs = appendMark(attrs, sa.Mark.Value, sa.Mark.Mask)
	if sa.IfID != 0 {
		attrs = appendAttr(attrs, attrIfID, u32(sa.IfID))
	}
	// outbound SAs need no replay window, but with ESN the kernel wants
	// one of at least 1
	window := sa.ReplayWindow
	if !sa.Inbound && window != 0 {
		window = 0
		if sa.ESN {
			window = 1
		}
	}
	if window != 0 && (sa.ESN || window > 32) {
		// a bitmap for ESN or windows larger than the legacy 32 bits
		words := (window + 31) / 32
		r := make([]byte, sizeofReplayESN+4*words)
		ne.PutUint32(r[0:], words)
		ne.PutUint32(r[20:], window)
		attrs = appendAttr(attrs, attrReplayESNVal, r)
		if sa.ESN {
			info.flags |= stateESN
		}
	} else {
		info.replayWindow = uint8(window)
	}

	b := make([]byte, sizeofUsersaInfo, sizeofUsersaInfo+len(attrs))
	info.put(b)
	b = append(b, attrs...)
	clear(attrs)
	typ := uint16(msgNewSA)
	if update {
		typ = msgUpdSA
	}
	return typ, b, nil
}

// limit maps "no limit" (0) to XFRM_INF.
func limit(v uint64) uint64 {
	if v == 0 {
		return xfrmInf
	}
	return v
}

// seconds converts a lifetime to whole seconds (at least 1 if set).
func seconds(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	s := uint64(d / time.Second)
	if s == 0 {
		s = 1
	}
	return s
}

// encapTmpl builds struct xfrm_encap_tmpl for ESP in UDP.
func encapTmpl(sport, dport uint16) []byte {
	b := make([]byte, sizeofEncapTmpl)
	ne.PutUint16(b, udpEncapESPInUDP)
	be.PutUint16(b[2:], sport)
	be.PutUint16(b[4:], dport)
	return b
}

// saIDMsg builds struct xfrm_usersa_id with the mark attribute.
func saIDMsg(id kernel.SAID) ([]byte, error) {
	if !id.Dst.IsValid() {
		return nil, errors.New("invalid SA destination")
	}
	u := usersaID{daddr: id.Dst, spi: id.SPI, family: familyOf(id.Dst), proto: protoOf(id.Proto)}
	b := make([]byte, sizeofUsersaID)
	u.put(b)
	return appendMark(b, id.Mark.Value, id.Mark.Mask), nil
}

// getSA fetches an SA: its struct xfrm_usersa_info and attributes.
func (x *IPsec) getSA(id kernel.SAID) (usersaInfo, []byte, error) {
	body, err := saIDMsg(id)
	if err != nil {
		return usersaInfo{}, nil, err
	}
	replies, err := x.tr.do(msgGetSA, 0, body)
	if err != nil {
		return usersaInfo{}, nil, classify(err)
	}
	for _, r := range replies {
		if r.typ == msgNewSA {
			info, err := getUsersaInfo(r.data)
			if err != nil {
				return usersaInfo{}, nil, err
			}
			return info, r.data, nil
		}
	}
	return usersaInfo{}, nil, errors.New("no SA in the kernel's answer")
}

// QuerySA returns an SA's byte and packet counters. LastUse is when
// traffic last matched one of the policies using the SA (the SA's own
// use time is that of its first use), zero if never.
func (x *IPsec) QuerySA(ctx context.Context, id kernel.SAID) (kernel.Usage, error) {
	if err := ctxErr(ctx); err != nil {
		return kernel.Usage{}, err
	}
	info, raw, err := x.getSA(id)
	clear(raw)
	if err != nil {
		x.logf(2, "unable to query SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
		return kernel.Usage{}, fmt.Errorf("querying SAD entry with SPI %08x failed: %w", id.SPI, err)
	}
	u := kernel.Usage{Bytes: info.curlft.bytes, Packets: info.curlft.packets}
	u.LastUse = x.policyUseTime(id)
	return u, nil
}

// DelSA removes an SA.
func (x *IPsec) DelSA(ctx context.Context, id kernel.SAID) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	x.logf(2, "deleting SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
	body, err := saIDMsg(id)
	if err != nil {
		return err
	}
	if _, err := x.tr.do(msgDelSA, 0, body); err != nil {
		err = classify(err)
		if !errors.Is(err, kernel.ErrNotFound) {
			x.logf(1, "unable to delete SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
		}
		return fmt.Errorf("unable to delete SAD entry with SPI %08x: %w", id.SPI, err)
	}
	x.logf(2, "deleted SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
	return nil
}

// UpdateSA moves an SA to new endpoints and/or changes its UDP
// encapsulation (MOBIKE, NAT mapping changes) as charon's update_sa: the
// SA is read from the kernel with its replay state and counters, deleted
// and added again with the new addresses. The policies whose templates
// name the SA's old endpoints are then updated in place
// (XFRM_MSG_UPDPOLICY) and their routes reinstalled.
func (x *IPsec) UpdateSA(ctx context.Context, id kernel.SAID, newSrc, newDst netip.AddrPort, encap bool) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	info, raw, err := x.getSA(id)
	defer clear(raw)
	if err != nil {
		x.logf(1, "unable to update SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
		return fmt.Errorf("unable to update SAD entry with SPI %08x: %w", id.SPI, err)
	}
	attrs, err := parseAttrs(raw[sizeofUsersaInfo:])
	if err != nil {
		return err
	}
	src, dst := newSrc.Addr().Unmap(), newDst.Addr().Unmap()
	var oldEncap []byte
	for _, a := range attrs {
		if a.typ == attrEncap {
			oldEncap = a.data
		}
	}
	newEncap := []byte(nil)
	if encap {
		newEncap = encapTmpl(newSrc.Port(), newDst.Port())
	}
	if info.saddr == src && info.daddr == dst && encapEqual(oldEncap, newEncap) {
		return nil
	}
	ae := x.getAE(id, info)

	del := id
	if err := x.DelSA(ctx, del); err != nil {
		x.logf(1, "unable to delete old SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
		return fmt.Errorf("unable to update SAD entry with SPI %08x: %w", id.SPI, err)
	}
	x.logf(2, "updating SAD entry with SPI %08x%s from %s..%s to %s..%s", id.SPI, markString(id.Mark),
		info.saddr, info.daddr, newSrc, newDst)
	body := buildUpdatedSA(info, attrs, src, dst, newEncap, ae)
	defer clear(body)
	if ae.replay == nil {
		x.logf(1, "unable to copy replay state from old SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
	}
	if ae.lifetime == nil {
		x.logf(1, "unable to copy usage stats from old SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
	}
	if _, err := x.tr.do(msgNewSA, 0, body); err != nil {
		x.logf(1, "unable to update SAD entry with SPI %08x%s", id.SPI, markString(id.Mark))
		return fmt.Errorf("unable to update SAD entry with SPI %08x: %w", id.SPI, classify(err))
	}
	if info.saddr != src || info.daddr != dst {
		x.movePolicies(ctx, id, src, dst)
	}
	return nil
}

func encapEqual(a, b []byte) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == nil {
		return true
	}
	// type and ports; the original address is not used
	return len(a) >= 6 && len(b) >= 6 && string(a[:6]) == string(b[:6])
}

// aeState is what XFRM_MSG_GETAE returned: the raw replay state
// attribute (legacy or ESN) and the current lifetime.
type aeState struct {
	replayType uint16
	replay     []byte
	lifetime   []byte
}

// getAE reads an SA's replay state and counters (XFRM_MSG_GETAE).
func (x *IPsec) getAE(id kernel.SAID, info usersaInfo) aeState {
	var st aeState
	b := make([]byte, sizeofAeventID)
	u := usersaID{daddr: info.daddr, spi: info.spi, family: info.family, proto: info.proto}
	u.put(b)
	putAddr(b[24:], info.saddr)
	ne.PutUint32(b[40:], aeRVal)
	ne.PutUint32(b[44:], info.reqid)
	b = appendMark(b, id.Mark.Value, id.Mark.Mask)
	replies, err := x.tr.do(msgGetAE, 0, b)
	if err != nil {
		x.logf(1, "querying replay state from SAD entry failed: %v", err)
		return st
	}
	for _, r := range replies {
		if r.typ != msgNewAE || len(r.data) < sizeofAeventID {
			continue
		}
		attrs, _ := parseAttrs(r.data[sizeofAeventID:])
		for _, a := range attrs {
			switch {
			case a.typ == attrLtimeVal && len(a.data) == sizeofLifetimeCur:
				st.lifetime = a.data
			case a.typ == attrReplayVal && len(a.data) == sizeofReplay:
				st.replayType, st.replay = a.typ, a.data
			case a.typ == attrReplayESNVal && len(a.data) >= sizeofReplayESN:
				st.replayType, st.replay = a.typ, a.data
			}
		}
	}
	return st
}

// buildUpdatedSA builds the XFRM_MSG_NEWSA that re-adds an SA with new
// endpoints: the old struct xfrm_usersa_info with new addresses (and host
// selectors following them) and the old attributes, the encapsulation
// replaced and the replay state and counters of the old SA.
func buildUpdatedSA(info usersaInfo, attrs []attr, src, dst netip.Addr, encap []byte, ae aeState) []byte {
	oldSrc, oldDst := info.saddr, info.daddr
	info.family = familyOf(dst)
	info.saddr, info.daddr = src, dst
	full := uint8(oldSrc.BitLen())
	if info.sel.saddr == oldSrc && info.sel.prefixlenS == full && oldSrc != src {
		info.sel.saddr = src
		info.sel.prefixlenS = uint8(src.BitLen())
		info.sel.family = familyOf(src)
	}
	if info.sel.daddr == oldDst && info.sel.prefixlenD == uint8(oldDst.BitLen()) && oldDst != dst {
		info.sel.daddr = dst
		info.sel.prefixlenD = uint8(dst.BitLen())
		info.sel.family = familyOf(dst)
	}
	b := make([]byte, sizeofUsersaInfo)
	info.put(b)
	for _, a := range attrs {
		switch a.typ {
		case attrEncap:
			continue // replaced below
		case attrReplayVal, attrReplayESNVal:
			if ae.replay != nil {
				continue // the current state is added below
			}
		case attrLtimeVal:
			if ae.lifetime != nil {
				continue
			}
		}
		b = appendAttr(b, a.typ, a.data)
	}
	if encap != nil {
		b = appendAttr(b, attrEncap, encap)
	}
	if ae.replay != nil {
		b = appendAttr(b, ae.replayType, ae.replay)
	}
	if ae.lifetime != nil {
		b = appendAttr(b, attrLtimeVal, ae.lifetime)
	}
	return b
}
