package message

// Code below lists every notify message type this package names. The long
// and short names are strongSwan's notify_type_names and
// notify_type_short_names (5.9.8, plus the entries strongSwan 6 added for
// RFC 9242 and RFC 9370 and for the USE_AGGFRAG and SA_RESOURCE_INFO notifies);
// types charon does not name have no short name and print as "(n)", as in charon.

// NotifyType is the Notify Message Type of RFC 7296 section 3.10.1.
type NotifyType uint16

// Notify message types. Values below 16384 are errors, 16384 and above status
// types; values from 8192 to 16383 and from 40960 on are private use.
const (
	NotifyUnsupportedCriticalPayload      NotifyType = 1     // UNSUPPORTED_CRITICAL_PAYLOAD
	NotifyInvalidIKESPI                   NotifyType = 4     // INVALID_IKE_SPI
	NotifyInvalidMajorVersion             NotifyType = 5     // INVALID_MAJOR_VERSION
	NotifyInvalidSyntax                   NotifyType = 7     // INVALID_SYNTAX
	NotifyInvalidMessageID                NotifyType = 9     // INVALID_MESSAGE_ID
	NotifyInvalidSPI                      NotifyType = 11    // INVALID_SPI
	NotifyAttributesNotSupported          NotifyType = 13    // ATTRIBUTES_NOT_SUPPORTED
	NotifyNoProposalChosen                NotifyType = 14    // NO_PROPOSAL_CHOSEN
	NotifyPayloadMalformed                NotifyType = 16    // PAYLOAD_MALFORMED
	NotifyInvalidKEPayload                NotifyType = 17    // INVALID_KE_PAYLOAD
	NotifyInvalidIDInformation            NotifyType = 18    // INVALID_ID_INFORMATION
	NotifyInvalidCertEncoding             NotifyType = 19    // INVALID_CERT_ENCODING
	NotifyInvalidCertificate              NotifyType = 20    // INVALID_CERTIFICATE
	NotifyCertTypeUnsupported             NotifyType = 21    // CERT_TYPE_UNSUPPORTED
	NotifyInvalidCertAuthority            NotifyType = 22    // INVALID_CERT_AUTHORITY
	NotifyInvalidHashInformation          NotifyType = 23    // INVALID_HASH_INFORMATION
	NotifyAuthenticationFailed            NotifyType = 24    // AUTHENTICATION_FAILED
	NotifySinglePairRequired              NotifyType = 34    // SINGLE_PAIR_REQUIRED
	NotifyNoAdditionalSAs                 NotifyType = 35    // NO_ADDITIONAL_SAS
	NotifyInternalAddressFailure          NotifyType = 36    // INTERNAL_ADDRESS_FAILURE
	NotifyFailedCPRequired                NotifyType = 37    // FAILED_CP_REQUIRED
	NotifyTSUnacceptable                  NotifyType = 38    // TS_UNACCEPTABLE
	NotifyInvalidSelectors                NotifyType = 39    // INVALID_SELECTORS
	NotifyUnacceptableAddresses           NotifyType = 40    // UNACCEPTABLE_ADDRESSES
	NotifyUnexpectedNATDetected           NotifyType = 41    // UNEXPECTED_NAT_DETECTED
	NotifyUseAssignedHoA                  NotifyType = 42    // USE_ASSIGNED_HoA
	NotifyTemporaryFailure                NotifyType = 43    // TEMPORARY_FAILURE
	NotifyChildSANotFound                 NotifyType = 44    // CHILD_SA_NOT_FOUND
	NotifyMEConnectFailed                 NotifyType = 8192  // ME_CONNECT_FAILED
	NotifyMSNotifyStatus                  NotifyType = 12345 // MS_NOTIFY_STATUS
	NotifyInitialContact                  NotifyType = 16384 // INITIAL_CONTACT
	NotifySetWindowSize                   NotifyType = 16385 // SET_WINDOW_SIZE
	NotifyAdditionalTSPossible            NotifyType = 16386 // ADDITIONAL_TS_POSSIBLE
	NotifyIPCompSupported                 NotifyType = 16387 // IPCOMP_SUPPORTED
	NotifyNATDetectionSourceIP            NotifyType = 16388 // NAT_DETECTION_SOURCE_IP
	NotifyNATDetectionDestinationIP       NotifyType = 16389 // NAT_DETECTION_DESTINATION_IP
	NotifyCookie                          NotifyType = 16390 // COOKIE
	NotifyUseTransportMode                NotifyType = 16391 // USE_TRANSPORT_MODE
	NotifyHTTPCertLookupSupported         NotifyType = 16392 // HTTP_CERT_LOOKUP_SUPPORTED
	NotifyRekeySA                         NotifyType = 16393 // REKEY_SA
	NotifyESPTFCPaddingNotSupported       NotifyType = 16394 // ESP_TFC_PADDING_NOT_SUPPORTED
	NotifyNonFirstFragmentsAlso           NotifyType = 16395 // NON_FIRST_FRAGMENTS_ALSO
	NotifyMOBIKESupported                 NotifyType = 16396 // MOBIKE_SUPPORTED
	NotifyAdditionalIP4Address            NotifyType = 16397 // ADDITIONAL_IP4_ADDRESS
	NotifyAdditionalIP6Address            NotifyType = 16398 // ADDITIONAL_IP6_ADDRESS
	NotifyNoAdditionalAddresses           NotifyType = 16399 // NO_ADDITIONAL_ADDRESSES
	NotifyUpdateSAAddresses               NotifyType = 16400 // UPDATE_SA_ADDRESSES
	NotifyCookie2                         NotifyType = 16401 // COOKIE2
	NotifyNoNATsAllowed                   NotifyType = 16402 // NO_NATS_ALLOWED
	NotifyAuthLifetime                    NotifyType = 16403 // AUTH_LIFETIME
	NotifyMultipleAuthSupported           NotifyType = 16404 // MULTIPLE_AUTH_SUPPORTED
	NotifyAnotherAuthFollows              NotifyType = 16405 // ANOTHER_AUTH_FOLLOWS
	NotifyRedirectSupported               NotifyType = 16406 // REDIRECT_SUPPORTED
	NotifyRedirect                        NotifyType = 16407 // REDIRECT
	NotifyRedirectedFrom                  NotifyType = 16408 // REDIRECTED_FROM
	NotifyTicketLTOpaque                  NotifyType = 16409 // TICKET_LT_OPAQUE
	NotifyTicketRequest                   NotifyType = 16410 // TICKET_REQUEST
	NotifyTicketAck                       NotifyType = 16411 // TICKET_ACK
	NotifyTicketNack                      NotifyType = 16412 // TICKET_NACK
	NotifyTicketOpaque                    NotifyType = 16413 // TICKET_OPAQUE
	NotifyLinkID                          NotifyType = 16414 // LINK_ID
	NotifyUseWESPMode                     NotifyType = 16415 // USE_WESP_MODE
	NotifyROHCSupported                   NotifyType = 16416 // ROHC_SUPPORTED
	NotifyEAPOnlyAuthentication           NotifyType = 16417 // EAP_ONLY_AUTHENTICATION
	NotifyChildlessIKEv2Supported         NotifyType = 16418 // CHILDLESS_IKEV2_SUPPORTED
	NotifyQuickCrashDetection             NotifyType = 16419 // QUICK_CRASH_DETECTION
	NotifyIKEv2MessageIDSyncSupported     NotifyType = 16420 // IKEV2_MESSAGE_ID_SYNC_SUPPORTED
	NotifyIKEv2ReplayCounterSyncSupported NotifyType = 16421 // IKEV2_REPLAY_COUNTER_SYNC_SUPPORTED
	NotifyIKEv2MessageIDSync              NotifyType = 16422 // IKEV2_MESSAGE_ID_SYNC
	NotifyIPsecReplayCounterSync          NotifyType = 16423 // IPSEC_REPLAY_COUNTER_SYNC
	NotifySecurePasswordMethods           NotifyType = 16424 // SECURE_PASSWORD_METHOD
	NotifyPSKPersist                      NotifyType = 16425 // PSK_PERSIST
	NotifyPSKConfirm                      NotifyType = 16426 // PSK_CONFIRM
	NotifyERXSupported                    NotifyType = 16427 // ERX_SUPPORTED
	NotifyIFOMCapability                  NotifyType = 16428 // IFOM_CAPABILITY
	NotifySenderRequestID                 NotifyType = 16429 // SENDER_REQUEST_ID
	NotifyFragmentationSupported          NotifyType = 16430 // FRAGMENTATION_SUPPORTED
	NotifySignatureHashAlgorithms         NotifyType = 16431 // SIGNATURE_HASH_ALGORITHMS
	NotifyCloneIKESASupported             NotifyType = 16432 // CLONE_IKE_SA_SUPPORTED
	NotifyCloneIKESA                      NotifyType = 16433 // CLONE_IKE_SA
	NotifyPuzzle                          NotifyType = 16434 // PUZZLE
	NotifyUsePPK                          NotifyType = 16435 // USE_PPK
	NotifyPPKIdentity                     NotifyType = 16436 // PPK_IDENTITY
	NotifyNoPPKAuth                       NotifyType = 16437 // NO_PPK_AUTH
	NotifyIntermediateExchangeSupported   NotifyType = 16438 // INTERMEDIATE_EXCHANGE_SUPPORTED
	NotifyIP4Allowed                      NotifyType = 16439 // IP4_ALLOWED
	NotifyIP6Allowed                      NotifyType = 16440 // IP6_ALLOWED
	NotifyAdditionalKeyExchange           NotifyType = 16441 // ADDITIONAL_KEY_EXCHANGE
	NotifyUseAggfrag                      NotifyType = 16442 // USE_AGGFRAG
	NotifySupportedAuthMethods            NotifyType = 16443 // SUPPORTED_AUTH_METHODS
	NotifySAResourceInfo                  NotifyType = 16444 // SA_RESOURCE_INFO
	NotifyInitialContactIKEv1             NotifyType = 24578 // INITIAL_CONTACT
	NotifyDPDRUThere                      NotifyType = 36136 // DPD_R_U_THERE
	NotifyDPDRUThereAck                   NotifyType = 36137 // DPD_R_U_THERE_ACK
	NotifyUnityLoadBalance                NotifyType = 40501 // UNITY_LOAD_BALANCE
	NotifyUseBEETMode                     NotifyType = 40961 // USE_BEET_MODE
	NotifyMEMediation                     NotifyType = 40962 // ME_MEDIATION
	NotifyMEEndpoint                      NotifyType = 40963 // ME_ENDPOINT
	NotifyMECallback                      NotifyType = 40964 // ME_CALLBACK
	NotifyMEConnectID                     NotifyType = 40965 // ME_CONNECTID
	NotifyMEConnectKey                    NotifyType = 40966 // ME_CONNECTKEY
	NotifyMEConnectAuth                   NotifyType = 40967 // ME_CONNECTAUTH
	NotifyMEResponse                      NotifyType = 40968 // ME_RESPONSE
	NotifyRADIUSAttribute                 NotifyType = 40969 // RADIUS_ATTRIBUTE
)

