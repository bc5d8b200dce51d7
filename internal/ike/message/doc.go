// Package message is the IKEv2 wire format: the IKE header, every payload of
// RFC 7296 section 3 (plus RFC 7383 fragments, RFC 4555 and RFC 5685
// notifies, RFC 7427 digital signatures and RFC 9370 additional key
// exchanges), whole messages, the payload rule tables that strongSwan's
// charon applies per exchange type, and charon's one-line message summaries.
//
// # What it does
//
// Parse turns the bytes of a UDP datagram into a Message: the Header and the
// chain of payloads in the order received. An SK (encrypted, 46) or SKF
// (encrypted fragment, 53) payload stays opaque; decryption belongs to the
// crypto layer, which then calls ParsePayloads on the plaintext and
// Message.SetDecrypted to put the inner payloads in place of the SK payload.
// Check then applies the rule tables (payload counts, payloads that must be
// encrypted) and the per-payload sanity checks charon does, before any
// protocol logic runs. Every error is typed and NotifyFor maps it to the
// notify to send back (UNSUPPORTED_CRITICAL_PAYLOAD with the payload type as
// data, INVALID_MAJOR_VERSION, INVALID_SYNTAX, or none where charon silently
// drops the message).
//
// Going out, AppendMarshal appends a message to a caller's buffer with all
// lengths and next-payload fields computed; AppendPayloads marshals a bare
// payload chain (the plaintext to encrypt), and
// Message.AppendAssociatedData writes the IKE header, the unprotected
// payloads and the SK/SKF payload header for a given encrypted length: the
// associated data of RFC 7296 section 5.1 / RFC 5282, and at the same time
// the first bytes of the datagram, so the caller appends IV, ciphertext and
// ICV right after it. MessageRule.Order sorts payloads the way charon emits
// them.
//
// Message.String renders charon's summary, e.g.
//
//	IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]
//
// byte for byte as strongSwan 5.9.8's message.c prints it (charon logs it as
// "parsed %s" and "generating %s").
//
// # Invariants
//
//   - No input makes Parse or ParsePayloads panic; bounds are checked before
//     every read and reported as *ParseError with the byte offset.
//   - Parsed payloads alias the input slice (no copies); the caller must not
//     modify the buffer while it uses the message.
//   - For every message Parse accepts, AppendMarshal produces bytes that
//     Parse accepts again, giving an equal Message; for a well-formed
//     packet (reserved bits zero, critical bit zero on known payloads) the
//     bytes are identical to the input.
//   - Unknown payload types, transform attributes, traffic selector types,
//     ID types, CP attributes and notify types are kept raw and re-emitted
//     unchanged.
//
// # Imports
//
// This package imports the standard library only. It must not import any
// other goswan package (it sits at the bottom of internal/ike) nor any
// third-party module, and it does no cryptography and no I/O.
package message
