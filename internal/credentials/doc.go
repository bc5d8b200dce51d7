// Package credentials loads the certificates, CRLs and private keys of an
// ipsec.d directory the way strongSwan's pem, pkcs1, pkcs8 and x509 plugins
// read them: PEM or DER, PKCS#1 / SEC1 / PKCS#8 private keys, keys
// encrypted as traditional OpenSSL PEM (Proc-Type/DEK-Info) or as PKCS#8
// PBES2, with the passphrases ipsec.secrets gives.
//
// It imports only the standard library; nothing of the IKE core.
package credentials
