package config

import (
	"sort"
	"strings"
)

// kwID identifies an ipsec.conf keyword; aliases share an ID.
type kwID uint8

const (
	_ kwID = iota

	// config setup
	kwCharonDebug
	kwUniqueIDs
	kwCacheCRLs
	kwStrictCRLPolicy
	kwSetupDeprecated
	kwPKCS11Deprecated

	// conn
	kwAuto
	kwKeyExchange
	kwType
	kwCompress
	kwInstallPolicy
	kwAggressive
	kwAuthBy
	kwEAPIdentity
	kwAAAIdentity
	kwMobike
	kwForceEncaps
	kwFragmentation
	kwIKEDSCP
	kwIKELifetime
	kwLifetime
	kwRekeyMargin
	kwLifeBytes
	kwMarginBytes
	kwLifePackets
	kwMarginPackets
	kwKeyingTries
	kwRekeyFuzz
	kwRekey
	kwReauth
	kwIKE
	kwESP
	kwAH
	kwDPDDelay
	kwDPDTimeout
	kwDPDAction
	kwCloseAction
	kwSHA256_96
	kwInactivity
	kwModeConfig
	kwXAuth
	kwXAuthIdentity
	kwMediation
	kwMediatedBy
	kwMEPeerID
	kwReqID
	kwReplayWindow
	kwMark
	kwMarkIn
	kwMarkOut
	kwTFC
	kwPFSDeprecated
	kwConnDeprecated

	// ca
	kwCACert
	kwCRLURI
	kwCRLURI2
	kwOCSPURI
	kwOCSPURI2
	kwCertURIBase
	kwCADeprecated

	// left|right
	kwHost
	kwIKEPort
	kwSubnet
	kwProtoPort
	kwSourceIP
	kwDNS
	kwFirewall
	kwHostAccess
	kwAllowAny
	kwUpdown
	kwAuth
	kwAuth2
	kwIdent
	kwIdent2
	kwSigKey
	kwCert
	kwCert2
	kwCertPolicy
	kwSendCert
	kwCA
	kwCA2
	kwGroups
	kwGroups2
	kwEndDeprecated
)

// kwScope is where a keyword may appear.
type kwScope uint8

const (
	scopeSetup kwScope = iota + 1
	scopeConn
	scopeCA
	scopeEnd  // leftX / rightX, conn sections only
	scopeAuto // auto=, conn and ca sections
)

type kwInfo struct {
	id    kwID
	scope kwScope
	canon string // canonical spelling (aliases map to it); for ends without left/right
}

