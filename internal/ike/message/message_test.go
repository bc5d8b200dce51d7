package message

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// sample is a hand-built message; inner is the plaintext chain of its SK
// payload (if any) and want the charon summary after decryption.
type sample struct {
	name     string
	b        []byte
	outer    string // summary as parsed (SK shown as E)
	inner    []byte
	first    PayloadType
	want     string // summary after SetDecrypted
	checkErr bool   // Check(m, true) is expected to fail
}

func hashAlgData() []byte { return cat(u16(2), u16(3), u16(4), u16(5)) }

func samples() []sample {
	reqI := hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagInitiator}
	respR := hdr{spii: spiI, spir: spiR, exch: ExchangeIKESAInit, flags: FlagResponse}
	authI := hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagInitiator, mid: 1}
	authR := hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagResponse, mid: 1}

	authReqInner := chain(idiRFC822, certPl, notify(0, nil, NotifyInitialContact, nil),
		certreqPl, authDS, saESP, tsiHost, tsrAll,
		notify(0, nil, NotifyMOBIKESupported, nil),
		notify(0, nil, NotifyAdditionalIP4Address, unhex("c0a80001")),
		notify(0, nil, NotifyMultipleAuthSupported, nil),
		notify(0, nil, NotifyEAPOnlyAuthentication, nil),
		notify(0, nil, NotifyIKEv2MessageIDSyncSupported, nil))
	authRespInner := chain(idrFQDN, certPl, authDS,
		pl(PayloadCP, []byte{byte(CfgReply), 0, 0, 0},
			cpAttr(CPInternalIP4Address, unhex("0a030001")),
			cpAttr(CPInternalIP4DNS, unhex("08080808"))),
		saESP, tsiHost, tsrAll,
		notify(0, nil, NotifyAuthLifetime, u32(3600)),
		notify(0, nil, NotifyMOBIKESupported, nil),
		notify(0, nil, NotifyAdditionalIP6Address, unhex("20010db8000000000000000000000001")))
	eapReqInner := chain(idiRFC822, notify(0, nil, NotifyInitialContact, nil), idrFQDN,
		pl(PayloadCP, []byte{byte(CfgRequest), 0, 0, 0},
			cpAttr(CPInternalIP4Address, nil), cpAttr(CPInternalIP4DNS, nil),
			cpAttr(CPInternalIP6Address, nil), cpAttr(CPInternalIP6DNS, nil)),
		saESP, tsiHost, tsrAll,
		notify(0, nil, NotifyMOBIKESupported, nil),
		notify(0, nil, NotifyNoAdditionalAddresses, nil),
		notify(0, nil, NotifyMultipleAuthSupported, nil),
		notify(0, nil, NotifyEAPOnlyAuthentication, nil),
		notify(0, nil, NotifyIKEv2MessageIDSyncSupported, nil))
	eapIDReq := chain(idrFQDN, certPl, authDS, pl(PayloadEAP, eapPkt(1, 0x2a, []byte{1})))
	eapIDResp := chain(pl(PayloadEAP, eapPkt(2, 0x2a, cat([]byte{1}, []byte("carol")))))
	eapMSCHAP := chain(pl(PayloadEAP, eapPkt(1, 0x2b, cat([]byte{26, 1, 0x2b, 0, 26, 16}, rep(1, 16), []byte("moon")))))
	eapExpanded := chain(pl(PayloadEAP, eapPkt(2, 0x2c, cat([]byte{254, 0, 0x01, 0x37}, u32(33), rep(7, 8)))))
	eapExpandedIETF := chain(pl(PayloadEAP, eapPkt(1, 0x2d, cat([]byte{254, 0, 0, 0}, u32(4), rep(7, 3)))))
	eapSuccess := chain(pl(PayloadEAP, eapPkt(3, 0x2e, nil)))
	rekeyInner := chain(notify(ProtoESP, unhex("c1a2b3d4"), NotifyRekeySA, nil),
		saESP, noncePl, keX25519, tsiHost, tsrAll)
	rekeyRespInner := chain(saESP, noncePl, keX25519, tsiHost, tsrAll,
		notify(0, nil, NotifyAdditionalTSPossible, nil))
	deleteInner := chain(pl(PayloadDelete, []byte{byte(ProtoESP), 4}, u16(2), unhex("c1a2b3d4 c5c6c7c8")))
	deleteIKE := chain(pl(PayloadDelete, []byte{byte(ProtoIKE), 0}, u16(0)))
	mobikeInner := chain(notify(0, nil, NotifyUpdateSAAddresses, nil),
		notify(0, nil, NotifyNATDetectionSourceIP, natd1),
		notify(0, nil, NotifyNATDetectionDestinationIP, natd2),
		notify(0, nil, NotifyCookie2, rep(3, 16)))
	intermediate := chain(pl(PayloadKE, u16(36), []byte{0, 0}, rep(0x55, 64)))
	skBody := func(n int) []byte { return rep(0xee, n) } // IV, ciphertext, ICV: opaque

	return []sample{
		{
			name: "IKE_SA_INIT request",
			b: msg(reqI, saIKE, keX25519, noncePl,
				notify(0, nil, NotifyNATDetectionSourceIP, natd1),
				notify(0, nil, NotifyNATDetectionDestinationIP, natd2),
				notify(0, nil, NotifyFragmentationSupported, nil),
				notify(0, nil, NotifySignatureHashAlgorithms, hashAlgData()),
				notify(0, nil, NotifyRedirectSupported, nil)),
			outer: "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
		},
		{
			name: "IKE_SA_INIT response",
			b: msg(respR, pl(PayloadSA, proposal(true, 1, ProtoIKE, nil,
				transform(false, TransformENCR, 12, attrTV(14, 256)),
				transform(false, TransformPRF, 5),
				transform(false, TransformINTEG, 12),
				transform(true, TransformKE, 31))),
				keX25519, noncePl,
				notify(0, nil, NotifyNATDetectionSourceIP, natd1),
				notify(0, nil, NotifyNATDetectionDestinationIP, natd2),
				certreqPl,
				notify(0, nil, NotifyFragmentationSupported, nil),
				notify(0, nil, NotifySignatureHashAlgorithms, hashAlgData()),
				notify(0, nil, NotifyChildlessIKEv2Supported, nil),
				notify(0, nil, NotifyMultipleAuthSupported, nil)),
			outer: "IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) N(MULT_AUTH) ]",
		},
		{
			name:  "IKE_SA_INIT response COOKIE",
			b:     msg(hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagResponse}, notify(0, nil, NotifyCookie, rep(0xc0, 32))),
			outer: "IKE_SA_INIT response 0 [ N(COOKIE) ]",
		},
		{
			name:  "IKE_SA_INIT response INVALID_KE_PAYLOAD",
			b:     msg(hdr{spii: spiI, exch: ExchangeIKESAInit, flags: FlagResponse}, notify(0, nil, NotifyInvalidKEPayload, u16(19))),
			outer: "IKE_SA_INIT response 0 [ N(INVAL_KE) ]",
		},
		{
			name: "IKE_SA_INIT request with COOKIE and vendor ID",
			b: msg(reqI, notify(0, nil, NotifyCookie, rep(0xc0, 32)), saIKE, keX25519, noncePl,
				pl(PayloadVendorID, unhex("882fe56d6fd20dbc2251613b2ebe5beb"))),
			outer: "IKE_SA_INIT request 0 [ N(COOKIE) SA KE No V ]",
		},
		{
			name:  "IKE_AUTH request",
			b:     msg(authI, sk(PayloadIDi, skBody(16+len(authReqInner)+16))),
			outer: "IKE_AUTH request 1 [ E ]",
			inner: authReqInner, first: PayloadIDi,
			want: "IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ AUTH SA TSi TSr N(MOBIKE_SUP) N(ADD_4_ADDR) N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		},
		{
			name:  "IKE_AUTH response",
			b:     msg(authR, sk(PayloadIDr, skBody(100))),
			outer: "IKE_AUTH response 1 [ E ]",
			inner: authRespInner, first: PayloadIDr,
			want: "IKE_AUTH response 1 [ IDr CERT AUTH CPRP(ADDR DNS) SA TSi TSr N(AUTH_LFT) N(MOBIKE_SUP) N(ADD_6_ADDR) ]",
		},
		{
			name:  "IKE_AUTH request EAP",
			b:     msg(authI, sk(PayloadIDi, skBody(80))),
			outer: "IKE_AUTH request 1 [ E ]",
			inner: eapReqInner, first: PayloadIDi,
			want: "IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr CPRQ(ADDR DNS ADDR6 DNS6) SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		},
		{
			name:  "IKE_AUTH response EAP-Identity",
			b:     msg(authR, sk(PayloadIDr, skBody(80))),
			outer: "IKE_AUTH response 1 [ E ]",
			inner: eapIDReq, first: PayloadIDr,
			want: "IKE_AUTH response 1 [ IDr CERT AUTH EAP/REQ/ID ]",
		},
		{
			name:  "IKE_AUTH request EAP-Identity response",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagInitiator, mid: 2}, sk(PayloadEAP, skBody(48))),
			outer: "IKE_AUTH request 2 [ E ]",
			inner: eapIDResp, first: PayloadEAP,
			want: "IKE_AUTH request 2 [ EAP/RES/ID ]",
		},
		{
			name:  "IKE_AUTH response EAP-MSCHAPv2",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagResponse, mid: 2}, sk(PayloadEAP, skBody(48))),
			outer: "IKE_AUTH response 2 [ E ]",
			inner: eapMSCHAP, first: PayloadEAP,
			want: "IKE_AUTH response 2 [ EAP/REQ/MSCHAPV2 ]",
		},
		{
			name:  "IKE_AUTH request EAP expanded vendor",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagInitiator, mid: 3}, sk(PayloadEAP, skBody(48))),
			outer: "IKE_AUTH request 3 [ E ]",
			inner: eapExpanded, first: PayloadEAP,
			want: "IKE_AUTH request 3 [ EAP/RES/33-MS ]",
		},
		{
			name:  "IKE_AUTH response EAP expanded IETF",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagResponse, mid: 3}, sk(PayloadEAP, skBody(48))),
			outer: "IKE_AUTH response 3 [ E ]",
			inner: eapExpandedIETF, first: PayloadEAP,
			want: "IKE_AUTH response 3 [ EAP/REQ/MD5 ]",
		},
		{
			name:  "IKE_AUTH response EAP-Success",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagResponse, mid: 4}, sk(PayloadEAP, skBody(32))),
			outer: "IKE_AUTH response 4 [ E ]",
			inner: eapSuccess, first: PayloadEAP,
			want: "IKE_AUTH response 4 [ EAP/SUCC ]",
		},
		{
			name:  "IKE_AUTH request PSK",
			b:     msg(authI, sk(PayloadIDi, skBody(64))),
			outer: "IKE_AUTH request 1 [ E ]",
			inner: chain(idiRFC822, notify(0, nil, NotifyInitialContact, nil), idrFQDN, authPSK,
				saESP, tsiHost, tsrAll, notify(0, nil, NotifyUseTransportMode, nil)),
			first: PayloadIDi,
			want:  "IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(USE_TRANSP) ]",
		},
		{
			name:  "IKE_AUTH response AUTHENTICATION_FAILED",
			b:     msg(authR, sk(PayloadNotify, skBody(40))),
			outer: "IKE_AUTH response 1 [ E ]",
			inner: chain(notify(0, nil, NotifyAuthenticationFailed, nil)), first: PayloadNotify,
			want: "IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		},
		{
			name:  "IKE_AUTH request fragment 1/3",
			b:     msg(authI, skf(PayloadIDi, 1, 3, skBody(200))),
			outer: "IKE_AUTH request 1 [ EF(1/3) ]",
		},
		{
			name:  "IKE_AUTH request fragment 3/3",
			b:     msg(authI, skf(PayloadNone, 3, 3, skBody(50))),
			outer: "IKE_AUTH request 1 [ EF(3/3) ]",
		},
		{
			name:  "CREATE_CHILD_SA request rekey",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeCreateChildSA, flags: FlagInitiator, mid: 2}, sk(PayloadNotify, skBody(200))),
			outer: "CREATE_CHILD_SA request 2 [ E ]",
			inner: rekeyInner, first: PayloadNotify,
			want: "CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]",
		},
		{
			name:  "CREATE_CHILD_SA response",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeCreateChildSA, flags: FlagResponse, mid: 2}, sk(PayloadSA, skBody(200))),
			outer: "CREATE_CHILD_SA response 2 [ E ]",
			inner: rekeyRespInner, first: PayloadSA,
			want: "CREATE_CHILD_SA response 2 [ SA No KE TSi TSr N(ADD_TS_POSS) ]",
		},
		{
			name:  "INFORMATIONAL request delete CHILD_SA",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, mid: 3}, sk(PayloadDelete, skBody(40))),
			outer: "INFORMATIONAL request 3 [ E ]",
			inner: deleteInner, first: PayloadDelete,
			want: "INFORMATIONAL request 3 [ D ]",
		},
		{
			name:  "INFORMATIONAL request delete IKE_SA",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagInitiator, mid: 4}, sk(PayloadDelete, skBody(40))),
			outer: "INFORMATIONAL request 4 [ E ]",
			inner: deleteIKE, first: PayloadDelete,
			want: "INFORMATIONAL request 4 [ D ]",
		},
		{
			name:  "INFORMATIONAL response empty",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagResponse, mid: 4}, sk(PayloadNone, skBody(32))),
			outer: "INFORMATIONAL response 4 [ E ]",
			inner: nil, first: PayloadNone,
			want: "INFORMATIONAL response 4 [ ]",
		},
		{
			name:  "INFORMATIONAL request MOBIKE",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagInitiator, mid: 5}, sk(PayloadNotify, skBody(120))),
			outer: "INFORMATIONAL request 5 [ E ]",
			inner: mobikeInner, first: PayloadNotify,
			want: "INFORMATIONAL request 5 [ N(UPD_SA_ADDR) N(NATD_S_IP) N(NATD_D_IP) N(COOKIE2) ]",
		},
		{
			name:  "IKE_INTERMEDIATE request",
			b:     msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEIntermediate, flags: FlagInitiator, mid: 1}, sk(PayloadKE, skBody(120))),
			outer: "IKE_INTERMEDIATE request 1 [ E ]",
			inner: intermediate, first: PayloadKE,
			want: "IKE_INTERMEDIATE request 1 [ KE ]",
		},
		{
			name: "IKE_SA_INIT request unknown payloads",
			b: msg(reqI, saIKE, keX25519, noncePl,
				pl(PayloadGSPM, rep(1, 5)),
				notify(0, nil, NotifyCloneIKESASupported, nil),
				notify(0, nil, NotifyMSNotifyStatus, unhex("ffffffff")),
				notify(0, nil, NotifyIntermediateExchangeSupported, nil),
				pl(200, nil)),
			outer: "IKE_SA_INIT request 0 [ SA KE No UNKN(49) N((16432)) N(MS_STATUS(-1)) N(IKE_INT_SUP) UNKN(200) ]",
		},
	}
}

