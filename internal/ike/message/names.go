package message

import "strconv"

// unknownName renders a value that has no name the way strongSwan's %N
// printf hook does: the decimal number in parentheses.
func unknownName(v int) string {
	return "(" + strconv.Itoa(v) + ")"
}

// PayloadType is the one-octet payload type code of RFC 7296 section 3.2
// (IANA "IKEv2 Payload Types").
type PayloadType uint8

// Payload types. Types 49-52 are defined for group key management (G-IKEv2)
// and are not understood here: they are kept as Unknown payloads.
const (
	PayloadNone     PayloadType = 0
	PayloadSA       PayloadType = 33 // Security Association
	PayloadKE       PayloadType = 34 // Key Exchange
	PayloadIDi      PayloadType = 35 // Identification - Initiator
	PayloadIDr      PayloadType = 36 // Identification - Responder
	PayloadCert     PayloadType = 37 // Certificate
	PayloadCertReq  PayloadType = 38 // Certificate Request
	PayloadAuth     PayloadType = 39 // Authentication
	PayloadNonce    PayloadType = 40 // Nonce
	PayloadNotify   PayloadType = 41 // Notify
	PayloadDelete   PayloadType = 42 // Delete
	PayloadVendorID PayloadType = 43 // Vendor ID
	PayloadTSi      PayloadType = 44 // Traffic Selector - Initiator
	PayloadTSr      PayloadType = 45 // Traffic Selector - Responder
	PayloadSK       PayloadType = 46 // Encrypted and Authenticated
	PayloadCP       PayloadType = 47 // Configuration
	PayloadEAP      PayloadType = 48 // Extensible Authentication
	PayloadGSPM     PayloadType = 49 // Generic Secure Password Methods (RFC 6467)
	PayloadIDg      PayloadType = 50 // Group Identification
	PayloadGSA      PayloadType = 51 // Group Security Association
	PayloadKD       PayloadType = 52 // Key Download
	PayloadSKF      PayloadType = 53 // Encrypted and Authenticated Fragment (RFC 7383)
	PayloadPS       PayloadType = 54 // Puzzle Solution (RFC 8019)
)

// payloadNames holds strongSwan's payload_type_names (long form) and
// payloadShortNames its payload_type_short_names, indexed by type code.
// The IKEv1 and private-use entries are there because charon's tables have
// them; in an IKEv2 message those codes are unknown payloads.
var payloadNames, payloadShortNames [256]string

func init() {
	type pn struct {
		t           uint8
		name, short string
	}
	for _, e := range []pn{
		{0, "PL_NONE", "--"},
		{1, "SECURITY_ASSOCIATION_V1", "SA"},
		{2, "PROPOSAL_V1", "PROP"},
		{3, "TRANSFORM_V1", "TRANS"},
		{4, "KEY_EXCHANGE_V1", "KE"},
		{5, "ID_V1", "ID"},
		{6, "CERTIFICATE_V1", "CERT"},
		{7, "CERTREQ_V1", "CERTREQ"},
		{8, "HASH_V1", "HASH"},
		{9, "SIGNATURE_V1", "SIG"},
		{10, "NONCE_V1", "No"},
		{11, "NOTIFY_V1", "N"},
		{12, "DELETE_V1", "D"},
		{13, "VENDOR_ID_V1", "V"},
		{14, "CONFIGURATION_V1", "CP"},
		{20, "NAT_D_V1", "NAT-D"},
		{21, "NAT_OA_V1", "NAT-OA"},
		{33, "SECURITY_ASSOCIATION", "SA"},
		{34, "KEY_EXCHANGE", "KE"},
		{35, "ID_INITIATOR", "IDi"},
		{36, "ID_RESPONDER", "IDr"},
		{37, "CERTIFICATE", "CERT"},
		{38, "CERTREQ", "CERTREQ"},
		{39, "AUTH", "AUTH"},
		{40, "NONCE", "No"},
		{41, "NOTIFY", "N"},
		{42, "DELETE", "D"},
		{43, "VENDOR_ID", "V"},
		{44, "TS_INITIATOR", "TSi"},
		{45, "TS_RESPONDER", "TSr"},
		{46, "ENCRYPTED", "E"},
		{47, "CONFIGURATION", "CP"},
		{48, "EAP", "EAP"},
		{49, "GSPM", "GSPM"},
		{50, "GROUP_ID", "IDg"},
		{51, "GROUP_SECURITY_ASSOCIATION", "GSA"},
		{52, "KEY_DOWNLOAD", "KD"},
		{53, "ENCRYPTED_FRAGMENT", "EF"},
		{130, "NAT_D_DRAFT_V1", "NAT-D"},
		{131, "NAT_OA_DRAFT_V1", "NAT-OA"},
		{132, "FRAGMENT", "FRAG"},
	} {
		payloadNames[e.t] = e.name
		payloadShortNames[e.t] = e.short
	}
}

