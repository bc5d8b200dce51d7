package message

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// This file builds wire bytes by hand, field by field, following the
// layouts of RFC 7296 section 3, independently of the package's marshal
// code, so that tests compare the package against the RFC and not against
// itself.

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }
func u32(v uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, v)
}
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
func rep(b byte, n int) []byte   { return bytes.Repeat([]byte{b}, n) }

// unhex decodes hex with spaces/newlines allowed.
func unhex(s string) []byte {
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// raw is a payload in wire form: its type code and body; next overrides
// the next-payload field (needed for SK/SKF), crit sets the critical bit.
type raw struct {
	typ  byte
	body []byte
	next int // -1: computed from the chain
	crit bool
}

func pl(typ PayloadType, body ...[]byte) raw {
	return raw{typ: byte(typ), body: cat(body...), next: -1}
}

// sk is an SK payload whose first inner payload has type first.
func sk(first PayloadType, body []byte) raw {
	return raw{typ: byte(PayloadSK), body: body, next: int(first)}
}

// skf is an SKF payload.
func skf(first PayloadType, num, total int, body []byte) raw {
	return raw{typ: byte(PayloadSKF), body: cat(u16(num), u16(total), body), next: int(first)}
}

// chain lays out payloads with generic headers.
func chain(ps ...raw) []byte {
	var out []byte
	for i, p := range ps {
		next := 0
		if i+1 < len(ps) {
			next = int(ps[i+1].typ)
		}
		if p.next >= 0 {
			next = p.next
		}
		flags := byte(0)
		if p.crit {
			flags = 0x80
		}
		out = append(out, byte(next), flags)
		out = append(out, u16(4+len(p.body))...)
		out = append(out, p.body...)
	}
	return out
}

// hdr describes an IKE header.
type hdr struct {
	spii, spir uint64
	exch       ExchangeType
	flags      byte
	mid        uint32
}

// msg builds a complete message.
func msg(h hdr, ps ...raw) []byte {
	first := byte(0)
	if len(ps) > 0 {
		first = ps[0].typ
	}
	body := chain(ps...)
	out := binary.BigEndian.AppendUint64(nil, h.spii)
	out = binary.BigEndian.AppendUint64(out, h.spir)
	out = append(out, first, 0x20, byte(h.exch), h.flags)
	out = append(out, u32(h.mid)...)
	out = append(out, u32(uint32(28+len(body)))...)
	return append(out, body...)
}

// Substructures.

func attrTV(t, v int) []byte         { return cat(u16(0x8000|t), u16(v)) }
func attrTLV(t int, d []byte) []byte { return cat(u16(t), u16(len(d)), d) }

func transform(last bool, typ TransformType, id int, attrs ...[]byte) []byte {
	a := cat(attrs...)
	m := byte(3)
	if last {
		m = 0
	}
	return cat([]byte{m, 0}, u16(8+len(a)), []byte{byte(typ), 0}, u16(id), a)
}

func proposal(last bool, num int, proto ProtocolID, spi []byte, transforms ...[]byte) []byte {
	t := cat(transforms...)
	m := byte(2)
	if last {
		m = 0
	}
	return cat([]byte{m, 0}, u16(8+len(spi)+len(t)),
		[]byte{byte(num), byte(proto), byte(len(spi)), byte(len(transforms))}, spi, t)
}

func notify(proto ProtocolID, spi []byte, t NotifyType, data []byte) raw {
	return pl(PayloadNotify, []byte{byte(proto), byte(len(spi))}, u16(int(t)), spi, data)
}

func ts4(proto byte, sp, ep int, start, end string) []byte {
	return cat([]byte{7, proto}, u16(16), u16(sp), u16(ep), unhex(start), unhex(end))
}

func ts6(proto byte, sp, ep int, start, end string) []byte {
	return cat([]byte{8, proto}, u16(40), u16(sp), u16(ep), unhex(start), unhex(end))
}

func tsPayload(resp bool, sels ...[]byte) raw {
	t := PayloadTSi
	if resp {
		t = PayloadTSr
	}
	return pl(t, []byte{byte(len(sels)), 0, 0, 0}, cat(sels...))
}

func cpAttr(t CPAttrType, v []byte) []byte { return cat(u16(int(t)), u16(len(v)), v) }

func eapPkt(code, id byte, rest []byte) []byte {
	return cat([]byte{code, id}, u16(4+len(rest)), rest)
}

// Sample payloads, built from the RFC layouts.

var (
	spiI = uint64(0x0011223344556677)
	spiR = uint64(0x8899aabbccddeeff)

	natd1 = unhex("1111111111111111111111111111111111111111")
	natd2 = unhex("2222222222222222222222222222222222222222")
	nonce = rep(0xab, 32)

	// IKE proposal: aes256-sha256-x25519 and aes128gcm16-prfsha256-ecp256.
	saIKE = pl(PayloadSA,
		proposal(false, 1, ProtoIKE, nil,
			transform(false, TransformENCR, 12, attrTV(14, 256)),
			transform(false, TransformPRF, 5),
			transform(false, TransformINTEG, 12),
			transform(true, TransformKE, 31)),
		proposal(true, 2, ProtoIKE, nil,
			transform(false, TransformENCR, 20, attrTV(14, 128)),
			transform(false, TransformPRF, 5),
			transform(false, TransformKE, 19),
			transform(true, TransformADDKE1, 35)))

	// ESP proposal with a 4-octet SPI: aes128gcm16, no ESN.
	saESP = pl(PayloadSA,
		proposal(true, 1, ProtoESP, unhex("c1a2b3d4"),
			transform(false, TransformENCR, 20, attrTV(14, 128)),
			transform(true, TransformESN, 0)))

	keX25519 = pl(PayloadKE, u16(31), []byte{0, 0}, rep(0x42, 32))
	noncePl  = pl(PayloadNonce, nonce)

	idiRFC822 = pl(PayloadIDi, []byte{byte(IDRFC822Addr), 0, 0, 0}, []byte("carol@strongswan.org"))
	idrFQDN   = pl(PayloadIDr, []byte{byte(IDFQDN), 0, 0, 0}, []byte("moon.strongswan.org"))
	certPl    = pl(PayloadCert, []byte{byte(CertX509Signature)}, unhex("3082010a0282010100"))
	certreqPl = pl(PayloadCertReq, []byte{byte(CertX509Signature)}, rep(0x5a, 20))
	// RFC 7427 AUTH: sha256WithRSAEncryption AlgorithmIdentifier (RFC 7427 A.1).
	algRSASHA256 = unhex("300d06092a864886f70d01010b0500")
	authDS       = pl(PayloadAuth, []byte{byte(AuthDS), 0, 0, 0},
		[]byte{byte(len(algRSASHA256))}, algRSASHA256, rep(0x77, 64))
	authPSK = pl(PayloadAuth, []byte{byte(AuthPSK), 0, 0, 0}, rep(0x99, 32))

	tsiHost = tsPayload(false, ts4(0, 0, 65535, "0a030001", "0a030001"))
	tsrAll  = tsPayload(true, ts4(0, 0, 65535, "00000000", "ffffffff"),
		ts6(17, 500, 500, "20010db8000000000000000000000000", "20010db8ffffffffffffffffffffffff"))
)