func TestRoundTripMessages(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			m, err := Parse(s.b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			out, err := m.AppendMarshal(nil)
			if err != nil {
				t.Fatalf("AppendMarshal: %v", err)
			}
			if !bytes.Equal(out, s.b) {
				t.Fatalf("round trip differs\n got %x\nwant %x", out, s.b)
			}
			// appending to a non-empty buffer
			pre := []byte("prefix")
			out2, err := m.AppendMarshal(pre)
			if err != nil || !bytes.Equal(out2[:6], []byte("prefix")) || !bytes.Equal(out2[6:], s.b) {
				t.Fatalf("AppendMarshal into a buffer: %v", err)
			}
			if got := m.String(); got != s.outer {
				t.Errorf("summary\n got %q\nwant %q", got, s.outer)
			}
			if err := Check(m, false); err != nil && s.outer != "" && !s.checkErr {
				t.Errorf("Check(received): %v", err)
			}
			m2, err := Parse(out)
			if err != nil || !reflect.DeepEqual(m, m2) {
				t.Fatalf("reparse differs: %v", err)
			}
		})
	}
}

func TestDecryptedMessages(t *testing.T) {
	for _, s := range samples() {
		if s.want == "" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			m, err := Parse(s.b)
			if err != nil {
				t.Fatal(err)
			}
			if m.Encrypted() == nil || m.Encrypted().NextPayload != s.first {
				t.Fatalf("SK payload: %+v", m.Encrypted())
			}
			inner, err := ParsePayloads(m.Encrypted().NextPayload, s.inner)
			if err != nil {
				t.Fatalf("ParsePayloads: %v", err)
			}
			plain, err := AppendPayloads(nil, inner)
			if err != nil || !bytes.Equal(plain, s.inner) {
				t.Fatalf("AppendPayloads differs (%v)\n got %x\nwant %x", err, plain, s.inner)
			}
			if err := Check(m, true); !isRule(err, RuleNotDecrypted) {
				t.Errorf("Check(decrypted) before SetDecrypted: %v", err)
			}
			if err := m.SetDecrypted(inner); err != nil {
				t.Fatal(err)
			}
			if got := m.String(); got != s.want {
				t.Errorf("summary\n got %q\nwant %q", got, s.want)
			}
			if err := Check(m, true); (err != nil) != s.checkErr {
				t.Errorf("Check(decrypted): %v", err)
			}
			if len(m.Unprotected()) != 0 || len(m.Protected()) != len(inner) || !m.Decrypted() {
				t.Errorf("protected split wrong")
			}
		})
	}
}

