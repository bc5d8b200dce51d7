package message

import (
	"strings"
	"testing"
)

// TestSummaries checks message.c get_string's formats for each payload
// kind; the expected strings are written from the format strings in
// message.c ("%N %s %u [", " %N", "(%N)", "(%N(%d))", "/%N%s", "/%d-%N",
// "RQ(" ... ")", "(%u/%u)", "(%d)", " ]").
func TestSummaries(t *testing.T) {
	cases := []struct {
		m    *Message
		want string
	}{
		{plainMsg(ExchangeIKESAInit, true), "IKE_SA_INIT request 0 [ ]"},
		{&Message{Header: Header{Exchange: ExchangeInformational, Flags: FlagResponse, MessageID: 4294967295}},
			"INFORMATIONAL response 4294967295 [ ]"},
		{plainMsg(99, true, &Nonce{}), "(99) request 0 [ No ]"},
		{plainMsg(ExchangeIKEIntermediate, false, &KE{}), "IKE_INTERMEDIATE response 0 [ KE ]"},
		{plainMsg(ExchangeIKEFollowupKE, true, &KE{}, n(NotifyAdditionalKeyExchange)), "IKE_FOLLOWUP_KE request 0 [ KE N(ADD_KE) ]"},
		{plainMsg(ExchangeIKESessionResume, true), "IKE_SESSION_RESUME request 0 [ ]"},
		{plainMsg(ExchangeMEConnect, true), "ME_CONNECT request 0 [ ]"},
		{plainMsg(ExchangeIKEAuth, true, &Encrypted{}), "IKE_AUTH request 0 [ E ]"},
		{plainMsg(ExchangeIKEAuth, false, &EncryptedFragment{Number: 2, Total: 17}), "IKE_AUTH response 0 [ EF(2/17) ]"},
		{plainMsg(ExchangeIKEAuth, false, &EncryptedFragment{}), "IKE_AUTH response 0 [ EF(0/0) ]"},
		{plainMsg(ExchangeInformational, true, n(NotifyMSNotifyStatus, 0, 0, 0, 5), n(NotifyMSNotifyStatus, 1), n(NotifyMSNotifyStatus)),
			"INFORMATIONAL request 0 [ N(MS_STATUS(5)) N(MS_STATUS) N(MS_STATUS) ]"},
		{plainMsg(ExchangeInformational, true, n(50000), n(16432), n(16445), n(1), n(16424), n(24578), n(36136), n(40969)),
			"INFORMATIONAL request 0 [ N((50000)) N((16432)) N((16445)) N(CRIT) N(SEC_PASSWD) N(INITIAL_CONTACT) N(DPD) N(RADIUS) ]"},
		{plainMsg(ExchangeIKESAInit, true, n(NotifyIntermediateExchangeSupported), n(NotifyUseAggfrag), n(NotifySAResourceInfo),
			n(NotifyUsePPK), n(NotifyPPKIdentity), n(NotifyNoPPKAuth), n(NotifyRedirect), n(NotifyRedirectedFrom)),
			"IKE_SA_INIT request 0 [ N(IKE_INT_SUP) N(AGGFRAG) N(RES_INFO) N(USE_PPK) N(PPK_ID) N(NO_PPK) N(REDIR) N(REDIR_FROM) ]"},
		{plainMsg(ExchangeIKEAuth, true,
			&CP{CfgType: CfgRequest, Attributes: []CPAttribute{{Type: CPInternalIP4Address}, {Type: CPInternalIP4DNS}}},
			&CP{CfgType: CfgReply, Attributes: []CPAttribute{{Type: CPInternalIP6Address}, {Type: CPInternalIP6DNS}, {Type: CPInternalDNSDomain}}},
			&CP{CfgType: CfgSet, Attributes: []CPAttribute{{Type: CPUnityBanner}}},
			&CP{CfgType: CfgAck, Attributes: []CPAttribute{{Type: CPXAuthStatus}}},
			&CP{CfgType: 9, Attributes: []CPAttribute{{Type: CPInternalIP4Subnet}, {Type: 12345}}},
			&CP{CfgType: CfgRequest}),
			"IKE_AUTH request 0 [ CPRQ(ADDR DNS) CPRP(ADDR6 DNS6 DOMAIN) CPS(U_BANNER) CPA(X_STATUS) CP(SUBNET (12345)) CP ]"},
		{plainMsg(ExchangeIKEAuth, true, &Unknown{PayloadType: 1}, &Unknown{PayloadType: 52}, &Unknown{PayloadType: 255, Critical: true}),
			"IKE_AUTH request 0 [ UNKN(1) UNKN(52) UNKN(255) ]"},
		{plainMsg(ExchangeIKEAuth, true, &ID{}, &ID{Responder: true}, &Cert{}, &CertReq{}, &Auth{}, &Nonce{},
			&Delete{}, &VendorID{}, &TS{}, &TS{Responder: true}, &SA{}, &KE{}, &EAP{Data: eapPkt(1, 1, []byte{21, 0x20})}),
			"IKE_AUTH request 0 [ IDi IDr CERT CERTREQ AUTH No D V TSi TSr SA KE EAP/REQ/TTLS ]"},
		{plainMsg(ExchangeIKEAuth, false, &EAP{Data: eapPkt(4, 1, nil)}), "IKE_AUTH response 0 [ EAP/FAIL ]"},
	}
	for _, c := range cases {
		if got := c.m.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if got := string(c.m.AppendSummary([]byte("parsed "))); got != "parsed "+c.want {
			t.Errorf("AppendSummary %q", got)
		}
	}
}

