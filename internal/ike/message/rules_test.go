package message

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func n(t NotifyType, data ...byte) *Notify { return &Notify{NotifyType: t, Data: data} }

func plainMsg(x ExchangeType, request bool, ps ...Payload) *Message {
	f := FlagInitiator
	if !request {
		f = FlagResponse
	}
	return &Message{Header: Header{SPIi: spiI, SPIr: spiR, MajorVersion: 2, Exchange: x, Flags: f}, Payloads: ps}
}

// decMsg is a message of a protected exchange after decryption.
func decMsg(x ExchangeType, request bool, inner ...Payload) *Message {
	m := plainMsg(x, request, &Encrypted{})
	if err := m.SetDecrypted(inner); err != nil {
		panic(err)
	}
	return m
}

func times(k int, f func() Payload) []Payload {
	out := make([]Payload, k)
	for i := range out {
		out[i] = f()
	}
	return out
}

func TestCheckRules(t *testing.T) {
	sa := func() Payload { return &SA{} }
	ke := func() Payload { return &KE{Group: 31} }
	no := func() Payload { return &Nonce{Data: nonce} }
	natd := func() Payload { return n(NotifyNATDetectionSourceIP, natd1...) }
	initOK := []Payload{sa(), ke(), no(), natd()}
	with := func(base []Payload, more ...Payload) []Payload {
		return append(append([]Payload(nil), base...), more...)
	}
	cases := []struct {
		name   string
		m      *Message
		dec    bool
		viol   RuleViolation
		typ    PayloadType
		notify NotifyType
	}{
		{"IKE_SA_INIT request ok", plainMsg(ExchangeIKESAInit, true, initOK...), false, 0, 0, 0},
		{"IKE_SA_INIT request ok (decrypted flag)", plainMsg(ExchangeIKESAInit, true, initOK...), true, 0, 0, 0},
		{"IKE_SA_INIT request without SA", plainMsg(ExchangeIKESAInit, true, ke(), no()), false, RuleTooFew, PayloadSA, NotifyInvalidSyntax},
		{"IKE_SA_INIT request without KE", plainMsg(ExchangeIKESAInit, true, sa(), no()), false, RuleTooFew, PayloadKE, NotifyInvalidSyntax},
		{"IKE_SA_INIT request without nonce", plainMsg(ExchangeIKESAInit, true, sa(), ke()), false, RuleTooFew, PayloadNonce, NotifyInvalidSyntax},
		{"IKE_SA_INIT request two SA", plainMsg(ExchangeIKESAInit, true, with(initOK, sa())...), false, RuleTooMany, PayloadSA, NotifyInvalidSyntax},
		{"IKE_SA_INIT request 21 notifies", plainMsg(ExchangeIKESAInit, true, with(initOK, times(20, natd)...)...), false, RuleTooMany, PayloadNotify, NotifyInvalidSyntax},
		{"IKE_SA_INIT request 20 notifies", plainMsg(ExchangeIKESAInit, true, with(initOK, times(19, natd)...)...), false, 0, 0, 0},
		{"IKE_SA_INIT request only notify", plainMsg(ExchangeIKESAInit, true, n(NotifyCookie, 1)), false, RuleTooFew, PayloadSA, NotifyInvalidSyntax},
		{"IKE_SA_INIT response only notify", plainMsg(ExchangeIKESAInit, false, n(NotifyNoProposalChosen)), false, 0, 0, 0},
		{"IKE_SA_INIT response notify, still max", plainMsg(ExchangeIKESAInit, false, n(NotifyCookie, 1), sa(), sa()), false, RuleTooMany, PayloadSA, NotifyInvalidSyntax},
		{"IKE_SA_INIT response empty", plainMsg(ExchangeIKESAInit, false), false, RuleTooFew, PayloadSA, NotifyInvalidSyntax},
		{"IKE_SA_INIT response 21 CERTREQ", plainMsg(ExchangeIKESAInit, false, with(initOK, times(21, func() Payload { return &CertReq{Encoding: 4} })...)...), false, RuleTooMany, PayloadCertReq, NotifyInvalidSyntax},
		{"IKE_SA_INIT request CERTREQ has no rule", plainMsg(ExchangeIKESAInit, true, with(initOK, &CertReq{Encoding: 4})...), false, RuleNotEncrypted, PayloadCertReq, 0},
		{"IKE_SA_INIT request with IDi", plainMsg(ExchangeIKESAInit, true, with(initOK, &ID{})...), false, RuleNotEncrypted, PayloadIDi, 0},
		{"IKE_SA_INIT request with SK", plainMsg(ExchangeIKESAInit, true, with(initOK, &Encrypted{})...), false, RuleUnexpectedEncrypted, PayloadSK, 0},
		{"IKE_SA_INIT request with SKF", plainMsg(ExchangeIKESAInit, true, with(initOK, &EncryptedFragment{Number: 1, Total: 1})...), false, RuleUnexpectedEncrypted, PayloadSKF, 0},
		{"IKE_AUTH plain IDi", plainMsg(ExchangeIKEAuth, true, &ID{}), false, RuleMissingEncrypted, 0, 0},
		{"IKE_AUTH empty, no SK", plainMsg(ExchangeIKEAuth, true), false, RuleMissingEncrypted, 0, 0},
		{"IKE_AUTH VID outside SK", plainMsg(ExchangeIKEAuth, true, &VendorID{}, &Encrypted{}), false, RuleNotEncrypted, PayloadVendorID, 0},
		{"IKE_AUTH unknown outside SK ok", plainMsg(ExchangeIKEAuth, true, &Unknown{PayloadType: 99}, &Encrypted{}), false, 0, 0, 0},
		{"IKE_AUTH SK received", plainMsg(ExchangeIKEAuth, true, &Encrypted{}), false, 0, 0, 0},
		{"IKE_AUTH SK not decrypted", plainMsg(ExchangeIKEAuth, true, &Encrypted{}), true, RuleNotDecrypted, PayloadSK, 0},
		{"IKE_AUTH decrypted ok", decMsg(ExchangeIKEAuth, true, &ID{}, &Auth{}, &SA{}, &TS{}, &TS{Responder: true}), true, 0, 0, 0},
		{"IKE_AUTH decrypted empty", decMsg(ExchangeIKEAuth, true), true, 0, 0, 0},
		{"IKE_AUTH two AUTH", decMsg(ExchangeIKEAuth, true, &ID{}, &Auth{}, &Auth{}), true, RuleTooMany, PayloadAuth, NotifyInvalidSyntax},
		{"IKE_AUTH two IDi", decMsg(ExchangeIKEAuth, true, &ID{}, &ID{}), true, RuleTooMany, PayloadIDi, NotifyInvalidSyntax},
		{"IKE_AUTH 9 CERT", decMsg(ExchangeIKEAuth, false, times(9, func() Payload { return &Cert{} })...), true, RuleTooMany, PayloadCert, NotifyInvalidSyntax},
		{"IKE_AUTH 8 CERT", decMsg(ExchangeIKEAuth, false, times(8, func() Payload { return &Cert{} })...), true, 0, 0, 0},
		{"IKE_AUTH response CERTREQ has no rule, counted nowhere", decMsg(ExchangeIKEAuth, false, &CertReq{}, &Delete{Protocol: ProtoIKE}), true, 0, 0, 0},
		{"IKE_AUTH nested SK", decMsg(ExchangeIKEAuth, true, &ID{}, &Encrypted{}), true, RuleNestedEncrypted, PayloadSK, NotifyInvalidSyntax},
		{"IKE_AUTH fragment", plainMsg(ExchangeIKEAuth, true, &EncryptedFragment{Number: 1, Total: 2}), false, 0, 0, 0},
		{"IKE_AUTH fragment (decrypted flag)", plainMsg(ExchangeIKEAuth, true, &EncryptedFragment{Number: 2, Total: 2}), true, 0, 0, 0},
		{"CREATE_CHILD_SA ok", decMsg(ExchangeCreateChildSA, true, sa(), no(), ke(), &TS{}, &TS{Responder: true}), true, 0, 0, 0},
		{"CREATE_CHILD_SA without nonce", decMsg(ExchangeCreateChildSA, true, sa(), &TS{}, &TS{Responder: true}), true, RuleTooFew, PayloadNonce, NotifyInvalidSyntax},
		{"CREATE_CHILD_SA request only notify", decMsg(ExchangeCreateChildSA, true, n(NotifyRekeySA)), true, RuleTooFew, PayloadSA, NotifyInvalidSyntax},
		{"CREATE_CHILD_SA response NO_PROPOSAL_CHOSEN", decMsg(ExchangeCreateChildSA, false, n(NotifyNoProposalChosen)), true, 0, 0, 0},
		{"CREATE_CHILD_SA two KE", decMsg(ExchangeCreateChildSA, false, sa(), no(), ke(), ke()), true, RuleTooMany, PayloadKE, NotifyInvalidSyntax},
		{"INFORMATIONAL empty", decMsg(ExchangeInformational, true), true, 0, 0, 0},
		{"INFORMATIONAL 20 deletes", decMsg(ExchangeInformational, true, times(20, func() Payload { return DeleteIKE() })...), true, 0, 0, 0},
		{"INFORMATIONAL 21 deletes", decMsg(ExchangeInformational, true, times(21, func() Payload { return DeleteIKE() })...), true, RuleTooMany, PayloadDelete, NotifyInvalidSyntax},
		{"INFORMATIONAL two CP", decMsg(ExchangeInformational, false, &CP{}, &CP{}), true, RuleTooMany, PayloadCP, NotifyInvalidSyntax},
		{"INFORMATIONAL unprotected notify", plainMsg(ExchangeInformational, false, n(NotifyInvalidSyntax)), false, RuleMissingEncrypted, 0, 0},
		{"IKE_INTERMEDIATE empty", decMsg(ExchangeIKEIntermediate, true), true, 0, 0, 0},
		{"IKE_INTERMEDIATE two KE", decMsg(ExchangeIKEIntermediate, false, ke(), ke()), true, RuleTooMany, PayloadKE, NotifyInvalidSyntax},
		{"IKE_FOLLOWUP_KE without KE", decMsg(ExchangeIKEFollowupKE, true, n(NotifyAdditionalKeyExchange, 1)), true, RuleTooFew, PayloadKE, NotifyInvalidSyntax},
		{"IKE_FOLLOWUP_KE response error", decMsg(ExchangeIKEFollowupKE, false, n(NotifyInvalidSyntax)), true, 0, 0, 0},
		{"IKE_SESSION_RESUME", plainMsg(ExchangeIKESessionResume, true), false, RuleNoRules, 0, 0},
		{"unknown exchange", plainMsg(99, true), false, RuleNoRules, 0, 0},
		{"IKEv1 exchange", plainMsg(2, true), false, RuleNoRules, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Check(c.m, c.dec)
			if c.viol == 0 {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			var re *RuleError
			if !errors.As(err, &re) || re.Violation != c.viol || re.Payload != c.typ {
				t.Fatalf("got %v, want %v for %v", err, c.viol, c.typ)
			}
			if re.Exchange != c.m.Exchange || re.Request != c.m.IsRequest() {
				t.Errorf("error context %+v", re)
			}
			if NotifyFor(err) != c.notify {
				t.Errorf("NotifyFor = %v, want %v", NotifyFor(err), c.notify)
			}
			if err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestCheckVerify(t *testing.T) {
	cases := []struct {
		name string
		p    Payload
		ok   bool
	}{
		{"nonce 16", &Nonce{Data: rep(1, 16)}, true},
		{"nonce 256", &Nonce{Data: rep(1, 256)}, true},
		{"nonce 15", &Nonce{Data: rep(1, 15)}, false},
		{"nonce 257", &Nonce{Data: rep(1, 257)}, false},
		{"NATD 20", n(NotifyNATDetectionSourceIP, rep(1, 20)...), true},
		{"NATD 19", n(NotifyNATDetectionDestinationIP, rep(1, 19)...), false},
		{"COOKIE 64", n(NotifyCookie, rep(1, 64)...), true},
		{"COOKIE 65", n(NotifyCookie, rep(1, 65)...), false},
		{"COOKIE 0", n(NotifyCookie), false},
		{"INVALID_KE 2", n(NotifyInvalidKEPayload, 0, 19), true},
		{"INVALID_KE 3", n(NotifyInvalidKEPayload, 0, 19, 0), false},
		{"INVALID_SYNTAX data", n(NotifyInvalidSyntax, 1), false},
		{"NO_PROPOSAL_CHOSEN data", n(NotifyNoProposalChosen, 1), false},
		{"INVALID_MAJOR_VERSION data", n(NotifyInvalidMajorVersion, 1), false},
		{"ADD_4_ADDR 16", n(NotifyAdditionalIP4Address, rep(1, 16)...), false},
		{"ADD_6_ADDR 4", n(NotifyAdditionalIP6Address, rep(1, 4)...), false},
		{"HASH_ALG odd", n(NotifySignatureHashAlgorithms, 0, 2, 0), false},
		{"HASH_ALG empty", n(NotifySignatureHashAlgorithms), true},
		{"AUTH_LIFETIME 3", n(NotifyAuthLifetime, 1, 2, 3), false},
		{"IPCOMP_SUPPORTED 3", n(NotifyIPCompSupported, 1, 2, 3), true},
		{"IPCOMP_SUPPORTED 2", n(NotifyIPCompSupported, 1, 2), false},
		{"ME_ENDPOINT 12", n(NotifyMEEndpoint, rep(1, 12)...), true},
		{"ME_ENDPOINT 10", n(NotifyMEEndpoint, rep(1, 10)...), false},
		{"ME_CONNECTID 3", n(NotifyMEConnectID, 1, 2, 3), false},
		{"ME_CONNECTKEY 33", n(NotifyMEConnectKey, rep(1, 33)...), false},
		{"ME_CONNECTAUTH 20", n(NotifyMEConnectAuth, rep(1, 20)...), true},
		{"DPD 3", n(NotifyDPDRUThere, 1, 2, 3), false},
		{"unknown notify any data", n(50000, rep(1, 100)...), true},
		{"notify protocol 4", &Notify{Protocol: 4, NotifyType: NotifyInitialContact}, false},
		{"notify protocol ESP", &Notify{Protocol: ProtoESP, SPI: rep(1, 4), NotifyType: NotifyRekeySA}, true},
		{"SA numbering", &SA{Proposals: []Proposal{{Number: 1}, {Number: 1}, {Number: 3}}}, true},
		{"SA numbering 0", &SA{Proposals: []Proposal{{Number: 0}}}, false},
		{"SA numbering down", &SA{Proposals: []Proposal{{Number: 2}, {Number: 1}}}, false},
		{"SA ESP SPI 3", &SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoESP, SPI: rep(1, 3)}}}, false},
		{"SA AH SPI 4", &SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoAH, SPI: rep(1, 4)}}}, true},
		{"SA IKE SPI 8", &SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoIKE, SPI: rep(1, 8)}}}, true},
		{"SA IKE SPI 4", &SA{Proposals: []Proposal{{Number: 1, Protocol: ProtoIKE, SPI: rep(1, 4)}}}, false},
		{"SA proto 4 SPI 2", &SA{Proposals: []Proposal{{Number: 1, Protocol: 4, SPI: rep(1, 2)}}}, true},
		{"SA proto 4 SPI 3", &SA{Proposals: []Proposal{{Number: 1, Protocol: 4, SPI: rep(1, 3)}}}, false},
		{"SA proto 9 any SPI", &SA{Proposals: []Proposal{{Number: 1, Protocol: 9, SPI: rep(1, 3)}}}, true},
		{"Delete ESP size 0", &Delete{Protocol: ProtoESP}, false},
		{"Delete IKE size 4", &Delete{Protocol: ProtoIKE, SPISize: 4}, false},
		{"Delete proto 0", &Delete{}, true},
		{"Delete proto 7", &Delete{Protocol: 7}, false},
		{"Delete AH", DeleteSPIs(ProtoAH, 1), true},
		{"TS ports reversed", &TS{Selectors: []TrafficSelector{{Type: TSIPv4AddrRange, StartPort: 100, EndPort: 50}}}, false},
		{"TS OPAQUE ports", &TS{Selectors: []TrafficSelector{{Type: TSIPv6AddrRange, StartPort: 65535, EndPort: 0}}}, true},
		{"TS start 65535 end 1", &TS{Selectors: []TrafficSelector{{Type: TSIPv4AddrRange, StartPort: 65535, EndPort: 1}}}, true},
		{"TS start 2 end 0", &TS{Selectors: []TrafficSelector{{Type: TSIPv4AddrRange, StartPort: 2, EndPort: 0}}}, true},
		{"TS empty seclabel", &TS{Selectors: []TrafficSelector{{Type: TSSecLabel}}}, false},
		{"TS unknown type", &TS{Selectors: []TrafficSelector{{Type: 99}}}, true},
		{"CP IP4 addr 3", &CP{Attributes: []CPAttribute{{Type: CPInternalIP4Address, Value: rep(1, 3)}}}, false},
		{"CP IP4 subnet 8", &CP{Attributes: []CPAttribute{{Type: CPInternalIP4Subnet, Value: rep(1, 8)}}}, true},
		{"CP IP6 addr 16", &CP{Attributes: []CPAttribute{{Type: CPInternalIP6Address, Value: rep(1, 16)}}}, false},
		{"CP IP6 subnet 17", &CP{Attributes: []CPAttribute{{Type: CPInternalIP6Subnet, Value: rep(1, 17)}}}, true},
		{"CP IP6 DNS 17", &CP{Attributes: []CPAttribute{{Type: CPInternalIP6DNS, Value: rep(1, 17)}}}, false},
		{"CP SUP odd", &CP{Attributes: []CPAttribute{{Type: CPSupportedAttributes, Value: rep(1, 3)}}}, false},
		{"CP unknown", &CP{Attributes: []CPAttribute{{Type: 12345, Value: rep(1, 3)}}}, true},
		{"CERTREQ 21", &CertReq{Encoding: CertX509Signature, Data: rep(1, 21)}, false},
		{"CERTREQ other encoding 21", &CertReq{Encoding: CertCRL, Data: rep(1, 21)}, true},
		{"ID range 4", &ID{IDType: 7, Data: rep(1, 4)}, false},
		{"ID v6 subnet 32", &ID{IDType: 6, Data: rep(1, 32)}, true},
		{"EAP short", &EAP{Data: []byte{1, 1, 0}}, false},
		{"EAP length mismatch", &EAP{Data: []byte{1, 1, 0, 9, 1}}, false},
		{"EAP success with data", &EAP{Data: eapPkt(3, 1, []byte{1})}, false},
		{"EAP code 5", &EAP{Data: eapPkt(5, 1, nil)}, false},
		{"EAP request without type", &EAP{Data: eapPkt(1, 1, nil)}, true},
		{"SKF 0/1", &EncryptedFragment{Number: 0, Total: 1}, false},
		{"SKF 1/0", &EncryptedFragment{Number: 1, Total: 0}, false},
		{"SKF 3/2", &EncryptedFragment{Number: 3, Total: 2}, false},
	}
	for _, c := range cases {
		err := verifyPayload(c.p)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err == nil {
			continue
		}
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Payload != c.p.Type() || NotifyFor(err) != NotifyInvalidSyntax {
			t.Errorf("%s: %v", c.name, err)
		}
		if !strings.Contains(err.Error(), "verification failed") {
			t.Errorf("%s: message %q", c.name, err)
		}
		// and through Check, inside a decrypted INFORMATIONAL
		m := decMsg(ExchangeInformational, true, c.p)
		if err := Check(m, true); !errors.As(err, &ve) {
			t.Errorf("%s: Check = %v", c.name, err)
		}
	}
}

