package message

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// TestPayloadRoundTrip parses hand-built payload bodies into the expected
// structs and marshals them back to the same bytes.
func TestPayloadRoundTrip(t *testing.T) {
	addr := netip.MustParseAddr
	tests := []struct {
		name string
		typ  PayloadType
		body []byte
		want Payload
	}{
		{"SA IKE two proposals", PayloadSA, saIKE.body, &SA{Proposals: []Proposal{
			{Number: 1, Protocol: ProtoIKE, SPI: []byte{}, Transforms: []Transform{
				{Type: TransformENCR, ID: 12, Attributes: []TransformAttribute{{Type: 14, TV: true, Value: 256}}},
				{Type: TransformPRF, ID: 5},
				{Type: TransformINTEG, ID: 12},
				{Type: TransformKE, ID: 31}}},
			{Number: 2, Protocol: ProtoIKE, SPI: []byte{}, Transforms: []Transform{
				{Type: TransformENCR, ID: 20, Attributes: []TransformAttribute{{Type: 14, TV: true, Value: 128}}},
				{Type: TransformPRF, ID: 5},
				{Type: TransformKE, ID: 19},
				{Type: TransformADDKE1, ID: 35}}}}}},
		{"SA rekey IKE SPI and TLV attribute", PayloadSA,
			proposal(true, 1, ProtoIKE, unhex("0102030405060708"),
				transform(true, TransformENCR, 12, attrTV(14, 128), attrTLV(99, []byte("xyz")), attrTLV(100, nil))),
			&SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoIKE, SPI: unhex("0102030405060708"),
				Transforms: []Transform{{Type: TransformENCR, ID: 12, Attributes: []TransformAttribute{
					{Type: 14, TV: true, Value: 128}, {Type: 99, Data: []byte("xyz")}, {Type: 100, Data: []byte{}}}}}}}}},
		{"SA empty", PayloadSA, nil, &SA{}},
		{"SA proposal without transforms", PayloadSA, proposal(true, 1, ProtoESP, unhex("01020304")),
			&SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoESP, SPI: unhex("01020304")}}}},
		{"KE", PayloadKE, keX25519.body, &KE{Group: 31, Data: rep(0x42, 32)}},
		{"KE empty data", PayloadKE, cat(u16(1), u16(0)), &KE{Group: 1, Data: []byte{}}},
		{"IDi RFC822", PayloadIDi, idiRFC822.body, &ID{IDType: IDRFC822Addr, Data: []byte("carol@strongswan.org")}},
		{"IDr FQDN", PayloadIDr, idrFQDN.body, &ID{Responder: true, IDType: IDFQDN, Data: []byte("moon.strongswan.org")}},
		{"IDi IPv4", PayloadIDi, unhex("01000000 c0a80001"), &ID{IDType: IDIPv4Addr, Data: unhex("c0a80001")}},
		{"IDi IPv6", PayloadIDi, unhex("05000000 20010db8000000000000000000000001"), &ID{IDType: IDIPv6Addr, Data: unhex("20010db8000000000000000000000001")}},
		{"IDi DN", PayloadIDi, unhex("09000000 3011310f300d06035504031306636172 6f6c"), &ID{IDType: IDDERASN1DN, Data: unhex("3011310f300d06035504031306636172 6f6c")}},
		{"IDi GN", PayloadIDi, unhex("0a000000 8204 6d6f6f6e"), &ID{IDType: IDDERASN1GN, Data: unhex("82046d6f6f6e")}},
		{"IDi KEY_ID", PayloadIDi, unhex("0b000000 deadbeef"), &ID{IDType: IDKeyID, Data: unhex("deadbeef")}},
		{"IDi FC_NAME", PayloadIDi, unhex("0c000000 2000000001020304"), &ID{IDType: IDFCName, Data: unhex("2000000001020304")}},
		{"IDi unknown type", PayloadIDi, unhex("c8000000 01"), &ID{IDType: 200, Data: []byte{1}}},
		{"CERT", PayloadCert, certPl.body, &Cert{Encoding: CertX509Signature, Data: unhex("3082010a0282010100")}},
		{"CERT hash and URL", PayloadCert, cat([]byte{12}, rep(1, 20), []byte("http://x/c\x00")),
			&Cert{Encoding: CertHashAndURLX509, Data: cat(rep(1, 20), []byte("http://x/c\x00"))}},
		{"CERTREQ", PayloadCertReq, certreqPl.body, &CertReq{Encoding: CertX509Signature, Data: rep(0x5a, 20)}},
		{"CERTREQ empty", PayloadCertReq, []byte{4}, &CertReq{Encoding: CertX509Signature, Data: []byte{}}},
		{"AUTH digital signature", PayloadAuth, authDS.body, &Auth{Method: AuthDS,
			Data: cat([]byte{15}, algRSASHA256, rep(0x77, 64))}},
		{"AUTH PSK", PayloadAuth, authPSK.body, &Auth{Method: AuthPSK, Data: rep(0x99, 32)}},
		{"Nonce", PayloadNonce, nonce, &Nonce{Data: nonce}},
		{"Notify with SPI", PayloadNotify, notify(ProtoESP, unhex("c1a2b3d4"), NotifyRekeySA, nil).body,
			&Notify{Protocol: ProtoESP, SPI: unhex("c1a2b3d4"), NotifyType: NotifyRekeySA, Data: []byte{}}},
		{"Notify NATD", PayloadNotify, notify(0, nil, NotifyNATDetectionSourceIP, natd1).body,
			&Notify{SPI: []byte{}, NotifyType: NotifyNATDetectionSourceIP, Data: natd1}},
		{"Notify ADDITIONAL_KEY_EXCHANGE", PayloadNotify, notify(0, nil, NotifyAdditionalKeyExchange, rep(4, 8)).body,
			&Notify{SPI: []byte{}, NotifyType: NotifyAdditionalKeyExchange, Data: rep(4, 8)}},
		{"Notify unknown type", PayloadNotify, notify(0, nil, 50000, []byte{1}).body,
			&Notify{SPI: []byte{}, NotifyType: 50000, Data: []byte{1}}},
		{"Delete ESP", PayloadDelete, unhex("0304 0002 c1a2b3d4 c5c6c7c8"),
			&Delete{Protocol: ProtoESP, SPISize: 4, Count: 2, SPIs: unhex("c1a2b3d4c5c6c7c8")}},
		{"Delete IKE", PayloadDelete, unhex("0100 0000"), &Delete{Protocol: ProtoIKE, SPIs: []byte{}}},
		{"Vendor ID", PayloadVendorID, []byte("strongSwan"), &VendorID{Data: []byte("strongSwan")}},
		{"TSi", PayloadTSi, tsiHost.body, &TS{Selectors: []TrafficSelector{
			{Type: TSIPv4AddrRange, EndPort: 65535, StartAddr: addr("10.3.0.1"), EndAddr: addr("10.3.0.1")}}}},
		{"TSr v4 and v6", PayloadTSr, tsrAll.body, &TS{Responder: true, Selectors: []TrafficSelector{
			{Type: TSIPv4AddrRange, EndPort: 65535, StartAddr: addr("0.0.0.0"), EndAddr: addr("255.255.255.255")},
			{Type: TSIPv6AddrRange, IPProtocol: 17, StartPort: 500, EndPort: 500,
				StartAddr: addr("2001:db8::"), EndAddr: addr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}}}},
		{"TS unknown type and seclabel", PayloadTSi,
			cat([]byte{3, 0, 0, 0}, []byte{10, 0}, u16(9), []byte("label"), []byte{99, 5}, u16(4),
				ts4(6, 80, 80, "0a000000", "0affffff")),
			&TS{Selectors: []TrafficSelector{
				{Type: TSSecLabel, Data: []byte("label")},
				{Type: 99, IPProtocol: 5, Data: []byte{}},
				{Type: TSIPv4AddrRange, IPProtocol: 6, StartPort: 80, EndPort: 80, StartAddr: addr("10.0.0.0"), EndAddr: addr("10.255.255.255")}}}},
		{"TS empty", PayloadTSi, []byte{0, 0, 0, 0}, &TS{Selectors: []TrafficSelector{}}},
		{"SK", PayloadSK, rep(1, 48), &Encrypted{Body: rep(1, 48)}},
		{"SKF", PayloadSKF, cat(u16(2), u16(5), rep(1, 48)), &EncryptedFragment{Number: 2, Total: 5, Body: rep(1, 48)}},
		{"CP request", PayloadCP, cat([]byte{1, 0, 0, 0}, cpAttr(CPInternalIP4Address, nil), cpAttr(CPInternalIP6Address, nil),
			cpAttr(CPInternalIP4DNS, nil), cpAttr(CPInternalIP6DNS, nil), cpAttr(CPApplicationVersion, nil)),
			&CP{CfgType: CfgRequest, Attributes: []CPAttribute{
				{Type: CPInternalIP4Address, Value: []byte{}}, {Type: CPInternalIP6Address, Value: []byte{}},
				{Type: CPInternalIP4DNS, Value: []byte{}}, {Type: CPInternalIP6DNS, Value: []byte{}},
				{Type: CPApplicationVersion, Value: []byte{}}}}},
		{"CP reply all RFC 7296 attributes", PayloadCP, cat([]byte{2, 0, 0, 0},
			cpAttr(CPInternalIP4Address, unhex("0a030001")),
			cpAttr(CPInternalIP4Netmask, unhex("ffffff00")),
			cpAttr(CPInternalIP4DNS, unhex("08080808")),
			cpAttr(CPInternalIP4NBNS, unhex("0a000001")),
			cpAttr(CPInternalIP4DHCP, unhex("0a000002")),
			cpAttr(CPApplicationVersion, []byte("goswan")),
			cpAttr(CPInternalIP6Address, unhex("fd000000000000000000000000000001 40")),
			cpAttr(CPInternalIP6DNS, unhex("20014860486000000000000000008888")),
			cpAttr(CPInternalIP6DHCP, unhex("fd000000000000000000000000000002")),
			cpAttr(CPInternalIP4Subnet, unhex("0a010000 ffff0000")),
			cpAttr(CPSupportedAttributes, unhex("0001 0003")),
			cpAttr(CPInternalIP6Subnet, unhex("fd010000000000000000000000000000 30")),
			cpAttr(CPUnityBanner, []byte("hello")),
			cpAttr(30000, []byte{1})),
			&CP{CfgType: CfgReply, Attributes: []CPAttribute{
				{CPInternalIP4Address, unhex("0a030001")},
				{CPInternalIP4Netmask, unhex("ffffff00")},
				{CPInternalIP4DNS, unhex("08080808")},
				{CPInternalIP4NBNS, unhex("0a000001")},
				{CPInternalIP4DHCP, unhex("0a000002")},
				{CPApplicationVersion, []byte("goswan")},
				{CPInternalIP6Address, unhex("fd000000000000000000000000000001 40")},
				{CPInternalIP6DNS, unhex("20014860486000000000000000008888")},
				{CPInternalIP6DHCP, unhex("fd000000000000000000000000000002")},
				{CPInternalIP4Subnet, unhex("0a010000 ffff0000")},
				{CPSupportedAttributes, unhex("0001 0003")},
				{CPInternalIP6Subnet, unhex("fd010000000000000000000000000000 30")},
				{CPUnityBanner, []byte("hello")},
				{30000, []byte{1}}}}},
		{"CP empty", PayloadCP, []byte{3, 0, 0, 0}, &CP{CfgType: CfgSet}},
		{"EAP", PayloadEAP, eapPkt(1, 7, []byte{1}), &EAP{Data: eapPkt(1, 7, []byte{1})}},
		{"unknown", 49, []byte{1, 2, 3}, &Unknown{PayloadType: 49, Body: []byte{1, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPayload(tt.typ)
			if p.Type() != tt.typ {
				t.Fatalf("NewPayload(%d).Type() = %d", tt.typ, p.Type())
			}
			if err := p.Parse(tt.body); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Fatalf("Parse\n got %#v\nwant %#v", p, tt.want)
			}
			out, err := tt.want.AppendMarshal(nil)
			if err != nil {
				t.Fatalf("AppendMarshal: %v", err)
			}
			if !bytes.Equal(out, tt.body) {
				t.Fatalf("AppendMarshal\n got %x\nwant %x", out, tt.body)
			}
			// and as a whole chain with the generic header
			r := raw{typ: byte(tt.typ), body: tt.body, next: -1}
			if tt.typ == PayloadSK || tt.typ == PayloadSKF {
				r.next = 0
				r.body = tt.body
			}
			ch := chain(r)
			if tt.typ != PayloadSK && tt.typ != PayloadSKF {
				ps, err := ParsePayloads(tt.typ, ch)
				if err != nil || len(ps) != 1 {
					t.Fatalf("ParsePayloads: %v", err)
				}
				out, err := AppendPayloads(nil, ps)
				if err != nil || !bytes.Equal(out, ch) {
					t.Fatalf("AppendPayloads: %v %x", err, out)
				}
			}
		})
	}
}

