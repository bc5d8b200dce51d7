package message

import "encoding/binary"

// Check verifies a parsed message before any protocol logic sees it, in the
// order charon's message.c parse_body does, and returns the first problem
// as a typed error (see NotifyFor for the notify to answer with):
//
//  1. no rules for the exchange type and direction: *RuleError RuleNoRules;
//  2. every payload passes charon's per-payload verify (nonce length,
//     notify data lengths, SPI sizes, proposal numbering, traffic selector
//     ports, CP attribute lengths, EAP framing, fragment numbers):
//     *VerifyError;
//  3. encryption: a protected exchange needs an SK or SKF payload, an
//     unprotected one must have none, no SK/SKF inside the decrypted
//     payloads, and every payload outside SK that is not an Unknown must
//     have a rule that allows it unencrypted: *RuleError;
//  4. payload counts against the min/max of each rule, with charon's
//     "sufficient" semantics: *RuleError RuleTooFew / RuleTooMany;
//  5. no unknown payload with the critical bit: *CriticalError.
//
// With decrypted false the message is checked as received: for a protected
// exchange with an SK payload only steps 1-3 run on the unprotected part
// (the counts need the decrypted payloads). With decrypted true the SK
// payload must have been replaced by SetDecrypted and everything is
// checked. Messages of unprotected exchanges (IKE_SA_INIT) and SKF
// fragments are always checked completely, as charon does per fragment.
//
// Deviation from charon: a protected exchange without any SK/SKF payload is
// rejected (RuleMissingEncrypted); charon accepts such a message when it is
// empty.
func Check(m *Message, decrypted bool) error {
	req := m.IsRequest()
	r := RuleFor(m.Exchange, req)
	if r == nil {
		return &RuleError{Exchange: m.Exchange, Request: req, Violation: RuleNoRules}
	}
	for _, p := range m.Payloads {
		if p == nil {
			return &ParseError{Err: ErrInvalid, Reason: "nil payload"}
		}
		if err := verifyPayload(p); err != nil {
			return err
		}
	}
	rerr := func(v RuleViolation, t PayloadType) error {
		return &RuleError{Exchange: m.Exchange, Request: req, Violation: v, Payload: t}
	}

	outer := m.Unprotected()
	var enc Payload
	if n := len(outer); n > 0 {
		switch outer[n-1].(type) {
		case *Encrypted, *EncryptedFragment:
			enc = outer[n-1]
			outer = outer[:n-1]
		}
	}
	for _, p := range outer {
		switch p.(type) {
		case *Encrypted, *EncryptedFragment:
			return &ParseError{Payload: p.Type(), Err: ErrEncryptedPosition}
		}
	}
	for _, p := range m.Protected() {
		switch p.(type) {
		case *Encrypted, *EncryptedFragment:
			return rerr(RuleNestedEncrypted, p.Type())
		}
	}
	_, isSK := enc.(*Encrypted)
	if !r.Encrypted {
		if enc != nil {
			return rerr(RuleUnexpectedEncrypted, enc.Type())
		}
		if m.Decrypted() {
			return rerr(RuleUnexpectedEncrypted, PayloadSK)
		}
	} else {
		if enc == nil && !m.Decrypted() {
			return rerr(RuleMissingEncrypted, PayloadNone)
		}
		if decrypted && isSK {
			return rerr(RuleNotDecrypted, PayloadSK)
		}
	}
	for _, p := range outer {
		if _, ok := p.(*Unknown); ok {
			continue
		}
		if pr := r.rule(p.Type()); pr == nil || pr.Encrypted {
			return rerr(RuleNotEncrypted, p.Type())
		}
	}
	if isSK && !decrypted {
		return nil
	}

	complete := false
	for i := range r.Rules {
		pr := &r.Rules[i]
		found := 0
		for _, p := range m.Payloads {
			if p.Type() == pr.Type {
				found++
			}
		}
		if found > pr.Max {
			return &RuleError{Exchange: m.Exchange, Request: req, Violation: RuleTooMany,
				Payload: pr.Type, Count: found, Limit: pr.Max}
		}
		if !complete && found < pr.Min {
			return &RuleError{Exchange: m.Exchange, Request: req, Violation: RuleTooFew,
				Payload: pr.Type, Count: found, Limit: pr.Min}
		}
		if found > 0 && pr.Sufficient {
			complete = true
		}
	}

	for _, p := range m.Payloads {
		if u, ok := p.(*Unknown); ok && u.Critical {
			return &CriticalError{Type: u.PayloadType}
		}
	}
	return nil
}