// String returns charon's long name (payload_type_names), e.g. "NOTIFY".
func (t PayloadType) String() string {
	if s := payloadNames[t]; s != "" {
		return s
	}
	return unknownName(int(t))
}

// ShortName returns charon's short name (payload_type_short_names) as used
// in message summaries, e.g. "N" or "IDi".
func (t PayloadType) ShortName() string {
	if s := payloadShortNames[t]; s != "" {
		return s
	}
	return unknownName(int(t))
}

// known reports whether the type is parsed into a typed payload (charon's
// payload_is_known for IKEv2: 33..48 and 53).
func (t PayloadType) known() bool {
	return (t >= PayloadSA && t <= PayloadEAP) || t == PayloadSKF
}

// ExchangeType is the exchange type of the IKE header (RFC 7296 section 3.1).
type ExchangeType uint8

// Exchange types.
const (
	ExchangeIKESAInit        ExchangeType = 34
	ExchangeIKEAuth          ExchangeType = 35
	ExchangeCreateChildSA    ExchangeType = 36
	ExchangeInformational    ExchangeType = 37
	ExchangeIKESessionResume ExchangeType = 38  // RFC 5723
	ExchangeIKEIntermediate  ExchangeType = 43  // RFC 9242
	ExchangeIKEFollowupKE    ExchangeType = 44  // RFC 9370
	ExchangeMEConnect        ExchangeType = 240 // strongSwan mediation, private use
	ExchangeUndefined        ExchangeType = 255 // strongSwan's "not set"
)

// String returns the name charon prints (exchange_type_names), e.g.
// "IKE_SA_INIT"; unnamed values print as "(n)". IKE_INTERMEDIATE and
// IKE_FOLLOWUP_KE are named as strongSwan 6 names them (5.9.8 does not know
// them).
func (x ExchangeType) String() string {
	switch x {
	case 2:
		return "ID_PROT"
	case 3:
		return "AUTH_ONLY"
	case 4:
		return "AGGRESSIVE"
	case 5:
		return "INFORMATIONAL_V1"
	case 6:
		return "TRANSACTION"
	case 32:
		return "QUICK_MODE"
	case 33:
		return "NEW_GROUP_MODE"
	case ExchangeIKESAInit:
		return "IKE_SA_INIT"
	case ExchangeIKEAuth:
		return "IKE_AUTH"
	case ExchangeCreateChildSA:
		return "CREATE_CHILD_SA"
	case ExchangeInformational:
		return "INFORMATIONAL"
	case ExchangeIKESessionResume:
		return "IKE_SESSION_RESUME"
	case ExchangeIKEIntermediate:
		return "IKE_INTERMEDIATE"
	case ExchangeIKEFollowupKE:
		return "IKE_FOLLOWUP_KE"
	case ExchangeMEConnect:
		return "ME_CONNECT"
	case ExchangeUndefined:
		return "EXCHANGE_TYPE_UNDEFINED"
	}
	return unknownName(int(x))
}

// ProtocolID is the protocol of a proposal, notify or delete payload
// (RFC 7296 section 3.3.1, RFC 4595 for the Fibre Channel values).
type ProtocolID uint8

// Protocol IDs.
const (
	ProtoNone               ProtocolID = 0
	ProtoIKE                ProtocolID = 1
	ProtoAH                 ProtocolID = 2
	ProtoESP                ProtocolID = 3
	ProtoFCESPHeader        ProtocolID = 4 // RFC 4595; strongSwan treats 4 as IPComp (IKEv1)
	ProtoFCCTAuthentication ProtocolID = 5 // RFC 4595 FC_CT_AUTHENTICATION
)

// String returns charon's name (protocol_id_names) for 0..4, e.g. "ESP".
func (p ProtocolID) String() string {
	switch p {
	case ProtoNone:
		return "PROTO_NONE"
	case ProtoIKE:
		return "IKE"
	case ProtoAH:
		return "AH"
	case ProtoESP:
		return "ESP"
	case ProtoFCESPHeader:
		return "IPCOMP"
	}
	return unknownName(int(p))
}

// TransformType is the transform type of RFC 7296 section 3.3.2 and
// RFC 9370 section 2.2.
type TransformType uint8