func isRule(err error, v RuleViolation) bool {
	var re *RuleError
	return errors.As(err, &re) && re.Violation == v
}

// TestAssociatedData checks that the associated data plus the encrypted
// body is exactly the message, for SK and SKF.
func TestAssociatedData(t *testing.T) {
	for _, s := range samples() {
		m, err := Parse(s.b)
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		var hdrLen int
		switch {
		case m.Encrypted() != nil:
			body, hdrLen = m.Encrypted().Body, 4
		case m.Fragment() != nil:
			body, hdrLen = m.Fragment().Body, 8
		default:
			if _, err := m.AppendAssociatedData(nil, 10); err == nil {
				t.Errorf("%s: associated data without SK", s.name)
			}
			continue
		}
		ad, err := m.AppendAssociatedData([]byte{1, 2, 3}, len(body))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		ad = ad[3:]
		if len(ad) != len(s.b)-len(body) || !bytes.Equal(append(ad, body...), s.b) {
			t.Errorf("%s: associated data %x", s.name, ad)
		}
		if !bytes.Equal(ad[len(ad)-hdrLen:], s.b[len(ad)-hdrLen:len(ad)]) {
			t.Errorf("%s: SK header", s.name)
		}
	}
}

// TestAssociatedDataUnprotected covers an SKF fragment 1 carrying an
// unprotected payload before the SKF payload (RFC 7383 section 2.5).
func TestAssociatedDataUnprotected(t *testing.T) {
	b := msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagInitiator, mid: 1},
		pl(PayloadVendorID, []byte("vendor")), skf(PayloadIDi, 1, 2, rep(9, 40)))
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	ad, err := m.AppendAssociatedData(nil, 40)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(ad, rep(9, 40)...), b) {
		t.Fatalf("got %x\nwant %x", ad, b)
	}
	// encLen out of range
	if _, err := m.AppendAssociatedData(nil, 70000); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge encLen: %v", err)
	}
	if err := Check(m, false); !isRule(err, RuleNotEncrypted) {
		t.Errorf("unprotected VID in IKE_AUTH: %v", err)
	}
}

