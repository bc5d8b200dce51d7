package credentials

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"strconv"

	"github.com/goswan/goswan/internal/identity"
)

// KeyType is a public key type, strongSwan's key_type_t.
type KeyType uint8

// Key types.
const (
	KeyAny     KeyType = 0
	KeyRSA     KeyType = 1
	KeyECDSA   KeyType = 2
	KeyDSA     KeyType = 3
	KeyEd25519 KeyType = 4
	KeyEd448   KeyType = 5
)

// String returns strongSwan's key_type_names entry ("RSA", "ECDSA", ...).
func (k KeyType) String() string {
	switch k {
	case KeyAny:
		return "ANY"
	case KeyRSA:
		return "RSA"
	case KeyECDSA:
		return "ECDSA"
	case KeyDSA:
		return "DSA"
	case KeyEd25519:
		return "ED25519"
	case KeyEd448:
		return "ED448"
	}
	return "(" + strconv.Itoa(int(k)) + ")"
}

// KeyTypeOf returns the type of a public or private key (KeyAny if
// unknown).
func KeyTypeOf(k any) KeyType {
	switch k := k.(type) {
	case *rsa.PublicKey, *rsa.PrivateKey:
		return KeyRSA
	case *ecdsa.PublicKey, *ecdsa.PrivateKey:
		return KeyECDSA
	case ed25519.PublicKey, ed25519.PrivateKey:
		return KeyEd25519
	case crypto.Signer:
		return KeyTypeOf(k.Public())
	}
	return KeyAny
}

// KeySize returns the key size in bits as strongSwan reports it: the
// modulus size in whole octets for RSA, the curve size for ECDSA, 256 for
// Ed25519.
func KeySize(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return (k.N.BitLen() + 7) / 8 * 8
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return 256
	}
	return 0
}

// X.509 flags, strongSwan's x509_flag_t.
type certFlags uint16

const (
	flagCA certFlags = 1 << iota
	flagAA
	flagOCSPSigner
	flagServerAuth
	flagClientAuth
	flagSelfSigned
	flagIPAddrBlocks
	flagCRLSign
	flagIKEIntermediate
	flagMSSmartcardLogon
	flagIKECompliant
)

const noConstraint = -1

var (
	oidKeyUsage       = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidIPAddrBlocks   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7}
	oidEKUIKEIntermed = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}
	oidEKUMSSmartcard = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}
)

// certInfo is what the credential code needs of a certificate, computed
// once at load time.
type certInfo struct {
	cert    *x509.Certificate
	path    string // file it was loaded from ("" if received)
	subject identity.ID
	issuer  identity.ID
	flags   certFlags
	pathLen int    // basicConstraints pathLenConstraint, noConstraint if none
	skid    []byte // subjectKeyIdentifier, or the SHA-1 of the public key
	akid    []byte // authorityKeyIdentifier keyIdentifier, nil if absent
	keyID   []byte // SHA-1 of the SubjectPublicKeyInfo
	subjKey []byte // SHA-1 of the public key (subjectPublicKey bits)
	keyType KeyType
	hasSANs bool
}

