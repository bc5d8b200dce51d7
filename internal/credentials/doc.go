// Package credentials is goswan's credential store: what strongSwan's
// stroke plugin, credential manager, mem_cred set and revocation plugin do
// for an ipsec.conf/ipsec.secrets gateway.
//
// Loading: certificates, CRLs and private keys of an ipsec.d directory are
// read the way strongSwan's pem, pkcs1, pkcs8 and x509 plugins read them:
// PEM or DER, PKCS#1 / SEC1 / PKCS#8 private keys, keys encrypted as
// traditional OpenSSL PEM (Proc-Type/DEK-Info) or as PKCS#8 PBES2, with the
// passphrases ipsec.secrets gives (LoadCertificate, LoadCRL,
// LoadPrivateKey, ParsePrivateKey).
//
// The Store: an immutable set built by NewStore from ipsec.d (cacerts,
// crls, and the certs files the conns name) and a parsed ipsec.secrets,
// which the daemon replaces as a whole on `ipsec rereadsecrets`,
// `rereadall` or a conn change. It answers
//   - SharedKey/SharedKeys: PSK, EAP, XAuth and NTLM secrets selected by
//     local and remote identity as strongSwan's get_shared does;
//   - PrivateKey, PrivateKeyForID, CertsFor, Cert, Intermediates: our own
//     keys and certificates;
//   - VerifyChain, PeerCerts: peer certificate chains to the trust anchors
//     of cacerts, with validity, CA and path length constraints,
//     signatures and CRLs, logging charon's lines;
//   - CertReqKeyIDs, TrustAnchorByKeyID: CERTREQ payload contents;
//   - WriteList, WriteListCerts: `ipsec listcerts`, `listcacerts`, `listcrls`.
//
// Not implemented (strongSwan has them): OCSP, fetching CRLs from
// distribution points (a certificate naming one without a loaded CRL has
// revocation status FAILED, as in charon when the fetch fails), delta CRLs,
// name and policy constraints, attribute and AA/OCSP signer certificates,
// PKCS#12 files, smartcards, raw public keys, and %prompt passphrases.
//
// It imports the standard library, internal/config (for the parsed
// ipsec.secrets) and internal/identity; it must import nothing of the IKE
// core (internal/ike/...).
package credentials