// Transform types.
const (
	TransformENCR   TransformType = 1  // Encryption Algorithm
	TransformPRF    TransformType = 2  // Pseudo-random Function
	TransformINTEG  TransformType = 3  // Integrity Algorithm
	TransformKE     TransformType = 4  // Key Exchange Method (formerly D-H group)
	TransformESN    TransformType = 5  // Extended Sequence Numbers (RFC 9827: Sequence Numbers)
	TransformADDKE1 TransformType = 6  // Additional Key Exchange 1 (RFC 9370)
	TransformADDKE2 TransformType = 7  // Additional Key Exchange 2
	TransformADDKE3 TransformType = 8  // Additional Key Exchange 3
	TransformADDKE4 TransformType = 9  // Additional Key Exchange 4
	TransformADDKE5 TransformType = 10 // Additional Key Exchange 5
	TransformADDKE6 TransformType = 11 // Additional Key Exchange 6
	TransformADDKE7 TransformType = 12 // Additional Key Exchange 7
)

// TransformDH is the RFC 7296 name of TransformKE.
const TransformDH = TransformKE

var transformTypeNames = [...]string{
	1:  "ENCRYPTION_ALGORITHM",
	2:  "PSEUDO_RANDOM_FUNCTION",
	3:  "INTEGRITY_ALGORITHM",
	4:  "KEY_EXCHANGE_METHOD",
	5:  "EXTENDED_SEQUENCE_NUMBERS",
	6:  "ADDITIONAL_KEY_EXCHANGE_1",
	7:  "ADDITIONAL_KEY_EXCHANGE_2",
	8:  "ADDITIONAL_KEY_EXCHANGE_3",
	9:  "ADDITIONAL_KEY_EXCHANGE_4",
	10: "ADDITIONAL_KEY_EXCHANGE_5",
	11: "ADDITIONAL_KEY_EXCHANGE_6",
	12: "ADDITIONAL_KEY_EXCHANGE_7",
}

// String returns strongSwan's transform_type_names entry, e.g.
// "ENCRYPTION_ALGORITHM".
func (t TransformType) String() string {
	if int(t) < len(transformTypeNames) && transformTypeNames[t] != "" {
		return transformTypeNames[t]
	}
	return unknownName(int(t))
}

// AttrKeyLength is the only transform attribute type RFC 7296 defines
// (section 3.3.5); it is always sent in TV form.
const AttrKeyLength uint16 = 14

// IDType is the ID type of an IDi/IDr payload (RFC 7296 section 3.5).
type IDType uint8

// ID types.
const (
	IDIPv4Addr   IDType = 1
	IDFQDN       IDType = 2
	IDRFC822Addr IDType = 3
	IDIPv6Addr   IDType = 5
	IDDERASN1DN  IDType = 9
	IDDERASN1GN  IDType = 10
	IDKeyID      IDType = 11
	IDFCName     IDType = 12 // RFC 4595
	IDNull       IDType = 13 // RFC 7619
)

// String returns strongSwan's id_type_names entry, e.g. "ID_FQDN", plus
// ID_FC_NAME and ID_NULL.
func (t IDType) String() string {
	switch t {
	case 0:
		return "ID_ANY"
	case IDIPv4Addr:
		return "ID_IPV4_ADDR"
	case IDFQDN:
		return "ID_FQDN"
	case IDRFC822Addr:
		return "ID_RFC822_ADDR"
	case 4:
		return "ID_IPV4_ADDR_SUBNET"
	case IDIPv6Addr:
		return "ID_IPV6_ADDR"
	case 6:
		return "ID_IPV6_ADDR_SUBNET"
	case 7:
		return "ID_IPV4_ADDR_RANGE"
	case 8:
		return "ID_IPV6_ADDR_RANGE"
	case IDDERASN1DN:
		return "ID_DER_ASN1_DN"
	case IDDERASN1GN:
		return "ID_DER_ASN1_GN"
	case IDKeyID:
		return "ID_KEY_ID"
	case IDFCName:
		return "ID_FC_NAME"
	case IDNull:
		return "ID_NULL"
	}
	return unknownName(int(t))
}

// CertEncoding is the encoding of a CERT or CERTREQ payload
// (RFC 7296 section 3.6).
type CertEncoding uint8

// Certificate encodings.
const (
	CertPKCS7WrappedX509     CertEncoding = 1
	CertPGP                  CertEncoding = 2
	CertDNSSignedKey         CertEncoding = 3
	CertX509Signature        CertEncoding = 4
	CertKerberosToken        CertEncoding = 6
	CertCRL                  CertEncoding = 7
	CertARL                  CertEncoding = 8
	CertSPKI                 CertEncoding = 9
	CertX509Attribute        CertEncoding = 10
	CertRawRSAKey            CertEncoding = 11
	CertHashAndURLX509       CertEncoding = 12
	CertHashAndURLX509Bundle CertEncoding = 13
	CertOCSPContent          CertEncoding = 14 // RFC 4806
	CertRawPublicKey         CertEncoding = 15 // RFC 7670
)