// TestBuildAndEmit builds an IKE_AUTH request the way the task layer will:
// typed payloads sorted like charon, plaintext marshalled, associated data
// computed for the ciphertext length, then the datagram emitted.
func TestBuildAndEmit(t *testing.T) {
	inner := []Payload{
		&SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoESP, SPI: unhex("c1a2b3d4"),
			Transforms: []Transform{
				{Type: TransformENCR, ID: 20, Attributes: []TransformAttribute{{Type: AttrKeyLength, TV: true, Value: 128}}},
				{Type: TransformESN, ID: 0}}}}},
		&Notify{NotifyType: NotifyMOBIKESupported},
		&ID{IDType: IDRFC822Addr, Data: []byte("carol@strongswan.org")},
		&TS{Selectors: []TrafficSelector{{Type: TSIPv4AddrRange, EndPort: 65535,
			StartAddr: netip.MustParseAddr("10.3.0.1"), EndAddr: netip.MustParseAddr("10.3.0.1")}}},
		&TS{Responder: true, Selectors: []TrafficSelector{
			{Type: TSIPv4AddrRange, EndPort: 65535, StartAddr: netip.MustParseAddr("0.0.0.0"), EndAddr: netip.MustParseAddr("255.255.255.255")},
			{Type: TSIPv6AddrRange, IPProtocol: 17, StartPort: 500, EndPort: 500,
				StartAddr: netip.MustParseAddr("2001:db8::"), EndAddr: netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}}},
		&Auth{Method: AuthDS, Data: cat([]byte{byte(len(algRSASHA256))}, algRSASHA256, rep(0x77, 64))},
		&Notify{NotifyType: NotifyInitialContact},
		&Cert{Encoding: CertX509Signature, Data: unhex("3082010a0282010100")},
		&CertReq{Encoding: CertX509Signature, Data: rep(0x5a, 20)},
		&Notify{NotifyType: NotifyEAPOnlyAuthentication},
	}
	r := RuleFor(ExchangeIKEAuth, true)
	inner = r.Sort(inner)
	m := &Message{Header: Header{SPIi: spiI, SPIr: spiR, MajorVersion: 2,
		Exchange: ExchangeIKEAuth, Flags: FlagInitiator, MessageID: 1}}
	m.Payloads = inner
	if got, want := m.String(), "IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ AUTH SA TSi TSr N(MOBIKE_SUP) N(EAP_ONLY) ]"; got != want {
		t.Fatalf("sorted summary\n got %q\nwant %q", got, want)
	}
	plain, err := AppendPayloads(nil, inner)
	if err != nil {
		t.Fatal(err)
	}
	wantPlain := chain(idiRFC822, certPl, notify(0, nil, NotifyInitialContact, nil), certreqPl, authDS,
		saESP, tsiHost, tsrAll, notify(0, nil, NotifyMOBIKESupported, nil), notify(0, nil, NotifyEAPOnlyAuthentication, nil))
	if !bytes.Equal(plain, wantPlain) {
		t.Fatalf("plaintext\n got %x\nwant %x", plain, wantPlain)
	}
	// "encrypt": IV 16 + plaintext + padding 1 + ICV 16
	ct := rep(0xcc, 16+len(plain)+1+16)
	out := &Message{Header: m.Header, Payloads: []Payload{&Encrypted{NextPayload: inner[0].Type()}}}
	pkt, err := out.AppendAssociatedData(make([]byte, 0, 1500), len(ct))
	if err != nil {
		t.Fatal(err)
	}
	pkt = append(pkt, ct...)
	want := msg(hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagInitiator, mid: 1}, sk(PayloadIDi, ct))
	if !bytes.Equal(pkt, want) {
		t.Fatalf("packet\n got %x\nwant %x", pkt, want)
	}
	out.Encrypted().Body = ct
	pkt2, err := out.AppendMarshal(nil)
	if err != nil || !bytes.Equal(pkt2, want) {
		t.Fatalf("AppendMarshal after encryption: %v", err)
	}
}

