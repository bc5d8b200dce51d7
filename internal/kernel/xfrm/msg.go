package xfrm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// This file encodes and decodes the structures of the kernel's XFRM
// netlink interface (include/uapi/linux/xfrm.h) by hand, field by field at
// their offsets on Linux (the same on all 64-bit and 32-bit ABIs the
// kernel supports for XFRM: no pointers, explicit padding). Integers are
// in host byte order except SPIs and ports (network order), as in the
// uapi.

// Netlink message types (enum xfrm_msg_type).
const (
	msgNewSA       = 0x10
	msgDelSA       = 0x11
	msgGetSA       = 0x12
	msgNewPolicy   = 0x13
	msgDelPolicy   = 0x14
	msgGetPolicy   = 0x15
	msgAllocSPI    = 0x16
	msgAcquire     = 0x17
	msgExpire      = 0x18
	msgUpdPolicy   = 0x19
	msgUpdSA       = 0x1a
	msgPolExpire   = 0x1b
	msgFlushSA     = 0x1c
	msgFlushPolicy = 0x1d
	msgNewAE       = 0x1e
	msgGetAE       = 0x1f
	msgMigrate     = 0x21
	msgMapping     = 0x26
)

// Attribute types (enum xfrm_attr_type_t).
const (
	attrAlgAuth      = 1
	attrAlgCrypt     = 2
	attrAlgComp      = 3
	attrEncap        = 4
	attrTmpl         = 5
	attrSA           = 6
	attrPolicy       = 7
	attrSecCtx       = 8
	attrLtimeVal     = 9
	attrReplayVal    = 10
	attrReplayThresh = 11
	attrEtimerThresh = 12
	attrSrcAddr      = 13
	attrCoAddr       = 14
	attrLastUsed     = 15
	attrPolicyType   = 16
	attrMigrate      = 17
	attrAlgAEAD      = 18
	attrKMAddress    = 19
	attrAlgAuthTrunc = 20
	attrMark         = 21
	attrTFCPad       = 22
	attrReplayESNVal = 23
	attrSAExtraFlags = 24
	attrProto        = 25
	attrAddressFilt  = 26
	attrPad          = 27
	attrOffloadDev   = 28
	attrSetMark      = 29
	attrSetMarkMask  = 30
	attrIfID         = 31
)

// Multicast groups (enum xfrm_nlgroups).
const (
	grpAcquire = 1
	grpExpire  = 2
	grpMigrate = 7
	grpMapping = 8
)

// Constants of the structures.
const (
	stateNoECN     = 1
	stateDecapDSCP = 2
	stateNoPMTU    = 4
	stateAFUnspec  = 32
	stateAlign4    = 64
	stateESN       = 128

	policyIn  = 0
	policyOut = 1
	policyFwd = 2

	policyAllow = 0
	policyBlock = 1

	modeTransport = 0
	modeTunnel    = 1
	modeBEET      = 4

	aeRVal = 2
	aeLVal = 4

	udpEncapESPInUDP = 2

	xfrmInf = ^uint64(0)
)

// Sizes of the structures.
const (
	sizeofSelector       = 56
	sizeofID             = 24
	sizeofLifetimeCfg    = 64
	sizeofLifetimeCur    = 32
	sizeofUsersaInfo     = 224
	sizeofUsersaID       = 24
	sizeofUserSPIInfo    = 232
	sizeofUserpolicyInfo = 168
	sizeofUserpolicyID   = 64
	sizeofUserTmpl       = 64
	sizeofAlgo           = 68
	sizeofAlgoAuth       = 72
	sizeofAlgoAEAD       = 72
	sizeofEncapTmpl      = 24
	sizeofMark           = 8
	sizeofReplay         = 12
	sizeofReplayESN      = 24
	sizeofUserAcquire    = 280
	sizeofUserExpire     = 232
	sizeofUserMapping    = 64
	sizeofUserMigrate    = 76
	sizeofUserKMAddress  = 40
	sizeofAeventID       = 48
	algNameLen           = 64
)

