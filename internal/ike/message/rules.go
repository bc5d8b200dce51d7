package message

// The rule tables below carry the facts of strongSwan's message.c
// (payload_rules and payload_order per exchange and direction) for IKEv2:
// IKE_SA_INIT, IKE_AUTH, CREATE_CHILD_SA and INFORMATIONAL as in 5.9.8,
// IKE_INTERMEDIATE and IKE_FOLLOWUP_KE as strongSwan 6 defines them.

// Maximum counts charon allows (message.c).
const (
	MaxNotifyPayloads  = 20
	MaxDeletePayloads  = 20
	MaxCertPayloads    = 8
	MaxVIDPayloads     = 20
	MaxCertReqPayloads = 20
)

// PayloadRule says how often a payload type may occur in a message and
// whether it must be inside the SK payload. When a payload of a Sufficient
// rule is present, the minimum counts of this and all later rules are no
// longer enforced (e.g. an error Notify in an IKE_SA_INIT response makes
// SA, KE and Nonce optional); maximum counts always are. Payload types
// without a rule are not counted; outside SK they are rejected.
type PayloadRule struct {
	Type       PayloadType
	Min, Max   int
	Encrypted  bool
	Sufficient bool
}

// OrderRule is one step of the order in which charon emits payloads: all
// payloads of Type, restricted to Notify payloads of type Notify when Type
// is PayloadNotify and Notify is not zero.
type OrderRule struct {
	Type   PayloadType
	Notify NotifyType
}

// MessageRule holds the rules of one exchange type and direction. The
// slices are shared; do not modify them.
type MessageRule struct {
	Exchange  ExchangeType
	Request   bool
	Encrypted bool // the exchange is protected by an SK payload
	Rules     []PayloadRule
	Order     []OrderRule
}

var ikeSAInitIRules = []PayloadRule{
	{PayloadNotify, 0, MaxNotifyPayloads, false, false},
	{PayloadSA, 1, 1, false, false},
	{PayloadKE, 1, 1, false, false},
	{PayloadNonce, 1, 1, false, false},
	{PayloadVendorID, 0, MaxVIDPayloads, false, false},
}

var ikeSAInitIOrder = []OrderRule{
	{PayloadNotify, NotifyCookie},
	{PayloadSA, 0},
	{PayloadKE, 0},
	{PayloadNonce, 0},
	{PayloadNotify, NotifyNATDetectionSourceIP},
	{PayloadNotify, NotifyNATDetectionDestinationIP},
	{PayloadNotify, 0},
	{PayloadVendorID, 0},
}

var ikeSAInitRRules = []PayloadRule{
	{PayloadNotify, 0, MaxNotifyPayloads, false, true},
	{PayloadSA, 1, 1, false, false},
	{PayloadKE, 1, 1, false, false},
	{PayloadNonce, 1, 1, false, false},
	{PayloadCertReq, 0, MaxCertReqPayloads, false, false},
	{PayloadVendorID, 0, MaxVIDPayloads, false, false},
}

var ikeSAInitROrder = []OrderRule{
	{PayloadSA, 0},
	{PayloadKE, 0},
	{PayloadNonce, 0},
	{PayloadNotify, NotifyNATDetectionSourceIP},
	{PayloadNotify, NotifyNATDetectionDestinationIP},
	{PayloadNotify, NotifyHTTPCertLookupSupported},
	{PayloadCertReq, 0},
	{PayloadNotify, 0},
	{PayloadVendorID, 0},
}

var ikeAuthIRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, false},
	{PayloadEAP, 0, 1, true, true},
	{PayloadAuth, 0, 1, true, true},
	{PayloadIDi, 0, 1, true, false},
	{PayloadCert, 0, MaxCertPayloads, true, false},
	{PayloadCertReq, 0, MaxCertReqPayloads, true, false},
	{PayloadIDr, 0, 1, true, false},
	{PayloadSA, 0, 1, true, false},
	{PayloadTSi, 0, 1, true, false},
	{PayloadTSr, 0, 1, true, false},
	{PayloadCP, 0, 1, true, false},
	{PayloadVendorID, 0, MaxVIDPayloads, true, false},
}