// verifyPayload applies the checks of charon's payload_t.verify
// implementations for IKEv2.
func verifyPayload(p Payload) error {
	switch q := p.(type) {
	case *SA:
		return verifySA(q)
	case *ID:
		var want int
		switch q.IDType {
		case 4, 7: // ID_IPV4_ADDR_SUBNET, ID_IPV4_ADDR_RANGE
			want = 8
		case 6, 8: // ID_IPV6_ADDR_SUBNET, ID_IPV6_ADDR_RANGE
			want = 32
		}
		if want != 0 && len(q.Data) != want {
			return verr(q.Type(), "invalid %s length (%d bytes)", q.IDType, len(q.Data))
		}
	case *CertReq:
		if q.Encoding == CertX509Signature && len(q.Data)%20 != 0 {
			return verr(PayloadCertReq, "invalid X509 hash length (%d) in certreq", len(q.Data))
		}
	case *Nonce:
		if len(q.Data) < 16 || len(q.Data) > 256 {
			return verr(PayloadNonce, "invalid length (%d bytes)", len(q.Data))
		}
	case *Notify:
		return verifyNotify(q)
	case *Delete:
		switch q.Protocol {
		case ProtoAH, ProtoESP:
			if q.SPISize != 4 {
				return verr(PayloadDelete, "SPI size %d for %s", q.SPISize, q.Protocol)
			}
		case ProtoIKE, ProtoNone:
			if q.SPISize != 0 {
				return verr(PayloadDelete, "SPI size %d for IKE", q.SPISize)
			}
		default:
			return verr(PayloadDelete, "protocol %d", q.Protocol)
		}
	case *TS:
		for i := range q.Selectors {
			s := &q.Selectors[i]
			switch s.Type {
			case TSIPv4AddrRange, TSIPv6AddrRange:
				// OPAQUE ports (start 65535, end 0) are the exception
				if s.StartPort > s.EndPort && s.StartPort != 0xffff && s.EndPort != 0 {
					return verr(q.Type(), "start port %d > end port %d", s.StartPort, s.EndPort)
				}
			case TSSecLabel:
				if len(s.Data) == 0 {
					return verr(q.Type(), "empty security label")
				}
			}
		}
	case *CP:
		for _, a := range q.Attributes {
			if !cpAttrLengthOK(a.Type, len(a.Value)) {
				return verr(PayloadCP, "invalid attribute length %d for %s", len(a.Value), a.Type)
			}
		}
	case *EAP:
		return verifyEAP(q)
	case *EncryptedFragment:
		if q.Number == 0 || q.Total == 0 || q.Number > q.Total {
			return verr(PayloadSKF, "invalid fragment number (%d) or total fragments (%d)",
				q.Number, q.Total)
		}
	}
	return nil
}

func verifySA(s *SA) error {
	expected := 1
	for i := range s.Proposals {
		p := &s.Proposals[i]
		if int(p.Number) < expected {
			return verr(PayloadSA, "proposal number smaller than previous")
		}
		expected = int(p.Number)
		switch p.Protocol {
		case ProtoFCESPHeader: // strongSwan's PROTO_IPCOMP
			if len(p.SPI) != 2 && len(p.SPI) != 4 {
				return verr(PayloadSA, "invalid CPI length in IPCOMP proposal")
			}
		case ProtoAH, ProtoESP:
			if len(p.SPI) != 4 {
				return verr(PayloadSA, "invalid SPI length in %s proposal", p.Protocol)
			}
		case ProtoIKE:
			if len(p.SPI) != 0 && len(p.SPI) != 8 {
				return verr(PayloadSA, "invalid SPI length in IKE proposal")
			}
		}
	}
	return nil
}

func verifyNotify(n *Notify) error {
	switch n.Protocol {
	case ProtoNone, ProtoIKE, ProtoAH, ProtoESP:
	default:
		return verr(PayloadNotify, "Unknown protocol (%d)", n.Protocol)
	}
	l := len(n.Data)
	bad := false
	switch n.NotifyType {
	case NotifyInvalidKEPayload:
		bad = l != 2
	case NotifyNATDetectionSourceIP, NotifyNATDetectionDestinationIP, NotifyMEConnectAuth:
		bad = l != 20
	case NotifyInvalidSyntax, NotifyInvalidMajorVersion, NotifyNoProposalChosen:
		bad = l != 0
	case NotifyCookie:
		bad = l < 1 || l > 64
	case NotifyAdditionalIP4Address:
		bad = l != 4
	case NotifyAdditionalIP6Address:
		bad = l != 16
	case NotifySignatureHashAlgorithms:
		bad = l%2 != 0
	case NotifyAuthLifetime:
		bad = l != 4
	case NotifyIPCompSupported:
		bad = l != 3
	case NotifyMEEndpoint:
		bad = l != 8 && l != 12 && l != 24
	case NotifyMEConnectID:
		bad = l < 4 || l > 16
	case NotifyMEConnectKey:
		bad = l < 16 || l > 32
	case NotifyDPDRUThere, NotifyDPDRUThereAck:
		bad = l != 4
	}
	if bad {
		return verr(PayloadNotify, "invalid notify data length for %s (%d)", n.NotifyType, l)
	}
	return nil
}

// cpAttrLengthOK applies configuration_attribute.c verify (IKEv2 form).
func cpAttrLengthOK(t CPAttrType, l int) bool {
	switch t {
	case CPInternalIP4Address, CPInternalIP4Netmask, CPInternalIP4DNS, CPInternalIP4NBNS,
		CPInternalAddressExpiry, CPInternalIP4DHCP, CPPCSCFIP4Address:
		return l == 0 || l == 4
	case CPInternalIP4Subnet:
		return l == 0 || l == 8
	case CPInternalIP6Address, CPInternalIP6Subnet:
		return l == 0 || l == 17
	case CPInternalIP6DNS, CPInternalIP6NBNS, CPInternalIP6DHCP, CPPCSCFIP6Address:
		return l == 0 || l == 16
	case CPSupportedAttributes:
		return l%2 == 0
	}
	return true
}

func verifyEAP(e *EAP) error {
	d := e.Data
	if len(d) < 4 {
		return verr(PayloadEAP, "EAP message too short (%d)", len(d))
	}
	if l := int(binary.BigEndian.Uint16(d[2:])); l != len(d) {
		return verr(PayloadEAP, "EAP payload length (%d) does not match contained message length (%d)",
			len(d), l)
	}
	switch EAPCode(d[0]) {
	case EAPRequest, EAPResponse:
	case EAPSuccess, EAPFailure:
		if len(d) != 4 {
			return verr(PayloadEAP, "EAP Success/Failure has data")
		}
	default:
		return verr(PayloadEAP, "unknown EAP code %d", d[0])
	}
	return nil
}
