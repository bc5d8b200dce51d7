package credentials

import (
	"crypto/x509"

	"github.com/goswan/goswan/internal/identity"
)

// CertReqKeyIDs returns the Certification Authority values for a CERTREQ
// payload (RFC 7296 section 3.7): the SHA-1 hashes of the
// SubjectPublicKeyInfo of every trusted CA certificate, as strongSwan
// sends them when no rightca= restricts the peer ("sending cert request
// for \"...\"" is logged for each, see CertReqFor).
func (s *Store) CertReqKeyIDs() [][]byte {
	var out [][]byte
	for _, ci := range s.trusted() {
		if ci.is(flagCA) {
			out = append(out, ci.keyID)
		}
	}
	return out
}

// CertReqFor returns the CERTREQ hash of a CA certificate and charon's log
// line for it; ok is false for a certificate that is no CA.
func CertReqFor(ca *x509.Certificate) (keyID []byte, logLine string, ok bool) {
	ci := newCertInfo(ca, "")
	if !ci.is(flagCA) {
		return nil, "", false
	}
	return ci.keyID, "sending cert request for \"" + ci.subject.String() + "\"", true
}

// TrustAnchorByKeyID finds the trusted certificate a received CERTREQ
// value names, as strongSwan's get_cert with an ID_KEY_ID does: the hash
// of its SubjectPublicKeyInfo (or public key, subjectKeyIdentifier,
// certificate). charon logs "received cert request for \"%Y\"" for a
// match.
func (s *Store) TrustAnchorByKeyID(keyID []byte) (*x509.Certificate, bool) {
	id := identity.New(identity.KeyID, keyID)
	for _, ci := range s.trusted() {
		if certHasID(ci, id) {
			return ci.cert, true
		}
	}
	return nil, false
}

// CertReqs returns the CERTREQ hashes of the CA certificates of
// ipsec.d/cacerts and their subjects, from what was worked out when they
// were loaded (CertReqFor would check each one's signature again).
func (s *Store) CertReqs() (keyIDs [][]byte, subjects []string) {
	for _, ci := range s.cas {
		if ci.is(flagCA) {
			keyIDs = append(keyIDs, ci.keyID)
			subjects = append(subjects, ci.subject.String())
		}
	}
	return keyIDs, subjects
}
