// Package cfg turns the parsed ipsec.conf (internal/config) into the
// runtime configuration the IKE core works with: peer configs (one per
// conn) with their authentication rounds and CHILD_SA configs, local and
// remote ends decided as stroke does, proposals parsed, lifetimes and
// rekey times computed with strongSwan 5.9's rules. It also selects the
// peer config for an incoming IKE_SA (by addresses) and for IKE_AUTH (by
// identities, with the switching charon does when a constraint fails).
//
// It may import internal/config, internal/identity, internal/ike/crypto
// and internal/kernel types; it must not import the IKE SA core or any
// extension.
package cfg