func TestNotifyFor(t *testing.T) {
	cases := []struct {
		err  error
		want NotifyType
	}{
		{nil, NotifyNone},
		{errors.New("other"), NotifyNone},
		{&ParseError{Err: ErrTruncated}, NotifyInvalidSyntax},
		{fmt.Errorf("wrapped: %w", &ParseError{Err: ErrLength}), NotifyInvalidSyntax},
		{&VersionError{Major: 3}, NotifyInvalidMajorVersion},
		{&CriticalError{Type: 60}, NotifyUnsupportedCriticalPayload},
		{&VerifyError{Payload: PayloadNonce}, NotifyInvalidSyntax},
		{&RuleError{Violation: RuleTooFew}, NotifyInvalidSyntax},
		{&RuleError{Violation: RuleTooMany}, NotifyInvalidSyntax},
		{&RuleError{Violation: RuleNestedEncrypted}, NotifyInvalidSyntax},
		{&RuleError{Violation: RuleNotEncrypted}, NotifyNone},
		{&RuleError{Violation: RuleMissingEncrypted}, NotifyNone},
		{&RuleError{Violation: RuleUnexpectedEncrypted}, NotifyNone},
		{&RuleError{Violation: RuleNoRules}, NotifyNone},
		{&RuleError{Violation: RuleNotDecrypted}, NotifyNone},
	}
	for _, c := range cases {
		if got := NotifyFor(c.err); got != c.want {
			t.Errorf("NotifyFor(%v) = %v, want %v", c.err, got, c.want)
		}
		if c.err != nil && c.err.Error() == "" {
			t.Errorf("%T: empty message", c.err)
		}
	}
	if NotifyPayloadFor(nil) != nil {
		t.Error("NotifyPayloadFor(nil)")
	}
	if n := NotifyPayloadFor(fmt.Errorf("x: %w", &CriticalError{Type: 60})); n == nil || len(n.Data) != 1 || n.Data[0] != 60 {
		t.Errorf("NotifyPayloadFor critical: %+v", n)
	}
	if n := NotifyPayloadFor(&ParseError{Err: ErrTruncated}); n == nil || n.NotifyType != NotifyInvalidSyntax || n.Data != nil {
		t.Errorf("NotifyPayloadFor parse: %+v", n)
	}
	if RuleViolation(99).String() != "(99)" || RuleTooFew.String() == "" {
		t.Error("RuleViolation names")
	}
	e := &RuleError{Exchange: ExchangeIKEAuth, Request: true, Violation: RuleTooMany, Payload: PayloadAuth, Count: 2, Limit: 1}
	if got := e.Error(); got != "IKE_AUTH request: payload occurs too many times: AUTH (2, maximum 1)" {
		t.Errorf("RuleError text %q", got)
	}
	pe := &ParseError{Offset: 40, Payload: PayloadSA, Err: ErrLastMarker, Reason: "proposal marker 1"}
	if got := pe.Error(); got != "SECURITY_ASSOCIATION payload at offset 40: invalid last substructure marker (proposal marker 1)" {
		t.Errorf("ParseError text %q", got)
	}
}