func TestSortOrder(t *testing.T) {
	n := func(nt NotifyType) *Notify { return &Notify{NotifyType: nt} }
	ps := []Payload{
		&VendorID{Data: []byte("a")},
		n(NotifyFragmentationSupported),
		&Nonce{Data: nonce},
		n(NotifyNATDetectionDestinationIP),
		&KE{Group: 31},
		n(NotifyNATDetectionSourceIP),
		&SA{},
		n(NotifyCookie),
		&Unknown{PayloadType: 200},
		&Unknown{PayloadType: 201},
	}
	got := RuleFor(ExchangeIKESAInit, true).Sort(ps)
	m := &Message{Header: Header{Exchange: ExchangeIKESAInit}, Payloads: got}
	want := "IKE_SA_INIT request 0 [ N(COOKIE) SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) V UNKN(201) UNKN(200) ]"
	if s := m.String(); s != want {
		t.Errorf("got  %q\nwant %q", s, want)
	}
	if ps[0].Type() != PayloadVendorID {
		t.Error("input modified")
	}
}

func TestParseHeader(t *testing.T) {
	b := msg(hdr{spii: spiI, spir: spiR, exch: ExchangeInformational, flags: FlagInitiator | FlagResponse | FlagVersion, mid: 0xfffffffe})
	h, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Header{SPIi: spiI, SPIr: spiR, MajorVersion: 2, Exchange: ExchangeInformational,
		Flags: FlagInitiator | FlagResponse | FlagVersion, MessageID: 0xfffffffe, Length: 28}
	if h != want {
		t.Fatalf("got %+v", h)
	}
	if !h.IsInitiator() || !h.IsResponse() || h.IsRequest() || !h.HigherVersion() {
		t.Error("flag accessors")
	}
	m, err := Parse(b)
	if err != nil || len(m.Payloads) != 0 || m.String() != "INFORMATIONAL response 4294967294 [ ]" {
		t.Fatalf("empty message: %v %v", err, m)
	}
}

