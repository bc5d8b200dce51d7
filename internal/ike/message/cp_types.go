package message

// CPAttrType is the 15-bit type of a configuration attribute
// (RFC 7296 section 3.15.1 and IANA "IKEv2 Configuration Payload Attribute
// Types"), plus the XAUTH, strongSwan private-use and Cisco Unity numbers
// charon names.
type CPAttrType uint16

// Configuration attribute types.
const (
	CPInternalIP4Address    CPAttrType = 1     // INTERNAL_IP4_ADDRESS
	CPInternalIP4Netmask    CPAttrType = 2     // INTERNAL_IP4_NETMASK
	CPInternalIP4DNS        CPAttrType = 3     // INTERNAL_IP4_DNS
	CPInternalIP4NBNS       CPAttrType = 4     // INTERNAL_IP4_NBNS
	CPInternalAddressExpiry CPAttrType = 5     // INTERNAL_ADDRESS_EXPIRY
	CPInternalIP4DHCP       CPAttrType = 6     // INTERNAL_IP4_DHCP
	CPApplicationVersion    CPAttrType = 7     // APPLICATION_VERSION
	CPInternalIP6Address    CPAttrType = 8     // INTERNAL_IP6_ADDRESS
	CPInternalIP6Netmask    CPAttrType = 9     // INTERNAL_IP6_NETMASK
	CPInternalIP6DNS        CPAttrType = 10    // INTERNAL_IP6_DNS
	CPInternalIP6NBNS       CPAttrType = 11    // INTERNAL_IP6_NBNS
	CPInternalIP6DHCP       CPAttrType = 12    // INTERNAL_IP6_DHCP
	CPInternalIP4Subnet     CPAttrType = 13    // INTERNAL_IP4_SUBNET
	CPSupportedAttributes   CPAttrType = 14    // SUPPORTED_ATTRIBUTES
	CPInternalIP6Subnet     CPAttrType = 15    // INTERNAL_IP6_SUBNET
	CPMIP6HomePrefix        CPAttrType = 16    // MIP6_HOME_PREFIX
	CPInternalIP6Link       CPAttrType = 17    // INTERNAL_IP6_LINK
	CPInternalIP6Prefix     CPAttrType = 18    // INTERNAL_IP6_PREFIX
	CPHomeAgentAddress      CPAttrType = 19    // HOME_AGENT_ADDRESS
	CPPCSCFIP4Address       CPAttrType = 20    // P_CSCF_IP4_ADDRESS
	CPPCSCFIP6Address       CPAttrType = 21    // P_CSCF_IP6_ADDRESS
	CPFTTKAT                CPAttrType = 22    // FTT_KAT
	CPExtSrcIP4NATInfo      CPAttrType = 23    // EXT_SRC_IP4_NAT_INFO
	CPTimeoutPeriodForDPD   CPAttrType = 24    // TIMEOUT_PERIOD_FOR_DPD
	CPInternalDNSDomain     CPAttrType = 25    // INTERNAL_DNS_DOMAIN
	CPInternalDNSSECTA      CPAttrType = 26    // INTERNAL_DNSSEC_TA
	CPXAuthType             CPAttrType = 16520 // XAUTH_TYPE
	CPXAuthUserName         CPAttrType = 16521 // XAUTH_USER_NAME
	CPXAuthUserPassword     CPAttrType = 16522 // XAUTH_USER_PASSWORD
	CPXAuthPasscode         CPAttrType = 16523 // XAUTH_PASSCODE
	CPXAuthMessage          CPAttrType = 16524 // XAUTH_MESSAGE
	CPXAuthChallenge        CPAttrType = 16525 // XAUTH_CHALLENGE
	CPXAuthDomain           CPAttrType = 16526 // XAUTH_DOMAIN
	CPXAuthStatus           CPAttrType = 16527 // XAUTH_STATUS
	CPXAuthNextPIN          CPAttrType = 16528 // XAUTH_NEXT_PIN
	CPXAuthAnswer           CPAttrType = 16529 // XAUTH_ANSWER
	CPInternalIP4Server     CPAttrType = 23456 // INTERNAL_IP4_SERVER
	CPInternalIP6Server     CPAttrType = 23457 // INTERNAL_IP6_SERVER
	CPUnityBanner           CPAttrType = 28672 // UNITY_BANNER
	CPUnitySavePasswd       CPAttrType = 28673 // UNITY_SAVE_PASSWD
	CPUnityDefDomain        CPAttrType = 28674 // UNITY_DEF_DOMAIN
	CPUnitySplitDNSName     CPAttrType = 28675 // UNITY_SPLITDNS_NAME
	CPUnitySplitInclude     CPAttrType = 28676 // UNITY_SPLIT_INCLUDE
	CPUnityNATTPort         CPAttrType = 28677 // UNITY_NATT_PORT
	CPUnityLocalLAN         CPAttrType = 28678 // UNITY_LOCAL_LAN
	CPUnityPFS              CPAttrType = 28679 // UNITY_PFS
	CPUnityFWType           CPAttrType = 28680 // UNITY_FW_TYPE
	CPUnityBackupServers    CPAttrType = 28681 // UNITY_BACKUP_SERVERS
	CPUnityDDNSHostname     CPAttrType = 28682 // UNITY_DDNS_HOSTNAME
)