// TestPayloadParseErrors feeds malformed bodies to each payload parser.
func TestPayloadParseErrors(t *testing.T) {
	tests := []struct {
		name string
		typ  PayloadType
		body []byte
		err  error
		off  int
	}{
		{"proposal header short", PayloadSA, []byte{0, 0, 0, 8, 1, 1, 0}, ErrTruncated, 7},
		{"proposal length < 8", PayloadSA, []byte{0, 0, 0, 7, 1, 1, 0, 0}, ErrLength, 2},
		{"proposal length beyond SA", PayloadSA, []byte{0, 0, 0, 9, 1, 1, 0, 0}, ErrTruncated, 2},
		{"last proposal marked 2", PayloadSA, proposal(false, 1, ProtoIKE, nil, transform(true, TransformKE, 31)), ErrLastMarker, 0},
		{"middle proposal marked 0", PayloadSA, cat(proposal(true, 1, ProtoIKE, nil), proposal(true, 2, ProtoIKE, nil)), ErrLastMarker, 0},
		{"proposal marker 1", PayloadSA, cat([]byte{1}, proposal(true, 1, ProtoIKE, nil)[1:]), ErrLastMarker, 0},
		{"SPI beyond proposal", PayloadSA, []byte{0, 0, 0, 8, 1, 3, 4, 0}, ErrTruncated, 6},
		{"transform count too high", PayloadSA, cat([]byte{0, 0}, u16(16), []byte{1, 1, 0, 2}, transform(true, TransformKE, 31)), ErrCount, 7},
		{"transform count too low", PayloadSA, cat([]byte{0, 0}, u16(24), []byte{1, 1, 0, 1},
			transform(false, TransformKE, 31), transform(true, TransformKE, 19)), ErrCount, 7},
		{"last transform marked 3", PayloadSA, proposal(true, 1, ProtoIKE, nil, transform(false, TransformKE, 31)), ErrLastMarker, 8},
		{"middle transform marked 0", PayloadSA, proposal(true, 1, ProtoIKE, nil, transform(true, TransformKE, 31), transform(true, TransformKE, 19)), ErrLastMarker, 8},
		{"transform length < 8", PayloadSA, cat([]byte{0, 0}, u16(16), []byte{1, 1, 0, 1}, []byte{0, 0, 0, 7, 4, 0, 0, 31}), ErrLength, 10},
		{"transform header short", PayloadSA, cat([]byte{0, 0}, u16(12), []byte{1, 1, 0, 1}, []byte{0, 0, 0, 8}), ErrTruncated, 12},
		{"TLV attribute overflow", PayloadSA, proposal(true, 1, ProtoIKE, nil, transform(true, TransformENCR, 12, cat(u16(5), u16(9), []byte{1}))), ErrTruncated, 18},
		{"attribute short", PayloadSA, proposal(true, 1, ProtoIKE, nil, transform(true, TransformENCR, 12, []byte{0x80, 14})), ErrTruncated, 18},
		{"KE short", PayloadKE, []byte{0, 31, 0}, ErrTruncated, 3},
		{"ID short", PayloadIDi, []byte{1, 0, 0}, ErrTruncated, 3},
		{"CERT empty", PayloadCert, nil, ErrTruncated, 0},
		{"CERTREQ empty", PayloadCertReq, nil, ErrTruncated, 0},
		{"AUTH short", PayloadAuth, []byte{2}, ErrTruncated, 1},
		{"Notify short", PayloadNotify, []byte{0, 0, 0x40}, ErrTruncated, 3},
		{"Notify SPI beyond", PayloadNotify, []byte{3, 4, 0x40, 0x09, 1, 2, 3}, ErrTruncated, 1},
		{"Delete short", PayloadDelete, []byte{3, 4, 0}, ErrTruncated, 3},
		{"Delete count mismatch", PayloadDelete, unhex("0304 0002 c1a2b3d4"), ErrCount, 2},
		{"Delete extra data", PayloadDelete, unhex("0100 0000 00"), ErrCount, 2},
		{"TS short", PayloadTSi, []byte{1, 0, 0}, ErrTruncated, 3},
		{"TS count high", PayloadTSi, cat([]byte{2, 0, 0, 0}, ts4(0, 0, 65535, "00000000", "ffffffff")), ErrCount, 0},
		{"TS count low", PayloadTSi, cat([]byte{0, 0, 0, 0}, ts4(0, 0, 65535, "00000000", "ffffffff")), ErrCount, 0},
		{"TS selector header short", PayloadTSi, []byte{1, 0, 0, 0, 7, 0, 0}, ErrTruncated, 7},
		{"TS selector length < 4", PayloadTSi, []byte{1, 0, 0, 0, 99, 0, 0, 3}, ErrLength, 6},
		{"TS selector beyond", PayloadTSi, cat([]byte{1, 0, 0, 0}, ts4(0, 0, 65535, "00000000", "ffffffff")[:15]), ErrTruncated, 6},
		{"TS v4 wrong length", PayloadTSi, cat([]byte{1, 0, 0, 0}, []byte{7, 0}, u16(20), rep(0, 16)), ErrLength, 6},
		{"TS v6 as v4 length", PayloadTSi, cat([]byte{1, 0, 0, 0}, []byte{8, 0}, u16(16), rep(0, 12)), ErrLength, 6},
		{"SKF short", PayloadSKF, []byte{0, 1, 0}, ErrTruncated, 3},
		{"CP short", PayloadCP, []byte{1, 0, 0}, ErrTruncated, 3},
		{"CP attribute header short", PayloadCP, []byte{1, 0, 0, 0, 0, 1, 0}, ErrTruncated, 7},
		{"CP attribute beyond", PayloadCP, cat([]byte{1, 0, 0, 0}, u16(1), u16(4), []byte{1, 2, 3}), ErrTruncated, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewPayload(tt.typ).Parse(tt.body)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.err) {
				t.Fatalf("got %v, want %v", err, tt.err)
			}
			if pe.Offset != tt.off {
				t.Errorf("offset %d, want %d (%v)", pe.Offset, tt.off, err)
			}
			// inside a message the offset is absolute and the payload named
			b := msg(hdr{spii: 1, exch: ExchangeIKESAInit}, raw{typ: byte(tt.typ), body: tt.body, next: -1})
			if tt.typ == PayloadSKF {
				b = msg(hdr{spii: 1, exch: ExchangeIKESAInit}, raw{typ: byte(tt.typ), body: tt.body, next: 0})
			}
			_, err = Parse(b)
			if !errors.As(err, &pe) || pe.Offset != 32+tt.off || pe.Payload != tt.typ {
				t.Errorf("in message: %v (offset %d)", err, pe.Offset)
			}
			if NotifyFor(err) != NotifyInvalidSyntax {
				t.Errorf("NotifyFor = %v", NotifyFor(err))
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	tests := []struct {
		name string
		p    Payload
		err  error
	}{
		{"SPI too long", &SA{Proposals: []Proposal{{SPI: make([]byte, 256)}}}, ErrTooLarge},
		{"too many transforms", &SA{Proposals: []Proposal{{Transforms: make([]Transform, 256)}}}, ErrTooLarge},
		{"attribute type", &SA{Proposals: []Proposal{{Transforms: []Transform{{Attributes: []TransformAttribute{{Type: 0x8000}}}}}}}, ErrInvalid},
		{"attribute too long", &SA{Proposals: []Proposal{{Transforms: []Transform{{Attributes: []TransformAttribute{{Type: 1, Data: make([]byte, 70000)}}}}}}}, ErrTooLarge},
		{"transform too long", &SA{Proposals: []Proposal{{Transforms: []Transform{{Attributes: []TransformAttribute{{Type: 1, Data: make([]byte, 65535)}}}}}}}, ErrTooLarge},
		{"notify SPI", &Notify{SPI: make([]byte, 256)}, ErrTooLarge},
		{"delete count", &Delete{Protocol: ProtoESP, SPISize: 4, Count: 2, SPIs: make([]byte, 4)}, ErrCount},
		{"TS count", &TS{Selectors: make([]TrafficSelector, 256)}, ErrTooLarge},
		{"TS address family", &TS{Selectors: []TrafficSelector{{Type: TSIPv4AddrRange,
			StartAddr: netip.MustParseAddr("::1"), EndAddr: netip.MustParseAddr("::1")}}}, ErrInvalid},
		{"TS no address", &TS{Selectors: []TrafficSelector{{Type: TSIPv6AddrRange}}}, ErrInvalid},
		{"TS unknown too long", &TS{Selectors: []TrafficSelector{{Type: 99, Data: make([]byte, 65535)}}}, ErrTooLarge},
		{"CP attribute type", &CP{Attributes: []CPAttribute{{Type: 0x8000}}}, ErrInvalid},
		{"CP attribute length", &CP{Attributes: []CPAttribute{{Type: 1, Value: make([]byte, 65536)}}}, ErrTooLarge},
	}
	for _, tt := range tests {
		if _, err := tt.p.AppendMarshal(nil); !errors.Is(err, tt.err) {
			t.Errorf("%s: got %v want %v", tt.name, err, tt.err)
		}
	}
	// chain-level errors
	chainTests := []struct {
		name string
		ps   []Payload
		err  error
	}{
		{"nil payload", []Payload{nil}, ErrInvalid},
		{"type 0", []Payload{&Unknown{}}, ErrInvalid},
		{"Unknown with known type", []Payload{&Unknown{PayloadType: PayloadNotify}}, ErrInvalid},
		{"payload too long", []Payload{&VendorID{Data: make([]byte, 65532)}}, ErrTooLarge},
		{"SK not last", []Payload{&Encrypted{}, &Nonce{}}, ErrEncryptedPosition},
		{"SKF not last", []Payload{&EncryptedFragment{}, &Nonce{}}, ErrEncryptedPosition},
	}
	for _, tt := range chainTests {
		m := &Message{Header: Header{SPIi: 1, MajorVersion: 2}, Payloads: tt.ps}
		if _, err := m.AppendMarshal(nil); !errors.Is(err, tt.err) {
			t.Errorf("%s: got %v want %v", tt.name, err, tt.err)
		}
	}
	if _, err := AppendPayloads(nil, []Payload{&Nonce{}, &Encrypted{}}); !errors.Is(err, ErrEncryptedPosition) {
		t.Errorf("SK inside plaintext: %v", err)
	}
	if _, err := AppendPayloads(nil, []Payload{&Notify{SPI: make([]byte, 300)}}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("payload error through chain: %v", err)
	}
	// a maximal payload is fine
	if out, err := AppendPayloads(nil, []Payload{&VendorID{Data: make([]byte, 65531)}}); err != nil || len(out) != 65535 {
		t.Errorf("65535-octet payload: %v", err)
	}
	m := &Message{Payloads: []Payload{&Nonce{}}}
	if _, err := m.AppendAssociatedData(nil, 10); !errors.Is(err, ErrEncryptedPosition) {
		t.Errorf("AAD without SK: %v", err)
	}
	if _, err := (&Message{}).AppendAssociatedData(nil, 10); !errors.Is(err, ErrEncryptedPosition) {
		t.Errorf("AAD of empty message: %v", err)
	}
	m = &Message{Payloads: []Payload{&Notify{SPI: make([]byte, 300)}, &Encrypted{}}}
	if _, err := m.AppendAssociatedData(nil, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("AAD with bad payload: %v", err)
	}
}

func TestAccessors(t *testing.T) {
	// ID
	id := &ID{IDType: IDIPv4Addr, Data: unhex("c0a80001")}
	if a, ok := id.Addr(); !ok || a != netip.MustParseAddr("192.168.0.1") {
		t.Error("ID.Addr v4")
	}
	id = &ID{IDType: IDIPv6Addr, Data: unhex("20010db8000000000000000000000001")}
	if a, ok := id.Addr(); !ok || a != netip.MustParseAddr("2001:db8::1") {
		t.Error("ID.Addr v6")
	}
	if _, ok := (&ID{IDType: IDFQDN, Data: []byte("abcd")}).Addr(); ok {
		t.Error("ID.Addr fqdn")
	}
	// TS prefixes
	for _, c := range []struct {
		s, e string
		p    string
	}{
		{"10.1.0.0", "10.1.255.255", "10.1.0.0/16"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"10.3.0.1", "10.3.0.1", "10.3.0.1/32"},
		{"2001:db8::", "2001:db8::ffff", "2001:db8::/112"},
		{"10.1.0.1", "10.1.255.255", ""},
		{"10.1.0.0", "10.1.254.255", ""},
		{"10.1.0.0", "10.2.255.255", ""},
	} {
		s := TrafficSelector{Type: TSIPv4AddrRange, StartAddr: netip.MustParseAddr(c.s), EndAddr: netip.MustParseAddr(c.e)}
		if s.StartAddr.Is6() {
			s.Type = TSIPv6AddrRange
		}
		p, ok := s.Prefix()
		if (c.p == "") == ok || (ok && p.String() != c.p) {
			t.Errorf("Prefix(%s-%s) = %v %v, want %q", c.s, c.e, p, ok, c.p)
		}
	}
	if _, ok := (&TrafficSelector{Type: TSSecLabel}).Prefix(); ok {
		t.Error("Prefix of seclabel")
	}
	// CP
	cp := &CP{Attributes: []CPAttribute{
		IP4Attr(CPInternalIP4Address, netip.MustParseAddr("10.3.0.1")),
		IP6Attr(CPInternalIP6Address, netip.MustParseAddr("fd::1"), 64),
		IP6Attr(CPInternalIP6DNS, netip.MustParseAddr("fd::53"), -1),
		{Type: CPInternalIP4Subnet, Value: unhex("0a010000 ffff0000")},
		{Type: CPInternalAddressExpiry, Value: u32(3600)},
		{Type: CPSupportedAttributes, Value: unhex("0001 0003 8002")},
		{Type: CPInternalIP4Netmask, Value: unhex("0a010000 ff00ff00")},
	}}
	if a, ok := cp.Attribute(CPInternalIP4Address); !ok {
		t.Error("Attribute")
	} else if ip, ok := a.Addr(); !ok || ip.String() != "10.3.0.1" {
		t.Error("Addr v4")
	}
	if _, ok := cp.Attribute(CPInternalIP4DHCP); ok {
		t.Error("absent attribute")
	}
	if a, _ := cp.Attribute(CPInternalIP6Address); true {
		if p, ok := a.Prefix(); !ok || p.String() != "fd::1/64" {
			t.Errorf("IP6 prefix %v", p)
		}
		if ip, ok := a.Addr(); !ok || ip.String() != "fd::1" {
			t.Error("IP6 address")
		}
	}
	if a, _ := cp.Attribute(CPInternalIP6DNS); len(a.Value) != 16 {
		t.Error("IP6Attr without prefix")
	}
	if a, _ := cp.Attribute(CPInternalIP4Subnet); true {
		if p, ok := a.Prefix(); !ok || p.String() != "10.1.0.0/16" {
			t.Errorf("IP4 subnet %v", p)
		}
	}
	if a, _ := cp.Attribute(CPInternalIP4Netmask); true {
		if _, ok := a.Prefix(); ok {
			t.Error("non-contiguous mask")
		}
		if _, ok := a.Addr(); ok {
			t.Error("8-octet Addr")
		}
	}
	if a, _ := cp.Attribute(CPInternalAddressExpiry); true {
		if v, ok := a.Uint32(); !ok || v != 3600 {
			t.Error("Uint32")
		}
	}
	if a, _ := cp.Attribute(CPSupportedAttributes); !reflect.DeepEqual(a.SupportedAttributes(), []CPAttrType{1, 3, 2}) {
		t.Error("SupportedAttributes")
	}
	if _, ok := (&CPAttribute{Value: unhex("00000000000000000000000000000000 81")}).Prefix(); ok {
		t.Error("prefix length 129")
	}
	if _, ok := (&CPAttribute{Value: []byte{1}}).Uint32(); ok {
		t.Error("Uint32 short")
	}
	// Notify
	n := &Notify{SPI: unhex("c1a2b3d4"), Data: unhex("0a000001")}
	if v, ok := n.SPI32(); !ok || v != 0xc1a2b3d4 {
		t.Error("SPI32")
	}
	if a, ok := n.Addr(); !ok || a.String() != "10.0.0.1" {
		t.Error("Notify.Addr")
	}
	if _, ok := (&Notify{}).SPI32(); ok {
		t.Error("SPI32 empty")
	}
	if _, ok := (&Notify{Data: []byte{1}}).Addr(); ok || (&Notify{Data: []byte{1}}).Uint16s() != nil {
		t.Error("short data accessors")
	}
	if a, ok := (&Notify{Data: unhex("20010db8000000000000000000000001")}).Addr(); !ok || a.String() != "2001:db8::1" {
		t.Error("Notify.Addr v6")
	}
	rd, err := AppendRedirectData(nil, GatewayFQDN, []byte("moon"), rep(1, 16))
	if err != nil {
		t.Fatal(err)
	}
	n = &Notify{NotifyType: NotifyRedirect, Data: rd}
	if gt, gw, nn, ok := n.Redirect(); !ok || gt != GatewayFQDN || string(gw) != "moon" || len(nn) != 16 {
		t.Error("Redirect")
	}
	if _, _, _, ok := (&Notify{Data: []byte{1, 5, 1}}).Redirect(); ok {
		t.Error("short redirect")
	}
	if _, _, _, ok := (&Notify{Data: []byte{1}}).Redirect(); ok {
		t.Error("shorter redirect")
	}
	if _, err := AppendRedirectData(nil, GatewayFQDN, make([]byte, 256), nil); err == nil {
		t.Error("long gateway")
	}
	// Delete
	d := DeleteSPIs(ProtoESP, 0xc1a2b3d4, 5)
	if !reflect.DeepEqual(d.SPIs32(), []uint32{0xc1a2b3d4, 5}) || !bytes.Equal(d.SPI(1), u32(5)) || d.SPI(2) != nil || d.SPI(-1) != nil {
		t.Error("Delete SPIs")
	}
	if di := DeleteIKE(); di.Protocol != ProtoIKE || di.SPISize != 0 || di.Count != 0 || di.SPIs32() != nil {
		t.Error("DeleteIKE")
	}
	// CERT / CERTREQ
	c := &Cert{Encoding: CertHashAndURLX509, Data: cat(rep(1, 20), []byte("http://x/c\x00junk"))}
	if h, u, ok := c.HashAndURL(); !ok || len(h) != 20 || u != "http://x/c" {
		t.Errorf("HashAndURL %q", u)
	}
	if _, _, ok := (&Cert{Encoding: CertX509Signature, Data: rep(1, 30)}).HashAndURL(); ok {
		t.Error("HashAndURL of X.509")
	}
	cr := &CertReq{Encoding: CertX509Signature, Data: cat(rep(1, 20), rep(2, 20), rep(3, 5))}
	if a := cr.Authorities(); len(a) != 2 || a[1][0] != 2 || cap(a[0]) != 20 {
		t.Error("Authorities")
	}
	if (&CertReq{}).Authorities() != nil {
		t.Error("empty Authorities")
	}
	// Transform
	tr := Transform{Attributes: []TransformAttribute{{Type: 99, Data: []byte{1}}, {Type: AttrKeyLength, TV: true, Value: 256}}}
	if v, ok := tr.KeyLength(); !ok || v != 256 {
		t.Error("KeyLength")
	}
	if _, ok := (&Transform{}).KeyLength(); ok {
		t.Error("KeyLength absent")
	}
}

func TestEAP(t *testing.T) {
	tests := []struct {
		e        *EAP
		code     EAPCode
		id       uint8
		method   EAPType
		vendor   uint32
		typeData []byte
		summary  string
	}{
		{NewEAP(EAPRequest, 5, EAPIdentity, nil), EAPRequest, 5, EAPIdentity, 0, nil, "/REQ/ID"},
		{NewEAP(EAPResponse, 5, EAPMD5, []byte{16, 1}), EAPResponse, 5, EAPMD5, 0, []byte{16, 1}, "/RES/MD5"},
		{NewEAP(EAPSuccess, 6, EAPMD5, []byte{1}), EAPSuccess, 6, 0, 0, nil, "/SUCC"},
		{NewEAP(EAPFailure, 7, 0, nil), EAPFailure, 7, 0, 0, nil, "/FAIL"},
		{&EAP{Data: eapPkt(1, 1, cat([]byte{254, 0, 0x23, 0x58}, u32(1), []byte{9}))}, EAPRequest, 1, 1, 9048, []byte{9}, "/REQ/1-OSC"},
		{&EAP{Data: eapPkt(1, 1, cat([]byte{254, 0x12, 0x34, 0x56}, u32(0xffffffff)))}, EAPRequest, 1, 0xffffffff, 0x123456, []byte{}, "/REQ/-1-(1193046)"},
		{&EAP{Data: eapPkt(2, 1, cat([]byte{254, 0, 0, 0}, u32(256)))}, EAPResponse, 1, EAPRADIUS, 0, []byte{}, "/RES/RAD"},
		{&EAP{Data: eapPkt(2, 1, []byte{254, 0, 0})}, EAPResponse, 1, 0, 0, nil, "/RES"},
		{&EAP{Data: eapPkt(9, 1, []byte{200, 1})}, 9, 1, 200, 0, []byte{1}, "/(9)/(200)"},
		{&EAP{Data: eapPkt(1, 1, []byte{38})}, EAPRequest, 1, EAPTNC, 0, nil, "/REQ/TNC"},
		{&EAP{}, 0, 0, 0, 0, nil, "/(0)"},
		{&EAP{Data: []byte{1}}, EAPRequest, 0, 0, 0, nil, "/REQ"},
	}
	for i, tt := range tests {
		if tt.e.Code() != tt.code || tt.e.Identifier() != tt.id {
			t.Errorf("%d: code/id %v %v", i, tt.e.Code(), tt.e.Identifier())
		}
		m, v := tt.e.Method()
		if m != tt.method || v != tt.vendor {
			t.Errorf("%d: method %d vendor %d", i, m, v)
		}
		if !bytes.Equal(tt.e.TypeData(), tt.typeData) {
			t.Errorf("%d: type data %x", i, tt.e.TypeData())
		}
		if s := string(tt.e.summary(nil)); s != tt.summary {
			t.Errorf("%d: summary %q want %q", i, s, tt.summary)
		}
	}
	if e := NewEAP(EAPResponse, 1, EAPIdentity, []byte("carol")); verifyEAP(e) != nil || len(e.Data) != 10 {
		t.Error("NewEAP framing")
	}
	for _, c := range []EAPCode{1, 2, 3, 4} {
		if c.String() == "" || c.ShortName() == "" {
			t.Error("EAP code names")
		}
	}
	if EAPCode(7).String() != "(7)" {
		t.Error("unknown EAP code name")
	}
}

func TestDigitalSignatureHelpers(t *testing.T) {
	a := &Auth{}
	if err := a.Parse(authDS.body); err != nil {
		t.Fatal(err)
	}
	alg, sig, err := SplitDigitalSignature(a.Data)
	if err != nil || !bytes.Equal(alg, algRSASHA256) || !bytes.Equal(sig, rep(0x77, 64)) {
		t.Fatalf("split: %v", err)
	}
	oid, params, err := ParseAlgorithmIdentifier(alg)
	if err != nil || OIDString(oid) != "1.2.840.113549.1.1.11" || !bytes.Equal(params, []byte{5, 0}) {
		t.Fatalf("algorithm identifier: %v %s %x", err, OIDString(oid), params)
	}
	out, err := AppendDigitalSignature(nil, alg, sig)
	if err != nil || !bytes.Equal(out, a.Data) {
		t.Fatal("AppendDigitalSignature")
	}
	// RFC 7427 A.3.1 ecdsa-with-sha256 (no parameters) and A.4.1 Ed25519
	for der, want := range map[string]string{
		"300a06082a8648ce3d040302": "1.2.840.10045.4.3.2",
		"300506032b6570":           "1.3.101.112",
	} {
		oid, params, err := ParseAlgorithmIdentifier(unhex(der))
		if err != nil || params != nil || OIDString(oid) != want {
			t.Errorf("%s: %v %s", der, err, OIDString(oid))
		}
	}
	// long-form length (RSASSA-PSS parameters are longer than 127 octets)
	long := cat([]byte{0x30, 0x81, 0x86, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x30, 0x7f}, rep(1, 0x7f))
	if oid, params, err := ParseAlgorithmIdentifier(long); err != nil || OIDString(oid) != "1.3.101.112" || len(params) != 0x81 {
		t.Errorf("long form: %v", err)
	}
	for _, bad := range []string{"", "30", "3000", "300206", "30020600", "310506032b6570",
		"300506032b657000", "3007060300000005", "30050403000000", "3081", "3084000000000000",
		"3080", "300406032b65"} {
		if _, _, err := ParseAlgorithmIdentifier(unhex(bad)); err == nil {
			t.Errorf("ParseAlgorithmIdentifier(%s) accepted", bad)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {5, 1, 2}} {
		if _, _, err := SplitDigitalSignature(bad); err == nil {
			t.Errorf("SplitDigitalSignature(%x) accepted", bad)
		}
	}
	if _, err := AppendDigitalSignature(nil, nil, sig); err == nil {
		t.Error("empty algorithm identifier accepted")
	}
	if _, err := AppendDigitalSignature(nil, make([]byte, 256), sig); err == nil {
		t.Error("long algorithm identifier accepted")
	}
	for in, want := range map[string]string{"": "", "2a": "1.2", "81": "", "8f8f8f8f8f8f8f8f8f8f": "", "7f01": "2.47.1", "0001": "0.0.1"} {
		if got := OIDString(unhex(in)); got != want {
			t.Errorf("OIDString(%s) = %q, want %q", in, got, want)
		}
	}
}