// keywords lists every keyword strongSwan 5.9's starter knows
// (src/starter/keywords.txt), except the left/right ones in endKeywords.
var keywords = map[string]kwInfo{
	"charondebug":     {kwCharonDebug, scopeSetup, "charondebug"},
	"uniqueids":       {kwUniqueIDs, scopeSetup, "uniqueids"},
	"cachecrls":       {kwCacheCRLs, scopeSetup, "cachecrls"},
	"strictcrlpolicy": {kwStrictCRLPolicy, scopeSetup, "strictcrlpolicy"},

	"auto":           {kwAuto, scopeAuto, "auto"},
	"keyexchange":    {kwKeyExchange, scopeConn, "keyexchange"},
	"type":           {kwType, scopeConn, "type"},
	"compress":       {kwCompress, scopeConn, "compress"},
	"installpolicy":  {kwInstallPolicy, scopeConn, "installpolicy"},
	"aggressive":     {kwAggressive, scopeConn, "aggressive"},
	"authby":         {kwAuthBy, scopeConn, "authby"},
	"eap_identity":   {kwEAPIdentity, scopeConn, "eap_identity"},
	"aaa_identity":   {kwAAAIdentity, scopeConn, "aaa_identity"},
	"mobike":         {kwMobike, scopeConn, "mobike"},
	"forceencaps":    {kwForceEncaps, scopeConn, "forceencaps"},
	"fragmentation":  {kwFragmentation, scopeConn, "fragmentation"},
	"ikedscp":        {kwIKEDSCP, scopeConn, "ikedscp"},
	"ikelifetime":    {kwIKELifetime, scopeConn, "ikelifetime"},
	"lifetime":       {kwLifetime, scopeConn, "lifetime"},
	"keylife":        {kwLifetime, scopeConn, "lifetime"},
	"rekeymargin":    {kwRekeyMargin, scopeConn, "rekeymargin"},
	"margintime":     {kwRekeyMargin, scopeConn, "rekeymargin"},
	"lifebytes":      {kwLifeBytes, scopeConn, "lifebytes"},
	"marginbytes":    {kwMarginBytes, scopeConn, "marginbytes"},
	"lifepackets":    {kwLifePackets, scopeConn, "lifepackets"},
	"marginpackets":  {kwMarginPackets, scopeConn, "marginpackets"},
	"keyingtries":    {kwKeyingTries, scopeConn, "keyingtries"},
	"rekeyfuzz":      {kwRekeyFuzz, scopeConn, "rekeyfuzz"},
	"rekey":          {kwRekey, scopeConn, "rekey"},
	"reauth":         {kwReauth, scopeConn, "reauth"},
	"ike":            {kwIKE, scopeConn, "ike"},
	"esp":            {kwESP, scopeConn, "esp"},
	"ah":             {kwAH, scopeConn, "ah"},
	"dpddelay":       {kwDPDDelay, scopeConn, "dpddelay"},
	"dpdtimeout":     {kwDPDTimeout, scopeConn, "dpdtimeout"},
	"dpdaction":      {kwDPDAction, scopeConn, "dpdaction"},
	"closeaction":    {kwCloseAction, scopeConn, "closeaction"},
	"sha256_96":      {kwSHA256_96, scopeConn, "sha256_96"},
	"inactivity":     {kwInactivity, scopeConn, "inactivity"},
	"modeconfig":     {kwModeConfig, scopeConn, "modeconfig"},
	"xauth":          {kwXAuth, scopeConn, "xauth"},
	"xauth_identity": {kwXAuthIdentity, scopeConn, "xauth_identity"},
	"mediation":      {kwMediation, scopeConn, "mediation"},
	"mediated_by":    {kwMediatedBy, scopeConn, "mediated_by"},
	"me_peerid":      {kwMEPeerID, scopeConn, "me_peerid"},
	"reqid":          {kwReqID, scopeConn, "reqid"},
	"replay_window":  {kwReplayWindow, scopeConn, "replay_window"},
	"mark":           {kwMark, scopeConn, "mark"},
	"mark_in":        {kwMarkIn, scopeConn, "mark_in"},
	"mark_out":       {kwMarkOut, scopeConn, "mark_out"},
	"tfc":            {kwTFC, scopeConn, "tfc"},

	"cacert":      {kwCACert, scopeCA, "cacert"},
	"crluri":      {kwCRLURI, scopeCA, "crluri"},
	"crluri1":     {kwCRLURI, scopeCA, "crluri"},
	"crluri2":     {kwCRLURI2, scopeCA, "crluri2"},
	"ocspuri":     {kwOCSPURI, scopeCA, "ocspuri"},
	"ocspuri1":    {kwOCSPURI, scopeCA, "ocspuri"},
	"ocspuri2":    {kwOCSPURI2, scopeCA, "ocspuri2"},
	"certuribase": {kwCertURIBase, scopeCA, "certuribase"},

	// removed keywords: starter warns and ignores them
	"interfaces":       {kwSetupDeprecated, scopeSetup, "interfaces"},
	"dumpdir":          {kwSetupDeprecated, scopeSetup, "dumpdir"},
	"charonstart":      {kwSetupDeprecated, scopeSetup, "charonstart"},
	"plutostart":       {kwSetupDeprecated, scopeSetup, "plutostart"},
	"klipsdebug":       {kwSetupDeprecated, scopeSetup, "klipsdebug"},
	"plutodebug":       {kwSetupDeprecated, scopeSetup, "plutodebug"},
	"prepluto":         {kwSetupDeprecated, scopeSetup, "prepluto"},
	"postpluto":        {kwSetupDeprecated, scopeSetup, "postpluto"},
	"plutostderrlog":   {kwSetupDeprecated, scopeSetup, "plutostderrlog"},
	"fragicmp":         {kwSetupDeprecated, scopeSetup, "fragicmp"},
	"packetdefault":    {kwSetupDeprecated, scopeSetup, "packetdefault"},
	"hidetos":          {kwSetupDeprecated, scopeSetup, "hidetos"},
	"overridemtu":      {kwSetupDeprecated, scopeSetup, "overridemtu"},
	"crlcheckinterval": {kwSetupDeprecated, scopeSetup, "crlcheckinterval"},
	"nocrsend":         {kwSetupDeprecated, scopeSetup, "nocrsend"},
	"nat_traversal":    {kwSetupDeprecated, scopeSetup, "nat_traversal"},
	"keep_alive":       {kwSetupDeprecated, scopeSetup, "keep_alive"},
	"force_keepalive":  {kwSetupDeprecated, scopeSetup, "force_keepalive"},
	"virtual_private":  {kwSetupDeprecated, scopeSetup, "virtual_private"},
	"pkcs11module":     {kwPKCS11Deprecated, scopeSetup, "pkcs11module"},
	"pkcs11initargs":   {kwPKCS11Deprecated, scopeSetup, "pkcs11initargs"},
	"pkcs11keepstate":  {kwPKCS11Deprecated, scopeSetup, "pkcs11keepstate"},
	"pkcs11proxy":      {kwPKCS11Deprecated, scopeSetup, "pkcs11proxy"},
	"ldaphost":         {kwCADeprecated, scopeCA, "ldaphost"},
	"ldapbase":         {kwCADeprecated, scopeCA, "ldapbase"},
	"pfs":              {kwPFSDeprecated, scopeConn, "pfs"},
	"pfsgroup":         {kwPFSDeprecated, scopeConn, "pfsgroup"},
	"eap":              {kwConnDeprecated, scopeConn, "eap"},
}

