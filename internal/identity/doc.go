// Package identity is strongSwan's identification_t in Go: the IKEv2
// identities (ID payload types of RFC 7296 section 3.5, plus strongSwan's
// %any and its IKEv1 subnet and range types) as immutable values, parsed
// from ipsec.conf / ipsec.secrets strings exactly as
// identification_create_from_string decides, encoded as on the wire,
// printed as charon's %Y printf hook prints them, compared and matched
// against configured (possibly wildcard) identities with strongSwan's
// id_match_t levels, and matched against X.509 certificates as the x509
// plugin's has_subject does.
//
// The zero ID is "no identity" (a NULL identification_t in strongSwan):
// it prints as "(null)" and matches nothing. %any is [Any].
//
// Deliberate differences from strongSwan 5.9.8 are listed at the functions
// concerned; the main ones:
//   - DN attribute names are printed for the attribute types of X.520,
//     PKCS #9 and RFC 4519 that strongSwan's OID table knows; other OIDs of
//     that table that are not attribute types print in hex;
//   - Equal requires both IDs to have the same type (strongSwan's DN
//     equality ignores the other ID's type).
//
// This package imports only the standard library; it must not import any
// other package of this project.
package identity