// TestRuleTables checks the tables' shape against charon's facts.
func TestRuleTables(t *testing.T) {
	for _, x := range []ExchangeType{ExchangeIKESAInit, ExchangeIKEAuth, ExchangeCreateChildSA,
		ExchangeInformational, ExchangeIKEIntermediate, ExchangeIKEFollowupKE} {
		for _, req := range []bool{true, false} {
			r := RuleFor(x, req)
			if r == nil {
				t.Fatalf("no rule for %v %v", x, req)
			}
			if r.Exchange != x || r.Request != req || r.Encrypted != (x != ExchangeIKESAInit) {
				t.Errorf("%v %v: header", x, req)
			}
			for _, pr := range r.Rules {
				if pr.Encrypted != r.Encrypted || pr.Min > pr.Max || pr.Max == 0 {
					t.Errorf("%v %v: rule %+v", x, req, pr)
				}
			}
			if r.Encrypted && (r.Rules[0].Type != PayloadSKF || !r.Rules[0].Sufficient) {
				t.Errorf("%v %v: fragment rule must come first", x, req)
			}
			for _, o := range r.Order {
				if r.rule(o.Type) == nil {
					t.Errorf("%v %v: order entry %v without rule", x, req, o.Type)
				}
			}
		}
	}
	if RuleFor(ExchangeIKESessionResume, true) != nil || RuleFor(0, false) != nil {
		t.Error("rules for unsupported exchanges")
	}
}

