// Package crypto holds the IKEv2 cryptography of goswan: the registry of
// transforms (IANA "IKEv2 Transform Type" numbers, named as strongSwan's
// charon prints them), proposals in strongSwan's ipsec.conf syntax
// (ike=/esp=/ah=) with charon 5.9.8's defaults and selection rules, key
// exchange (MODP, ECP, Curve25519/448, ML-KEM) behind one interface, the key
// derivation of RFC 7296 §2.13-2.18 and RFC 9370, the AUTH payload helpers of
// RFC 7296 §2.15, and the protection of the Encrypted (SK) payload of RFC 7296
// §3.14, RFC 5282 and RFC 7634.
//
// Everything here is a pure function of its arguments or a small object owned
// by one IKE_SA; randomness is injected as an io.Reader (nil means
// crypto/rand) so tests are deterministic wherever the algorithm allows it.
//
// The package sits at the bottom of the IKE core: it must import nothing of
// goswan (in particular not internal/ike/message or internal/config) and
// nothing outside the standard library, golang.org/x/crypto,
// golang.org/x/sys and github.com/cloudflare/circl. Wire encoding of
// proposals and payloads is the job of internal/ike/message; this package only
// sees byte slices and plain values.
package crypto