var ne = binary.NativeEndian
var be = binary.BigEndian

var errShort = errors.New("truncated XFRM message")

// putAddr writes an xfrm_address_t (IPv4 in the first four bytes).
func putAddr(b []byte, a netip.Addr) {
	clear(b[:16])
	if a.IsValid() {
		copy(b, a.Unmap().AsSlice())
	}
}

// getAddr reads an xfrm_address_t of the given family.
func getAddr(b []byte, family uint16) netip.Addr {
	switch family {
	case unix.AF_INET:
		return netip.AddrFrom4([4]byte(b[:4]))
	case unix.AF_INET6:
		return netip.AddrFrom16([16]byte(b[:16]))
	}
	return netip.Addr{}
}

func familyOf(a netip.Addr) uint16 {
	if a.Unmap().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// selector is struct xfrm_selector; ports and masks in host order here.
type selector struct {
	daddr, saddr           netip.Addr
	dport, dportMask       uint16
	sport, sportMask       uint16
	family                 uint16
	prefixlenD, prefixlenS uint8
	proto                  uint8
	ifindex                int32
	user                   uint32
}

func (s *selector) put(b []byte) {
	putAddr(b[0:], s.daddr)
	putAddr(b[16:], s.saddr)
	be.PutUint16(b[32:], s.dport)
	be.PutUint16(b[34:], s.dportMask)
	be.PutUint16(b[36:], s.sport)
	be.PutUint16(b[38:], s.sportMask)
	ne.PutUint16(b[40:], s.family)
	b[42], b[43], b[44] = s.prefixlenD, s.prefixlenS, s.proto
	ne.PutUint32(b[48:], uint32(s.ifindex))
	ne.PutUint32(b[52:], s.user)
}

func getSelector(b []byte) selector {
	s := selector{
		dport: be.Uint16(b[32:]), dportMask: be.Uint16(b[34:]),
		sport: be.Uint16(b[36:]), sportMask: be.Uint16(b[38:]),
		family:     ne.Uint16(b[40:]),
		prefixlenD: b[42], prefixlenS: b[43], proto: b[44],
		ifindex: int32(ne.Uint32(b[48:])), user: ne.Uint32(b[52:]),
	}
	fam := s.family
	if fam == 0 {
		// old kernels leave the family unset; guess from the prefix
		// length as charon does
		if s.prefixlenS == 32 {
			fam = unix.AF_INET
		} else if s.prefixlenS == 128 {
			fam = unix.AF_INET6
		}
	}
	s.daddr, s.saddr = getAddr(b[0:], fam), getAddr(b[16:], fam)
	return s
}

// bytes returns the selector's encoding (policies are keyed by it).
func (s *selector) bytes() [sizeofSelector]byte {
	var b [sizeofSelector]byte
	s.put(b[:])
	return b
}

// lifetimeCfg is struct xfrm_lifetime_cfg.
type lifetimeCfg struct {
	softBytes, hardBytes     uint64
	softPackets, hardPackets uint64
	softAdd, hardAdd         uint64
	softUse, hardUse         uint64
}

// infinite is the configuration of something that never expires.
func infinite() lifetimeCfg {
	return lifetimeCfg{softBytes: xfrmInf, hardBytes: xfrmInf, softPackets: xfrmInf, hardPackets: xfrmInf}
}

func getLifetimeCfg(b []byte) lifetimeCfg {
	var v [8]uint64
	for i := range v {
		v[i] = ne.Uint64(b[8*i:])
	}
	return lifetimeCfg{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}
}

func (l *lifetimeCfg) put(b []byte) {
	for i, v := range []uint64{l.softBytes, l.hardBytes, l.softPackets, l.hardPackets,
		l.softAdd, l.hardAdd, l.softUse, l.hardUse} {
		ne.PutUint64(b[8*i:], v)
	}
}

// lifetimeCur is struct xfrm_lifetime_cur.
type lifetimeCur struct {
	bytes, packets   uint64
	addTime, useTime uint64
}

func getLifetimeCur(b []byte) lifetimeCur {
	return lifetimeCur{ne.Uint64(b), ne.Uint64(b[8:]), ne.Uint64(b[16:]), ne.Uint64(b[24:])}
}

// usersaInfo is struct xfrm_usersa_info.
type usersaInfo struct {
	sel          selector
	daddr        netip.Addr // id.daddr
	spi          uint32     // id.spi
	proto        uint8      // id.proto
	saddr        netip.Addr
	lft          lifetimeCfg
	curlft       lifetimeCur
	seq, reqid   uint32
	family       uint16
	mode         uint8
	replayWindow uint8
	flags        uint8
}

func (u *usersaInfo) put(b []byte) {
	u.sel.put(b[0:])
	putAddr(b[56:], u.daddr)
	be.PutUint32(b[72:], u.spi)
	b[76] = u.proto
	putAddr(b[80:], u.saddr)
	u.lft.put(b[96:])
	// curlft and stats: zero on requests
	ne.PutUint32(b[204:], u.seq)
	ne.PutUint32(b[208:], u.reqid)
	ne.PutUint16(b[212:], u.family)
	b[214], b[215], b[216] = u.mode, u.replayWindow, u.flags
}

func getUsersaInfo(b []byte) (usersaInfo, error) {
	if len(b) < sizeofUsersaInfo {
		return usersaInfo{}, errShort
	}
	u := usersaInfo{
		sel:    getSelector(b),
		spi:    be.Uint32(b[72:]),
		proto:  b[76],
		lft:    getLifetimeCfg(b[96:]),
		curlft: getLifetimeCur(b[160:]),
		seq:    ne.Uint32(b[204:]), reqid: ne.Uint32(b[208:]),
		family: ne.Uint16(b[212:]),
		mode:   b[214], replayWindow: b[215], flags: b[216],
	}
	u.daddr, u.saddr = getAddr(b[56:], u.family), getAddr(b[80:], u.family)
	return u, nil
}

// usersaID is struct xfrm_usersa_id.
type usersaID struct {
	daddr  netip.Addr
	spi    uint32
	family uint16
	proto  uint8
}

func (u *usersaID) put(b []byte) {
	putAddr(b, u.daddr)
	be.PutUint32(b[16:], u.spi)
	ne.PutUint16(b[20:], u.family)
	b[22] = u.proto
}

func getUsersaID(b []byte) usersaID {
	u := usersaID{spi: be.Uint32(b[16:]), family: ne.Uint16(b[20:]), proto: b[22]}
	u.daddr = getAddr(b, u.family)
	return u
}

// userpolicyInfo is struct xfrm_userpolicy_info.
type userpolicyInfo struct {
	sel      selector
	lft      lifetimeCfg
	curlft   lifetimeCur
	priority uint32
	index    uint32
	dir      uint8
	action   uint8
	flags    uint8
	share    uint8
}

func (p *userpolicyInfo) put(b []byte) {
	p.sel.put(b)
	p.lft.put(b[56:])
	ne.PutUint32(b[152:], p.priority)
	ne.PutUint32(b[156:], p.index)
	b[160], b[161], b[162], b[163] = p.dir, p.action, p.flags, p.share
}

func getUserpolicyInfo(b []byte) (userpolicyInfo, error) {
	if len(b) < sizeofUserpolicyInfo {
		return userpolicyInfo{}, errShort
	}
	return userpolicyInfo{
		sel:      getSelector(b),
		lft:      getLifetimeCfg(b[56:]),
		curlft:   getLifetimeCur(b[120:]),
		priority: ne.Uint32(b[152:]), index: ne.Uint32(b[156:]),
		dir: b[160], action: b[161], flags: b[162], share: b[163],
	}, nil
}

// userTmpl is struct xfrm_user_tmpl.
type userTmpl struct {
	daddr                  netip.Addr // id.daddr
	spi                    uint32     // id.spi
	proto                  uint8      // id.proto
	family                 uint16
	saddr                  netip.Addr
	reqid                  uint32
	mode, share, optional  uint8
	aalgos, ealgos, calgos uint32
}

func (t *userTmpl) put(b []byte) {
	putAddr(b, t.daddr)
	be.PutUint32(b[16:], t.spi)
	b[20] = t.proto
	ne.PutUint16(b[24:], t.family)
	putAddr(b[28:], t.saddr)
	ne.PutUint32(b[44:], t.reqid)
	b[48], b[49], b[50] = t.mode, t.share, t.optional
	ne.PutUint32(b[52:], t.aalgos)
	ne.PutUint32(b[56:], t.ealgos)
	ne.PutUint32(b[60:], t.calgos)
}

func getUserTmpl(b []byte) userTmpl {
	t := userTmpl{
		spi: be.Uint32(b[16:]), proto: b[20], family: ne.Uint16(b[24:]),
		reqid: ne.Uint32(b[44:]), mode: b[48], share: b[49], optional: b[50],
		aalgos: ne.Uint32(b[52:]), ealgos: ne.Uint32(b[56:]), calgos: ne.Uint32(b[60:]),
	}
	t.daddr, t.saddr = getAddr(b, t.family), getAddr(b[28:], t.family)
	return t
}

// userMigrate is struct xfrm_user_migrate.
type userMigrate struct {
	oldDaddr, oldSaddr, newDaddr, newSaddr netip.Addr
	proto, mode                            uint8
	reqid                                  uint32
	oldFamily, newFamily                   uint16
}

func getUserMigrate(b []byte) userMigrate {
	m := userMigrate{proto: b[64], mode: b[65], reqid: ne.Uint32(b[68:]),
		oldFamily: ne.Uint16(b[72:]), newFamily: ne.Uint16(b[74:])}
	m.oldDaddr, m.oldSaddr = getAddr(b, m.oldFamily), getAddr(b[16:], m.oldFamily)
	m.newDaddr, m.newSaddr = getAddr(b[32:], m.newFamily), getAddr(b[48:], m.newFamily)
	return m
}

// appendAttr appends a netlink attribute (struct rtattr + payload padded
// to 4 bytes).
func appendAttr(b []byte, typ uint16, payload []byte) []byte {
	b = ne.AppendUint16(b, uint16(4+len(payload)))
	b = ne.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func u32(v uint32) []byte { return ne.AppendUint32(nil, v) }

// markAttr appends XFRMA_MARK if the mark is set (value or mask).
func appendMark(b []byte, value, mask uint32) []byte {
	if value|mask == 0 {
		return b
	}
	m := make([]byte, sizeofMark)
	ne.PutUint32(m, value)
	ne.PutUint32(m[4:], mask)
	return appendAttr(b, attrMark, m)
}

// attr is one parsed netlink attribute.
type attr struct {
	typ  uint16
	data []byte
}

// parseAttrs splits attributes; a malformed one ends the list with an
// error.
func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) >= 4 {
		l := int(ne.Uint16(b))
		if l < 4 || l > len(b) {
			return out, fmt.Errorf("malformed XFRM attribute (length %d of %d)", l, len(b))
		}
		out = append(out, attr{typ: ne.Uint16(b[2:]) & 0x3fff, data: b[4:l]})
		l = (l + 3) &^ 3
		if l > len(b) {
			break
		}
		b = b[l:]
	}
	return out, nil
}

// algoName reads the NUL-terminated name of an xfrm_algo*.
func algoName(b []byte) string {
	n := b[:algNameLen]
	for i, c := range n {
		if c == 0 {
			return string(n[:i])
		}
	}
	return string(n)
}