// cpAttrNames is charon's configuration_attribute_type_names and
// configuration_attribute_type_short_names, sorted by type.
var cpAttrNames = [...]struct {
	t           CPAttrType
	name, short string
}{
	{CPInternalIP4Address, "INTERNAL_IP4_ADDRESS", "ADDR"},
	{CPInternalIP4Netmask, "INTERNAL_IP4_NETMASK", "MASK"},
	{CPInternalIP4DNS, "INTERNAL_IP4_DNS", "DNS"},
	{CPInternalIP4NBNS, "INTERNAL_IP4_NBNS", "NBNS"},
	{CPInternalAddressExpiry, "INTERNAL_ADDRESS_EXPIRY", "EXP"},
	{CPInternalIP4DHCP, "INTERNAL_IP4_DHCP", "DHCP"},
	{CPApplicationVersion, "APPLICATION_VERSION", "VER"},
	{CPInternalIP6Address, "INTERNAL_IP6_ADDRESS", "ADDR6"},
	{CPInternalIP6Netmask, "INTERNAL_IP6_NETMASK", "MASK6"},
	{CPInternalIP6DNS, "INTERNAL_IP6_DNS", "DNS6"},
	{CPInternalIP6NBNS, "INTERNAL_IP6_NBNS", "NBNS6"},
	{CPInternalIP6DHCP, "INTERNAL_IP6_DHCP", "DHCP6"},
	{CPInternalIP4Subnet, "INTERNAL_IP4_SUBNET", "SUBNET"},
	{CPSupportedAttributes, "SUPPORTED_ATTRIBUTES", "SUP"},
	{CPInternalIP6Subnet, "INTERNAL_IP6_SUBNET", "SUBNET6"},
	{CPMIP6HomePrefix, "MIP6_HOME_PREFIX", "MIP6HPFX"},
	{CPInternalIP6Link, "INTERNAL_IP6_LINK", "LINK6"},
	{CPInternalIP6Prefix, "INTERNAL_IP6_PREFIX", "PFX6"},
	{CPHomeAgentAddress, "HOME_AGENT_ADDRESS", "HOA"},
	{CPPCSCFIP4Address, "P_CSCF_IP4_ADDRESS", "PCSCF4"},
	{CPPCSCFIP6Address, "P_CSCF_IP6_ADDRESS", "PCSCF6"},
	{CPFTTKAT, "FTT_KAT", "FTTKAT"},
	{CPExtSrcIP4NATInfo, "EXT_SRC_IP4_NAT_INFO", "EXTSRC4"},
	{CPTimeoutPeriodForDPD, "TIMEOUT_PERIOD_FOR_DPD", "DPD"},
	{CPInternalDNSDomain, "INTERNAL_DNS_DOMAIN", "DOMAIN"},
	{CPInternalDNSSECTA, "INTERNAL_DNSSEC_TA", "TA"},
	{CPXAuthType, "XAUTH_TYPE", "X_TYPE"},
	{CPXAuthUserName, "XAUTH_USER_NAME", "X_USER"},
	{CPXAuthUserPassword, "XAUTH_USER_PASSWORD", "X_PWD"},
	{CPXAuthPasscode, "XAUTH_PASSCODE", "X_CODE"},
	{CPXAuthMessage, "XAUTH_MESSAGE", "X_MSG"},
	{CPXAuthChallenge, "XAUTH_CHALLENGE", "X_CHALL"},
	{CPXAuthDomain, "XAUTH_DOMAIN", "X_DOMAIN"},
	{CPXAuthStatus, "XAUTH_STATUS", "X_STATUS"},
	{CPXAuthNextPIN, "XAUTH_NEXT_PIN", "X_PIN"},
	{CPXAuthAnswer, "XAUTH_ANSWER", "X_ANSWER"},
	{CPInternalIP4Server, "INTERNAL_IP4_SERVER", "SRV"},
	{CPInternalIP6Server, "INTERNAL_IP6_SERVER", "SRV6"},
	{CPUnityBanner, "UNITY_BANNER", "U_BANNER"},
	{CPUnitySavePasswd, "UNITY_SAVE_PASSWD", "U_SAVEPWD"},
	{CPUnityDefDomain, "UNITY_DEF_DOMAIN", "U_DEFDOM"},
	{CPUnitySplitDNSName, "UNITY_SPLITDNS_NAME", "U_SPLITDNS"},
	{CPUnitySplitInclude, "UNITY_SPLIT_INCLUDE", "U_SPLITINC"},
	{CPUnityNATTPort, "UNITY_NATT_PORT", "U_NATTPORT"},
	{CPUnityLocalLAN, "UNITY_LOCAL_LAN", "U_LOCALLAN"},
	{CPUnityPFS, "UNITY_PFS", "U_PFS"},
	{CPUnityFWType, "UNITY_FW_TYPE", "U_FWTYPE"},
	{CPUnityBackupServers, "UNITY_BACKUP_SERVERS", "U_BKPSRV"},
	{CPUnityDDNSHostname, "UNITY_DDNS_HOSTNAME", "U_DDNSHOST"},
}

func lookupCPAttr(t CPAttrType) int {
	lo, hi := 0, len(cpAttrNames)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cpAttrNames[m].t < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(cpAttrNames) && cpAttrNames[lo].t == t {
		return lo
	}
	return -1
}

// String returns charon's long name, e.g. "INTERNAL_IP4_DNS".
func (t CPAttrType) String() string {
	if i := lookupCPAttr(t); i >= 0 {
		return cpAttrNames[i].name
	}
	return unknownName(int(t))
}

// ShortName returns the name used in message summaries, e.g. "DNS".
func (t CPAttrType) ShortName() string {
	if i := lookupCPAttr(t); i >= 0 {
		return cpAttrNames[i].short
	}
	return unknownName(int(t))
}