// endKeywords are the suffixes of the left*/right* keywords.
var endKeywords = map[string]kwInfo{
	"":             {kwHost, scopeEnd, ""},
	"ikeport":      {kwIKEPort, scopeEnd, "ikeport"},
	"subnet":       {kwSubnet, scopeEnd, "subnet"},
	"subnetwithin": {kwSubnet, scopeEnd, "subnet"},
	"protoport":    {kwProtoPort, scopeEnd, "protoport"},
	"sourceip":     {kwSourceIP, scopeEnd, "sourceip"},
	"dns":          {kwDNS, scopeEnd, "dns"},
	"firewall":     {kwFirewall, scopeEnd, "firewall"},
	"hostaccess":   {kwHostAccess, scopeEnd, "hostaccess"},
	"allowany":     {kwAllowAny, scopeEnd, "allowany"},
	"updown":       {kwUpdown, scopeEnd, "updown"},
	"auth":         {kwAuth, scopeEnd, "auth"},
	"auth2":        {kwAuth2, scopeEnd, "auth2"},
	"id":           {kwIdent, scopeEnd, "id"},
	"id2":          {kwIdent2, scopeEnd, "id2"},
	"sigkey":       {kwSigKey, scopeEnd, "sigkey"},
	"rsasigkey":    {kwSigKey, scopeEnd, "sigkey"},
	"cert":         {kwCert, scopeEnd, "cert"},
	"cert2":        {kwCert2, scopeEnd, "cert2"},
	"certpolicy":   {kwCertPolicy, scopeEnd, "certpolicy"},
	"sendcert":     {kwSendCert, scopeEnd, "sendcert"},
	"ca":           {kwCA, scopeEnd, "ca"},
	"ca2":          {kwCA2, scopeEnd, "ca2"},
	"groups":       {kwGroups, scopeEnd, "groups"},
	"groups2":      {kwGroups2, scopeEnd, "groups2"},
	"nexthop":      {kwEndDeprecated, scopeEnd, "nexthop"},
}

// lookupKeyword finds key; for left/right keywords side is "left" or
// "right" and canon carries the prefix.
func lookupKeyword(key string) (info kwInfo, side string, ok bool) {
	if info, ok := keywords[key]; ok {
		return info, "", true
	}
	for _, side := range [...]string{"left", "right"} {
		if suffix, found := strings.CutPrefix(key, side); found {
			if info, ok := endKeywords[suffix]; ok {
				info.canon = side + info.canon
				return info, side, true
			}
		}
	}
	return kwInfo{}, "", false
}

func isDeprecated(id kwID) bool {
	switch id {
	case kwSetupDeprecated, kwPKCS11Deprecated, kwPFSDeprecated, kwConnDeprecated,
		kwCADeprecated, kwEndDeprecated:
		return true
	}
	return false
}

// Keywords returns every ipsec.conf keyword this package accepts, sorted;
// obsolete ones (accepted with a warning and ignored) are listed separately.
func Keywords() (supported, obsolete []string) {
	add := func(name string, id kwID) {
		if isDeprecated(id) {
			obsolete = append(obsolete, name)
		} else {
			supported = append(supported, name)
		}
	}
	for name, info := range keywords {
		add(name, info.id)
	}
	for suffix, info := range endKeywords {
		add("left"+suffix, info.id)
		add("right"+suffix, info.id)
	}
	supported = append(supported, "also")
	sort.Strings(supported)
	sort.Strings(obsolete)
	return supported, obsolete
}