var ikeAuthIOrder = []OrderRule{
	{PayloadIDi, 0},
	{PayloadCert, 0},
	{PayloadNotify, NotifyInitialContact},
	{PayloadNotify, NotifyHTTPCertLookupSupported},
	{PayloadCertReq, 0},
	{PayloadIDr, 0},
	{PayloadAuth, 0},
	{PayloadEAP, 0},
	{PayloadCP, 0},
	{PayloadNotify, NotifyIPCompSupported},
	{PayloadNotify, NotifyUseTransportMode},
	{PayloadNotify, NotifyESPTFCPaddingNotSupported},
	{PayloadNotify, NotifyNonFirstFragmentsAlso},
	{PayloadSA, 0},
	{PayloadTSi, 0},
	{PayloadTSr, 0},
	{PayloadNotify, NotifyMOBIKESupported},
	{PayloadNotify, NotifyAdditionalIP4Address},
	{PayloadNotify, NotifyAdditionalIP6Address},
	{PayloadNotify, NotifyNoAdditionalAddresses},
	{PayloadNotify, 0},
	{PayloadVendorID, 0},
	{PayloadSKF, 0},
}

var ikeAuthRRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, true},
	{PayloadEAP, 0, 1, true, true},
	{PayloadAuth, 0, 1, true, true},
	{PayloadCert, 0, MaxCertPayloads, true, false},
	{PayloadIDr, 0, 1, true, false},
	{PayloadSA, 0, 1, true, false},
	{PayloadTSi, 0, 1, true, false},
	{PayloadTSr, 0, 1, true, false},
	{PayloadCP, 0, 1, true, false},
	{PayloadVendorID, 0, MaxVIDPayloads, true, false},
}

var ikeAuthROrder = []OrderRule{
	{PayloadIDr, 0},
	{PayloadCert, 0},
	{PayloadAuth, 0},
	{PayloadEAP, 0},
	{PayloadCP, 0},
	{PayloadNotify, NotifyIPCompSupported},
	{PayloadNotify, NotifyUseTransportMode},
	{PayloadNotify, NotifyESPTFCPaddingNotSupported},
	{PayloadNotify, NotifyNonFirstFragmentsAlso},
	{PayloadSA, 0},
	{PayloadTSi, 0},
	{PayloadTSr, 0},
	{PayloadNotify, NotifyAuthLifetime},
	{PayloadNotify, NotifyMOBIKESupported},
	{PayloadNotify, NotifyAdditionalIP4Address},
	{PayloadNotify, NotifyAdditionalIP6Address},
	{PayloadNotify, NotifyNoAdditionalAddresses},
	{PayloadNotify, 0},
	{PayloadVendorID, 0},
	{PayloadSKF, 0},
}

// informationalRules is the same for both directions.
var informationalRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, false},
	{PayloadCP, 0, 1, true, false},
	{PayloadDelete, 0, MaxDeletePayloads, true, false},
	{PayloadVendorID, 0, MaxVIDPayloads, true, false},
}

var informationalOrder = []OrderRule{
	{PayloadNotify, NotifyUpdateSAAddresses},
	{PayloadNotify, NotifyNATDetectionSourceIP},
	{PayloadNotify, NotifyNATDetectionDestinationIP},
	{PayloadNotify, NotifyCookie2},
	{PayloadNotify, 0},
	{PayloadDelete, 0},
	{PayloadCP, 0},
	{PayloadSKF, 0},
}

var createChildSAIRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, false},
	{PayloadSA, 1, 1, true, false},
	{PayloadNonce, 1, 1, true, false},
	{PayloadKE, 0, 1, true, false},
	{PayloadTSi, 0, 1, true, false},
	{PayloadTSr, 0, 1, true, false},
	{PayloadCP, 0, 1, true, false},
	{PayloadVendorID, 0, MaxVIDPayloads, true, false},
}

var createChildSAIOrder = []OrderRule{
	{PayloadNotify, NotifyRekeySA},
	{PayloadNotify, NotifyIPCompSupported},
	{PayloadNotify, NotifyUseTransportMode},
	{PayloadNotify, NotifyESPTFCPaddingNotSupported},
	{PayloadNotify, NotifyNonFirstFragmentsAlso},
	{PayloadSA, 0},
	{PayloadNonce, 0},
	{PayloadKE, 0},
	{PayloadTSi, 0},
	{PayloadTSr, 0},
	{PayloadNotify, 0},
	{PayloadSKF, 0},
}

var createChildSARRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, true},
	{PayloadSA, 1, 1, true, false},
	{PayloadNonce, 1, 1, true, false},
	{PayloadKE, 0, 1, true, false},
	{PayloadTSi, 0, 1, true, false},
	{PayloadTSr, 0, 1, true, false},
	{PayloadCP, 0, 1, true, false},
	{PayloadVendorID, 0, MaxVIDPayloads, true, false},
}

