// Package interop holds no production code: its tests check the wire format
// (internal/ike/message) and the key derivation and SK protection
// (internal/ike/crypto) against real traffic of strongSwan 5.9.8, captured
// in a network-namespace lab together with charon's own log of the same
// exchanges (see testdata/strongswan-5.9.8/README.md).
//
// For every captured IKE datagram the tests require that
//   - it parses and re-marshals to the identical bytes,
//   - the keys we derive from the logged key-exchange secret and the nonces
//     and SPIs on the wire equal the keys charon logged,
//   - it decrypts with those keys, the inner payloads re-marshal to the
//     identical plaintext, and
//   - our summary equals the "parsed ..." / "generating ..." line charon
//     logged for it.
//
// It may import any package of internal/ike; nothing imports it.
package interop