var certEncodingNames = [...]string{
	1:  "ENC_PKCS7_WRAPPED_X509",
	2:  "ENC_PGP",
	3:  "ENC_DNS_SIGNED_KEY",
	4:  "ENC_X509_SIGNATURE",
	5:  "ENC_X509_KEY_EXCHANGE",
	6:  "ENC_KERBEROS_TOKENS",
	7:  "ENC_CRL",
	8:  "ENC_ARL",
	9:  "ENC_SPKI",
	10: "ENC_X509_ATTRIBUTE",
	11: "ENC_RAW_RSA_KEY",
	12: "ENC_X509_HASH_AND_URL",
	13: "ENC_X509_HASH_AND_URL_BUNDLE",
	14: "ENC_OCSP_CONTENT",
	15: "ENC_RAW_PUBLIC_KEY",
}

// String returns strongSwan's cert_encoding_names entry, e.g.
// "ENC_X509_SIGNATURE".
func (e CertEncoding) String() string {
	if int(e) < len(certEncodingNames) && certEncodingNames[e] != "" {
		return certEncodingNames[e]
	}
	return unknownName(int(e))
}

// AuthMethod is the method of an AUTH payload (RFC 7296 section 3.8,
// RFC 7427 for method 14).
type AuthMethod uint8

// Authentication methods.
const (
	AuthRSA      AuthMethod = 1  // RSA Digital Signature (PKCS#1 v1.5, SHA-1)
	AuthPSK      AuthMethod = 2  // Shared Key Message Integrity Code
	AuthDSS      AuthMethod = 3  // DSS Digital Signature
	AuthECDSA256 AuthMethod = 9  // RFC 4754
	AuthECDSA384 AuthMethod = 10 // RFC 4754
	AuthECDSA521 AuthMethod = 11 // RFC 4754
	AuthGSPM     AuthMethod = 12 // RFC 6467
	AuthNull     AuthMethod = 13 // RFC 7619
	AuthDS       AuthMethod = 14 // Digital Signature, RFC 7427
)

// String returns strongSwan's auth_method_names entry, e.g.
// "pre-shared key" or "digital signature".
func (a AuthMethod) String() string {
	switch a {
	case AuthRSA:
		return "RSA signature"
	case AuthPSK:
		return "pre-shared key"
	case AuthDSS:
		return "DSS signature"
	case AuthECDSA256:
		return "ECDSA-256 signature"
	case AuthECDSA384:
		return "ECDSA-384 signature"
	case AuthECDSA521:
		return "ECDSA-521 signature"
	case AuthGSPM:
		return "secure password method"
	case AuthNull:
		return "NULL authentication"
	case AuthDS:
		return "digital signature"
	}
	return unknownName(int(a))
}

// TSType is the type of a traffic selector (RFC 7296 section 3.13.1).
type TSType uint8

// Traffic selector types.
const (
	TSIPv4AddrRange TSType = 7
	TSIPv6AddrRange TSType = 8
	TSSecLabel      TSType = 10 // RFC 9478; kept in raw form
)

// String returns strongSwan's ts_type_name entry.
func (t TSType) String() string {
	switch t {
	case TSIPv4AddrRange:
		return "TS_IPV4_ADDR_RANGE"
	case TSIPv6AddrRange:
		return "TS_IPV6_ADDR_RANGE"
	case TSSecLabel:
		return "TS_SECLABEL"
	}
	return unknownName(int(t))
}

// CfgType is the CFG type of a CP payload (RFC 7296 section 3.15).
type CfgType uint8

// Configuration payload types.
const (
	CfgRequest CfgType = 1
	CfgReply   CfgType = 2
	CfgSet     CfgType = 3
	CfgAck     CfgType = 4
)

// String returns strongSwan's config_type_names entry, e.g. "CFG_REQUEST".
func (c CfgType) String() string {
	switch c {
	case CfgRequest:
		return "CFG_REQUEST"
	case CfgReply:
		return "CFG_REPLY"
	case CfgSet:
		return "CFG_SET"
	case CfgAck:
		return "CFG_ACK"
	}
	return unknownName(int(c))
}

// summaryPrefix is what message.c's get_string prints between "CP" and the
// first attribute.
func (c CfgType) summaryPrefix() string {
	switch c {
	case CfgRequest:
		return "RQ("
	case CfgReply:
		return "RP("
	case CfgSet:
		return "S("
	case CfgAck:
		return "A("
	}
	return "("
}