func TestMessageAccessors(t *testing.T) {
	m, err := Parse(samples()[0].b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Payload(PayloadKE).(*KE).Group != 31 || m.Payload(PayloadCP) != nil {
		t.Error("Payload")
	}
	if n := m.Notify(NotifySignatureHashAlgorithms); n == nil || !reflect.DeepEqual(n.Uint16s(), []uint16{2, 3, 4, 5}) {
		t.Error("Notify")
	}
	if m.Notify(NotifyCookie) != nil || m.Encrypted() != nil || m.Fragment() != nil {
		t.Error("absent payloads")
	}
	if err := m.SetDecrypted(nil); err == nil {
		t.Error("SetDecrypted without SK")
	}
	if err := (&Message{}).SetDecrypted(nil); err == nil {
		t.Error("SetDecrypted on empty message")
	}
}

// TestReassembledFragments follows the API path for fragments: fragment 1
// carries the first inner payload type; the caller reassembles, decrypts
// and puts the inner payloads in place of the SKF payload of fragment 1.
func TestReassembledFragments(t *testing.T) {
	h := hdr{spii: spiI, spir: spiR, exch: ExchangeIKEAuth, flags: FlagResponse, mid: 1}
	f1, err := Parse(msg(h, skf(PayloadIDr, 1, 2, rep(1, 100))))
	if err != nil {
		t.Fatal(err)
	}
	f2, err := Parse(msg(h, skf(PayloadNone, 2, 2, rep(2, 60))))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*Message{f1, f2} {
		if err := Check(f, false); err != nil {
			t.Fatalf("fragment check: %v", err)
		}
	}
	inner, err := ParsePayloads(f1.Fragment().NextPayload, chain(idrFQDN, authPSK, saESP, tsiHost, tsrAll))
	if err != nil {
		t.Fatal(err)
	}
	if err := f1.SetDecrypted(inner); err != nil {
		t.Fatal(err)
	}
	if got, want := f1.String(), "IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if err := Check(f1, true); err != nil {
		t.Errorf("Check: %v", err)
	}
}