func newCertInfo(c *x509.Certificate, path string) *certInfo {
	ci := &certInfo{
		cert:    c,
		path:    path,
		subject: identity.FromCertSubject(c),
		issuer:  identity.FromCertIssuer(c),
		pathLen: noConstraint,
		keyType: KeyTypeOf(c.PublicKey),
	}
	ci.keyID, ci.subjKey = publicKeyIDs(c.RawSubjectPublicKeyInfo)
	ci.skid = c.SubjectKeyId
	if len(ci.skid) == 0 {
		ci.skid = ci.subjKey
	}
	if len(c.AuthorityKeyId) > 0 {
		ci.akid = c.AuthorityKeyId
	}
	if c.BasicConstraintsValid && c.IsCA {
		ci.flags |= flagCA
		switch {
		case c.MaxPathLen == 0 && c.MaxPathLenZero:
			ci.pathLen = 0
		case c.MaxPathLen > 0 && c.MaxPathLen < 128:
			ci.pathLen = c.MaxPathLen
		}
	}
	ci.flags |= flagIKECompliant
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidKeyUsage):
			ci.flags &^= flagIKECompliant
			if c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) != 0 {
				ci.flags |= flagIKECompliant
			}
			if c.KeyUsage&x509.KeyUsageCRLSign != 0 {
				ci.flags |= flagCRLSign
			}
		case e.Id.Equal(oidIPAddrBlocks):
			ci.flags |= flagIPAddrBlocks
		}
	}
	for _, u := range c.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth:
			ci.flags |= flagServerAuth
		case x509.ExtKeyUsageClientAuth:
			ci.flags |= flagClientAuth
		case x509.ExtKeyUsageOCSPSigning:
			ci.flags |= flagOCSPSigner
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		switch {
		case u.Equal(oidEKUIKEIntermed):
			ci.flags |= flagIKEIntermediate
		case u.Equal(oidEKUMSSmartcard):
			ci.flags |= flagMSSmartcardLogon
		}
	}
	ci.hasSANs = len(identity.SubjectAltNames(c)) > 0
	if ci.issuedBy(ci) {
		ci.flags |= flagSelfSigned
	}
	return ci
}

// publicKeyIDs returns the SHA-1 hashes of a SubjectPublicKeyInfo and of
// its public key bits: strongSwan's KEYID_PUBKEY_INFO_SHA1 ("keyid") and
// KEYID_PUBKEY_SHA1 ("subjkey").
func publicKeyIDs(spki []byte) (info, key []byte) {
	h := sha1.Sum(spki)
	info = h[:]
	var s struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &s); err == nil {
		k := sha1.Sum(s.PublicKey.Bytes)
		key = k[:]
	}
	return info, key
}

func (ci *certInfo) is(f certFlags) bool { return ci.flags&f != 0 }

// isCA reports whether the certificate is an X.509 CA, AA or OCSP signer
// certificate (strongSwan's X509_ANY), i.e. not listed as end entity.
func (ci *certInfo) isCA() bool { return ci.flags&(flagCA|flagAA|flagOCSPSigner) != 0 }

// issuedBy is strongSwan's x509 issued_by: a certificate is issued by
// itself if its own key verifies its signature; by another certificate if
// that one is a CA, its subjectKeyIdentifier equals our
// authorityKeyIdentifier (or, without one, its subject equals our
// issuer), and its key verifies our signature.
func (ci *certInfo) issuedBy(issuer *certInfo) bool {
	self := issuer == ci || bytes.Equal(issuer.cert.Raw, ci.cert.Raw)
	if self && ci.is(flagSelfSigned) {
		return true
	}
	if !self && !issuer.is(flagCA) {
		return false
	}
	keyid := []byte(nil)
	if ci.akid != nil {
		keyid = issuer.skid
		if len(keyid) > 0 && !bytes.Equal(keyid, ci.akid) {
			return false
		}
	}
	if len(keyid) == 0 && !ci.issuer.Equal(issuer.subject) {
		return false
	}
	return checkSignature(issuer.cert.PublicKey, ci.cert.SignatureAlgorithm, ci.cert.RawTBSCertificate, ci.cert.Signature) == nil
}

// certEqual reports whether two certificates have the same encoding.
func certEqual(a, b *x509.Certificate) bool { return bytes.Equal(a.Raw, b.Raw) }

// IKECompliant reports whether a peer certificate may authenticate IKE
// (RFC 4945 section 5.1.3.2): it has no keyUsage extension, or one with
// digitalSignature or nonRepudiation. charon refuses other certificates
// after verifying the AUTH payload, logging
//
//	rejecting certificate without digitalSignature or nonRepudiation keyUsage flags
func IKECompliant(cert *x509.Certificate) bool {
	return newCertInfo(cert, "").is(flagIKECompliant)
}
