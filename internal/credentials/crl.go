package credentials

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"

	"github.com/goswan/goswan/internal/identity"
)

var oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}

// crlInfo is a loaded CRL with what the checks need.
type crlInfo struct {
	crl    *x509.RevocationList
	path   string
	issuer identity.ID
	akid   []byte
	delta  bool
}

func newCRLInfo(crl *x509.RevocationList, path string) *crlInfo {
	c := &crlInfo{crl: crl, path: path, issuer: identity.New(identity.DN, crl.RawIssuer)}
	if len(crl.AuthorityKeyId) > 0 {
		c.akid = crl.AuthorityKeyId
	}
	for _, e := range crl.Extensions {
		if e.Id.Equal(oidDeltaCRLIndicator) {
			c.delta = true
		}
	}
	return c
}

// issuedBy is strongSwan's x509_crl issued_by: the issuer must be a CA or
// have the cRLSign key usage, match the authorityKeyIdentifier (or, without
// one, the issuer DN) and verify the signature.
func (c *crlInfo) issuedBy(issuer *certInfo) bool {
	if !issuer.is(flagCA) && !issuer.is(flagCRLSign) {
		return false
	}
	if c.akid != nil {
		if !bytes.Equal(c.akid, issuer.skid) {
			return false
		}
	} else if !c.issuer.Equal(issuer.subject) {
		return false
	}
	return checkSignature(issuer.cert.PublicKey, c.crl.SignatureAlgorithm, c.crl.RawTBSRevocationList, c.crl.Signature) == nil
}

// hexColon renders octets as strongSwan's %#B: lower-case hex pairs
// separated by ':'.
func hexColon[T string | []byte](b T) string {
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{b[i]}))
	}
	return sb.String()
}