// TestSummaryTruncation: charon's buffer is 512 octets, the text stops at
// 510 characters.
func TestSummaryTruncation(t *testing.T) {
	ps := times(60, func() Payload { return n(NotifyNATDetectionSourceIP) })
	m := plainMsg(ExchangeIKEAuth, true, ps...)
	full := "IKE_AUTH request 0 [" + strings.Repeat(" N(NATD_S_IP)", 60) + " ]"
	got := m.String()
	if got != full[:510] {
		t.Errorf("got %d chars: %q", len(got), got)
	}
	if got := string(m.AppendSummary([]byte("xx"))); got != "xx"+full[:510] {
		t.Error("AppendSummary truncation")
	}
	// exactly at the limit: the closing " ]" is cut too
	for k := 0; k < 60; k++ {
		m := plainMsg(ExchangeIKEAuth, true, ps[:k]...)
		full := "IKE_AUTH request 0 [" + strings.Repeat(" N(NATD_S_IP)", k) + " ]"
		if len(full) > 510 {
			full = full[:510]
		}
		if got := m.String(); got != full {
			t.Fatalf("%d notifies: %q", k, got)
		}
	}
}

func TestNames(t *testing.T) {
	checks := []struct{ got, want string }{
		{PayloadSA.String(), "SECURITY_ASSOCIATION"},
		{PayloadSKF.String(), "ENCRYPTED_FRAGMENT"},
		{PayloadNone.String(), "PL_NONE"},
		{PayloadNone.ShortName(), "--"},
		{PayloadType(1).String(), "SECURITY_ASSOCIATION_V1"},
		{PayloadType(60).String(), "(60)"},
		{PayloadType(60).ShortName(), "(60)"},
		{PayloadSK.ShortName(), "E"},
		{PayloadNonce.ShortName(), "No"},
		{PayloadType(132).ShortName(), "FRAG"},
		{PayloadPS.String(), "(54)"},
		{ExchangeIKESAInit.String(), "IKE_SA_INIT"},
		{ExchangeType(2).String(), "ID_PROT"},
		{ExchangeType(3).String(), "AUTH_ONLY"},
		{ExchangeType(4).String(), "AGGRESSIVE"},
		{ExchangeType(5).String(), "INFORMATIONAL_V1"},
		{ExchangeType(6).String(), "TRANSACTION"},
		{ExchangeType(32).String(), "QUICK_MODE"},
		{ExchangeType(33).String(), "NEW_GROUP_MODE"},
		{ExchangeIKEAuth.String(), "IKE_AUTH"},
		{ExchangeCreateChildSA.String(), "CREATE_CHILD_SA"},
		{ExchangeInformational.String(), "INFORMATIONAL"},
		{ExchangeIKEFollowupKE.String(), "IKE_FOLLOWUP_KE"},
		{ExchangeUndefined.String(), "EXCHANGE_TYPE_UNDEFINED"},
		{ExchangeType(39).String(), "(39)"},
		{NotifyNATDetectionSourceIP.String(), "NAT_DETECTION_SOURCE_IP"},
		{NotifySecurePasswordMethods.String(), "SECURE PASSWORD_METHOD"},
		{NotifyUseAssignedHoA.ShortName(), "ASSIGNED_HoA"},
		{NotifyType(0).String(), "(0)"},
		{NotifyType(65535).ShortName(), "(65535)"},
		{NotifyInitialContactIKEv1.String(), "INITIAL_CONTACT"},
		{NotifyAdditionalKeyExchange.String(), "ADDITIONAL_KEY_EXCHANGE"},
		{CPInternalIP4Address.String(), "INTERNAL_IP4_ADDRESS"},
		{CPUnityDDNSHostname.ShortName(), "U_DDNSHOST"},
		{CPAttrType(27).String(), "(27)"},
		{CPAttrType(0).ShortName(), "(0)"},
		{ProtoESP.String(), "ESP"},
		{ProtoNone.String(), "PROTO_NONE"},
		{ProtoIKE.String(), "IKE"},
		{ProtoAH.String(), "AH"},
		{ProtoFCESPHeader.String(), "IPCOMP"},
		{ProtocolID(9).String(), "(9)"},
		{TransformADDKE7.String(), "ADDITIONAL_KEY_EXCHANGE_7"},
		{TransformDH.String(), "KEY_EXCHANGE_METHOD"},
		{TransformType(13).String(), "(13)"},
		{IDFQDN.String(), "ID_FQDN"},
		{IDFCName.String(), "ID_FC_NAME"},
		{IDType(14).String(), "(14)"},
		{CertX509Signature.String(), "ENC_X509_SIGNATURE"},
		{CertRawPublicKey.String(), "ENC_RAW_PUBLIC_KEY"},
		{CertEncoding(0).String(), "(0)"},
		{AuthDS.String(), "digital signature"},
		{AuthPSK.String(), "pre-shared key"},
		{AuthMethod(200).String(), "(200)"},
		{TSIPv6AddrRange.String(), "TS_IPV6_ADDR_RANGE"},
		{TSType(1).String(), "(1)"},
		{CfgAck.String(), "CFG_ACK"},
		{CfgType(0).String(), "(0)"},
		{EAPMSCHAPv2.ShortName(), "MSCHAPV2"},
		{EAPType(300).ShortName(), "(300)"},
		{penShortName(0xffffff), "RES"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("%d: got %q want %q", i, c.got, c.want)
		}
	}
	// every named value in the tables is found again and the tables are sorted
	for i, e := range notifyNames {
		if i > 0 && notifyNames[i-1].t >= e.t {
			t.Fatalf("notifyNames not sorted at %d", i)
		}
		if e.t.String() != e.name || (e.short != "" && e.t.ShortName() != e.short) {
			t.Errorf("notify %d", e.t)
		}
	}
	for i, e := range cpAttrNames {
		if i > 0 && cpAttrNames[i-1].t >= e.t {
			t.Fatalf("cpAttrNames not sorted at %d", i)
		}
		if e.t.String() != e.name || e.t.ShortName() != e.short {
			t.Errorf("CP attribute %d", e.t)
		}
	}
	for _, a := range []AuthMethod{1, 2, 3, 9, 10, 11, 12, 13, 14} {
		if strings.HasPrefix(a.String(), "(") {
			t.Errorf("auth method %d unnamed", a)
		}
	}
	for _, v := range []uint32{0, 2, 311, 2312, 2699, 3076, 9048, 9586, 11129, 21911, 28978, 30401, 32939, 36906, 38158, 0xfffffe} {
		if strings.HasPrefix(penShortName(v), "(") {
			t.Errorf("PEN %d unnamed", v)
		}
	}
	for _, v := range []EAPType{1, 2, 3, 4, 5, 6, 13, 18, 21, 23, 25, 26, 33, 38, 54, 254, 255, 256, 257} {
		if strings.HasPrefix(v.ShortName(), "(") {
			t.Errorf("EAP type %d unnamed", v)
		}
	}
	for _, v := range []IDType{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13} {
		if strings.HasPrefix(v.String(), "(") {
			t.Errorf("ID type %d unnamed", v)
		}
	}
	if !NotifyAuthenticationFailed.IsError() || NotifyInitialContact.IsError() {
		t.Error("IsError")
	}
}