var createChildSAROrder = []OrderRule{
	{PayloadNotify, NotifyIPCompSupported},
	{PayloadNotify, NotifyUseTransportMode},
	{PayloadNotify, NotifyESPTFCPaddingNotSupported},
	{PayloadNotify, NotifyNonFirstFragmentsAlso},
	{PayloadSA, 0},
	{PayloadNonce, 0},
	{PayloadKE, 0},
	{PayloadTSi, 0},
	{PayloadTSr, 0},
	{PayloadNotify, NotifyAdditionalTSPossible},
	{PayloadNotify, 0},
	{PayloadSKF, 0},
}

var ikeIntermediateIRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, false},
	{PayloadKE, 0, 1, true, false},
}

var ikeIntermediateRRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, true},
	{PayloadKE, 0, 1, true, false},
}

var ikeFollowupKEIRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, false},
	{PayloadKE, 1, 1, true, false},
}

var ikeFollowupKERRules = []PayloadRule{
	{PayloadSKF, 0, 1, true, true},
	{PayloadNotify, 0, MaxNotifyPayloads, true, true},
	{PayloadKE, 1, 1, true, false},
}

// keNotifyOrder is the order of IKE_INTERMEDIATE and IKE_FOLLOWUP_KE in
// both directions.
var keNotifyOrder = []OrderRule{
	{PayloadKE, 0},
	{PayloadNotify, 0},
	{PayloadSKF, 0},
}

var messageRules = [...]MessageRule{
	{ExchangeIKESAInit, true, false, ikeSAInitIRules, ikeSAInitIOrder},
	{ExchangeIKESAInit, false, false, ikeSAInitRRules, ikeSAInitROrder},
	{ExchangeIKEAuth, true, true, ikeAuthIRules, ikeAuthIOrder},
	{ExchangeIKEAuth, false, true, ikeAuthRRules, ikeAuthROrder},
	{ExchangeInformational, true, true, informationalRules, informationalOrder},
	{ExchangeInformational, false, true, informationalRules, informationalOrder},
	{ExchangeCreateChildSA, true, true, createChildSAIRules, createChildSAIOrder},
	{ExchangeCreateChildSA, false, true, createChildSARRules, createChildSAROrder},
	{ExchangeIKEIntermediate, true, true, ikeIntermediateIRules, keNotifyOrder},
	{ExchangeIKEIntermediate, false, true, ikeIntermediateRRules, keNotifyOrder},
	{ExchangeIKEFollowupKE, true, true, ikeFollowupKEIRules, keNotifyOrder},
	{ExchangeIKEFollowupKE, false, true, ikeFollowupKERRules, keNotifyOrder},
}

// RuleFor returns the rules for an exchange type and direction, or nil
// when there are none (charon then refuses the message).
func RuleFor(x ExchangeType, request bool) *MessageRule {
	for i := range messageRules {
		if messageRules[i].Exchange == x && messageRules[i].Request == request {
			return &messageRules[i]
		}
	}
	return nil
}

// rule returns the payload rule for t, or nil.
func (r *MessageRule) rule(t PayloadType) *PayloadRule {
	for i := range r.Rules {
		if r.Rules[i].Type == t {
			return &r.Rules[i]
		}
	}
	return nil
}

// Sort returns ps sorted the way charon's order_payloads sorts a message
// before generating it: for each OrderRule in turn, every remaining payload
// it matches, in their relative order; then the payloads no rule matched,
// in reverse order (charon moves them one by one from the end of its list).
// A builder that adds payloads in any order and calls Sort reproduces
// charon's byte order. ps is not modified.
func (r *MessageRule) Sort(ps []Payload) []Payload {
	out := make([]Payload, 0, len(ps))
	taken := make([]bool, len(ps))
	for _, o := range r.Order {
		for i, p := range ps {
			if taken[i] || p == nil || p.Type() != o.Type {
				continue
			}
			if o.Type == PayloadNotify && o.Notify != 0 {
				if n, ok := p.(*Notify); !ok || n.NotifyType != o.Notify {
					continue
				}
			}
			taken[i] = true
			out = append(out, p)
		}
	}
	for i := len(ps) - 1; i >= 0; i-- {
		if !taken[i] {
			out = append(out, ps[i])
		}
	}
	return out
}
