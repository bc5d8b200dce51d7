// Package auth creates and verifies the AUTH payload of IKE_AUTH
// (RFC 7296 section 2.15) the way strongSwan 5.9's pubkey and psk
// authenticators do:
//
//   - public key signatures with the classic methods (1: RSA PKCS#1 v1.5
//     with SHA-1; 9, 10, 11: ECDSA on P-256/384/521, RFC 4754) and RFC 7427
//     digital signatures (method 14: RSA PKCS#1 v1.5 with SHA-1/224/256/
//     384/512, RSASSA-PSS with parameters, ECDSA with SHA-1/256/384/512,
//     Ed25519), choosing the scheme as charon does from the key, the
//     configuration and the peer's SIGNATURE_HASH_ALGORITHMS (SignAuth,
//     SelectSchemes, SupportedHashAlgorithms, ParseHashAlgorithms);
//   - verification returning the scheme under charon's log name (ParseAuth,
//     VerifyAuth, Params.LogName);
//   - shared key MACs (PSKAuth, VerifyPSK).
//
// The AUTH octets themselves come from internal/ike/crypto (AuthOctets);
// which keys and certificates to use from internal/credentials. Everything
// here is a pure function of its arguments.
//
// Not supported (strongSwan supports them with OpenSSL): MD5 and SHA-3
// signatures, RSASSA-PSS whose MGF1 hash differs from the signature hash,
// Ed448, and RSA keys below 1024 bits (refused by crypto/rsa).
//
// It may import internal/ike/message, internal/ike/crypto,
// internal/identity and internal/credentials, and the standard library;
// nothing else of goswan (in particular no IKE_SA or task code).
package auth