func TestSortMatchesCharon(t *testing.T) {
	// IKE_AUTH responder order from message.c, fed in reverse.
	ps := []Payload{
		&VendorID{}, n(NotifyNoAdditionalAddresses), n(NotifyAdditionalIP6Address),
		n(NotifyMOBIKESupported), n(NotifyAuthLifetime, 0, 0, 0, 1), &TS{Responder: true}, &TS{}, &SA{},
		n(NotifyUseTransportMode), &CP{CfgType: CfgReply}, &EAP{}, &Auth{}, &Cert{}, &ID{Responder: true},
	}
	m := plainMsg(ExchangeIKEAuth, false, RuleFor(ExchangeIKEAuth, false).Sort(ps)...)
	want := "IKE_AUTH response 0 [ IDr CERT AUTH EAP/(0) CP N(USE_TRANSP) SA TSi TSr N(AUTH_LFT) N(MOBIKE_SUP) N(ADD_6_ADDR) N(NO_ADD_ADDR) V ]"
	if got := m.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// CREATE_CHILD_SA initiator
	ps = []Payload{&TS{Responder: true}, &KE{}, n(NotifyESPTFCPaddingNotSupported), &TS{}, &Nonce{}, &SA{},
		n(NotifyUseTransportMode), n(NotifyRekeySA), n(NotifyNonFirstFragmentsAlso), n(NotifyIPCompSupported, 0, 0, 0), n(50000)}
	m = plainMsg(ExchangeCreateChildSA, true, RuleFor(ExchangeCreateChildSA, true).Sort(ps)...)
	want = "CREATE_CHILD_SA request 0 [ N(REKEY_SA) N(IPCOMP_SUP) N(USE_TRANSP) N(ESP_TFC_PAD_N) N(NON_FIRST_FRAG) SA No KE TSi TSr N((50000)) ]"
	if got := m.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