var notifyNames = [...]struct {
	t           NotifyType
	name, short string
}{
	{NotifyUnsupportedCriticalPayload, "UNSUPPORTED_CRITICAL_PAYLOAD", "CRIT"},
	{NotifyInvalidIKESPI, "INVALID_IKE_SPI", "INVAL_IKE_SPI"},
	{NotifyInvalidMajorVersion, "INVALID_MAJOR_VERSION", "INVAL_MAJOR"},
	{NotifyInvalidSyntax, "INVALID_SYNTAX", "INVAL_SYN"},
	{NotifyInvalidMessageID, "INVALID_MESSAGE_ID", "INVAL_MID"},
	{NotifyInvalidSPI, "INVALID_SPI", "INVAL_SPI"},
	{NotifyAttributesNotSupported, "ATTRIBUTES_NOT_SUPPORTED", "ATTR_UNSUP"},
	{NotifyNoProposalChosen, "NO_PROPOSAL_CHOSEN", "NO_PROP"},
	{NotifyPayloadMalformed, "PAYLOAD_MALFORMED", "PLD_MAL"},
	{NotifyInvalidKEPayload, "INVALID_KE_PAYLOAD", "INVAL_KE"},
	{NotifyInvalidIDInformation, "INVALID_ID_INFORMATION", "INVAL_ID"},
	{NotifyInvalidCertEncoding, "INVALID_CERT_ENCODING", "INVAL_CERTEN"},
	{NotifyInvalidCertificate, "INVALID_CERTIFICATE", "INVAL_CERT"},
	{NotifyCertTypeUnsupported, "CERT_TYPE_UNSUPPORTED", "CERT_UNSUP"},
	{NotifyInvalidCertAuthority, "INVALID_CERT_AUTHORITY", "INVAL_CA"},
	{NotifyInvalidHashInformation, "INVALID_HASH_INFORMATION", "INVAL_HASH"},
	{NotifyAuthenticationFailed, "AUTHENTICATION_FAILED", "AUTH_FAILED"},
	{NotifySinglePairRequired, "SINGLE_PAIR_REQUIRED", "SINGLE_PAIR"},
	{NotifyNoAdditionalSAs, "NO_ADDITIONAL_SAS", "NO_ADD_SAS"},
	{NotifyInternalAddressFailure, "INTERNAL_ADDRESS_FAILURE", "INT_ADDR_FAIL"},
	{NotifyFailedCPRequired, "FAILED_CP_REQUIRED", "FAIL_CP_REQ"},
	{NotifyTSUnacceptable, "TS_UNACCEPTABLE", "TS_UNACCEPT"},
	{NotifyInvalidSelectors, "INVALID_SELECTORS", "INVAL_SEL"},
	{NotifyUnacceptableAddresses, "UNACCEPTABLE_ADDRESSES", "UNACCEPT_ADDR"},
	{NotifyUnexpectedNATDetected, "UNEXPECTED_NAT_DETECTED", "UNEXPECT_NAT"},
	{NotifyUseAssignedHoA, "USE_ASSIGNED_HoA", "ASSIGNED_HoA"},
	{NotifyTemporaryFailure, "TEMPORARY_FAILURE", "TEMP_FAIL"},
	{NotifyChildSANotFound, "CHILD_SA_NOT_FOUND", "NO_CHILD_SA"},
	{NotifyMEConnectFailed, "ME_CONNECT_FAILED", "ME_CONN_FAIL"},
	{NotifyMSNotifyStatus, "MS_NOTIFY_STATUS", "MS_STATUS"},
	{NotifyInitialContact, "INITIAL_CONTACT", "INIT_CONTACT"},
	{NotifySetWindowSize, "SET_WINDOW_SIZE", "SET_WINSIZE"},
	{NotifyAdditionalTSPossible, "ADDITIONAL_TS_POSSIBLE", "ADD_TS_POSS"},
	{NotifyIPCompSupported, "IPCOMP_SUPPORTED", "IPCOMP_SUP"},
	{NotifyNATDetectionSourceIP, "NAT_DETECTION_SOURCE_IP", "NATD_S_IP"},
	{NotifyNATDetectionDestinationIP, "NAT_DETECTION_DESTINATION_IP", "NATD_D_IP"},
	{NotifyCookie, "COOKIE", "COOKIE"},
	{NotifyUseTransportMode, "USE_TRANSPORT_MODE", "USE_TRANSP"},
	{NotifyHTTPCertLookupSupported, "HTTP_CERT_LOOKUP_SUPPORTED", "HTTP_CERT_LOOK"},
	{NotifyRekeySA, "REKEY_SA", "REKEY_SA"},
	{NotifyESPTFCPaddingNotSupported, "ESP_TFC_PADDING_NOT_SUPPORTED", "ESP_TFC_PAD_N"},
	{NotifyNonFirstFragmentsAlso, "NON_FIRST_FRAGMENTS_ALSO", "NON_FIRST_FRAG"},
	{NotifyMOBIKESupported, "MOBIKE_SUPPORTED", "MOBIKE_SUP"},
	{NotifyAdditionalIP4Address, "ADDITIONAL_IP4_ADDRESS", "ADD_4_ADDR"},
	{NotifyAdditionalIP6Address, "ADDITIONAL_IP6_ADDRESS", "ADD_6_ADDR"},
	{NotifyNoAdditionalAddresses, "NO_ADDITIONAL_ADDRESSES", "NO_ADD_ADDR"},
	{NotifyUpdateSAAddresses, "UPDATE_SA_ADDRESSES", "UPD_SA_ADDR"},
	{NotifyCookie2, "COOKIE2", "COOKIE2"},
	{NotifyNoNATsAllowed, "NO_NATS_ALLOWED", "NO_NATS"},
	{NotifyAuthLifetime, "AUTH_LIFETIME", "AUTH_LFT"},
	{NotifyMultipleAuthSupported, "MULTIPLE_AUTH_SUPPORTED", "MULT_AUTH"},
	{NotifyAnotherAuthFollows, "ANOTHER_AUTH_FOLLOWS", "AUTH_FOLLOWS"},
	{NotifyRedirectSupported, "REDIRECT_SUPPORTED", "REDIR_SUP"},
	{NotifyRedirect, "REDIRECT", "REDIR"},
	{NotifyRedirectedFrom, "REDIRECTED_FROM", "REDIR_FROM"},
	{NotifyTicketLTOpaque, "TICKET_LT_OPAQUE", "TKT_LT_OPAK"},
	{NotifyTicketRequest, "TICKET_REQUEST", "TKT_REQ"},
	{NotifyTicketAck, "TICKET_ACK", "TKT_ACK"},
	{NotifyTicketNack, "TICKET_NACK", "TKT_NACK"},
	{NotifyTicketOpaque, "TICKET_OPAQUE", "TKT_OPAK"},
	{NotifyLinkID, "LINK_ID", "LINK_ID"},
	{NotifyUseWESPMode, "USE_WESP_MODE", "WESP_MODE"},
	{NotifyROHCSupported, "ROHC_SUPPORTED", "ROHC_SUP"},
	{NotifyEAPOnlyAuthentication, "EAP_ONLY_AUTHENTICATION", "EAP_ONLY"},
	{NotifyChildlessIKEv2Supported, "CHILDLESS_IKEV2_SUPPORTED", "CHDLESS_SUP"},
	{NotifyQuickCrashDetection, "QUICK_CRASH_DETECTION", "CRASH_DET"},
	{NotifyIKEv2MessageIDSyncSupported, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", "MSG_ID_SYN_SUP"},
	{NotifyIKEv2ReplayCounterSyncSupported, "IKEV2_REPLAY_COUNTER_SYNC_SUPPORTED", "RPL_CTR_SYN_SUP"},
	{NotifyIKEv2MessageIDSync, "IKEV2_MESSAGE_ID_SYNC", "MSG_ID_SYN"},
	{NotifyIPsecReplayCounterSync, "IPSEC_REPLAY_COUNTER_SYNC", "RPL_CTR_SYN"},
	{NotifySecurePasswordMethods, "SECURE PASSWORD_METHOD", "SEC_PASSWD"},
	{NotifyPSKPersist, "PSK_PERSIST", "PSK_PST"},
	{NotifyPSKConfirm, "PSK_CONFIRM", "PSK_CFM"},
	{NotifyERXSupported, "ERX_SUPPORTED", "ERX_SUP"},
	{NotifyIFOMCapability, "IFOM_CAPABILITY", "IFOM_CAP"},
	{NotifySenderRequestID, "SENDER_REQUEST_ID", "SENDER_REQ_ID"},
	{NotifyFragmentationSupported, "FRAGMENTATION_SUPPORTED", "FRAG_SUP"},
	{NotifySignatureHashAlgorithms, "SIGNATURE_HASH_ALGORITHMS", "HASH_ALG"},
	{NotifyCloneIKESASupported, "CLONE_IKE_SA_SUPPORTED", ""},
	{NotifyCloneIKESA, "CLONE_IKE_SA", ""},
	{NotifyPuzzle, "PUZZLE", ""},
	{NotifyUsePPK, "USE_PPK", "USE_PPK"},
	{NotifyPPKIdentity, "PPK_IDENTITY", "PPK_ID"},
	{NotifyNoPPKAuth, "NO_PPK_AUTH", "NO_PPK"},
	{NotifyIntermediateExchangeSupported, "INTERMEDIATE_EXCHANGE_SUPPORTED", "IKE_INT_SUP"},
	{NotifyIP4Allowed, "IP4_ALLOWED", ""},
	{NotifyIP6Allowed, "IP6_ALLOWED", ""},
	{NotifyAdditionalKeyExchange, "ADDITIONAL_KEY_EXCHANGE", "ADD_KE"},
	{NotifyUseAggfrag, "USE_AGGFRAG", "AGGFRAG"},
	{NotifySupportedAuthMethods, "SUPPORTED_AUTH_METHODS", ""},
	{NotifySAResourceInfo, "SA_RESOURCE_INFO", "RES_INFO"},
	{NotifyInitialContactIKEv1, "INITIAL_CONTACT", "INITIAL_CONTACT"},
	{NotifyDPDRUThere, "DPD_R_U_THERE", "DPD"},
	{NotifyDPDRUThereAck, "DPD_R_U_THERE_ACK", "DPD_ACK"},
	{NotifyUnityLoadBalance, "UNITY_LOAD_BALANCE", "UNITY_LB"},
	{NotifyUseBEETMode, "USE_BEET_MODE", "BEET_MODE"},
	{NotifyMEMediation, "ME_MEDIATION", "ME_MED"},
	{NotifyMEEndpoint, "ME_ENDPOINT", "ME_EP"},
	{NotifyMECallback, "ME_CALLBACK", "ME_CB"},
	{NotifyMEConnectID, "ME_CONNECTID", "ME_CID"},
	{NotifyMEConnectKey, "ME_CONNECTKEY", "ME_CKEY"},
	{NotifyMEConnectAuth, "ME_CONNECTAUTH", "ME_CAUTH"},
	{NotifyMEResponse, "ME_RESPONSE", "ME_R"},
	{NotifyRADIUSAttribute, "RADIUS_ATTRIBUTE", "RADIUS"},
}

// lookupNotify finds t in the sorted notifyNames table.
func lookupNotify(t NotifyType) int {
	lo, hi := 0, len(notifyNames)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if notifyNames[m].t < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(notifyNames) && notifyNames[lo].t == t {
		return lo
	}
	return -1
}

// String returns the long name (charon's notify_type_names), e.g.
// "NAT_DETECTION_SOURCE_IP"; unnamed values print as "(n)".
func (t NotifyType) String() string {
	if i := lookupNotify(t); i >= 0 {
		return notifyNames[i].name
	}
	return unknownName(int(t))
}

// ShortName returns the name used in message summaries (charon's
// notify_type_short_names), e.g. "NATD_S_IP"; types without a short name
// print as "(n)", exactly as charon prints them.
func (t NotifyType) ShortName() string {
	if i := lookupNotify(t); i >= 0 && notifyNames[i].short != "" {
		return notifyNames[i].short
	}
	return unknownName(int(t))
}

// IsError reports whether t is an error type (below 16384), which RFC 7296
// section 3.10.1 says terminates processing when not understood.
func (t NotifyType) IsError() bool { return t < 16384 }
