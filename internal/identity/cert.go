package identity

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
)

// FromCertSubject returns the subject DN of a certificate (from its raw
// encoding, as strongSwan keeps it).
func FromCertSubject(cert *x509.Certificate) ID { return New(DN, cert.RawSubject) }

// FromCertIssuer returns the issuer DN of a certificate.
func FromCertIssuer(cert *x509.Certificate) ID { return New(DN, cert.RawIssuer) }

var (
	oidSubjectAltName = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidMSUPN          = "\x2b\x06\x01\x04\x01\x82\x37\x14\x02\x03" // 1.3.6.1.4.1.311.20.2.3
	oidXMPP           = "\x2b\x06\x01\x05\x05\x07\x08\x05"         // 1.3.6.1.5.5.7.8.5
)

// SubjectAltNames returns the subjectAltName identities of a certificate in
// their order, typed as strongSwan's x509 plugin types them: rfc822Name as
// RFC822, dNSName as FQDN, iPAddress of 4 or 16 octets as IPv4/IPv6,
// directoryName as DN, uniformResourceIdentifier as GNURI, and the
// otherNames msUPN and xmppAddr (UTF8String values) as RFC822. Other names
// (x400Address, ediPartyName, registeredID, other otherNames, addresses of
// other lengths) are skipped; strongSwan 5.9.8 refuses the whole
// certificate for them.
func SubjectAltNames(cert *x509.Certificate) []ID {
	var ext string
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidSubjectAltName) {
			ext = string(e.Value)
			break
		}
	}
	if ext == "" {
		return nil
	}
	tag, off, end, _, ok := unwrap(ext, 0, len(ext))
	if !ok || tag != tagSequence {
		return nil
	}
	var out []ID
	for off < end {
		tag, s, e, next, ok := unwrap(ext, off, end)
		if !ok {
			break
		}
		off = next
		v := ext[s:e]
		switch tag {
		case 0x81:
			out = append(out, New(RFC822, []byte(v)))
		case 0x82:
			out = append(out, New(FQDN, []byte(v)))
		case 0x86:
			out = append(out, New(GNURI, []byte(v)))
		case 0xa4:
			out = append(out, New(DN, []byte(v)))
		case 0x87:
			switch len(v) {
			case 4:
				out = append(out, New(IPv4, []byte(v)))
			case 16:
				out = append(out, New(IPv6, []byte(v)))
			}
		case 0xa0:
			if id, ok := otherName(v); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// otherName parses the contents of an otherName (type-id, [0] value).
func otherName(v string) (ID, bool) {
	tag, s, e, next, ok := unwrap(v, 0, len(v))
	if !ok || tag != tagOID || (v[s:e] != oidMSUPN && v[s:e] != oidXMPP) {
		return ID{}, false
	}
	tag, s, e, _, ok = unwrap(v, next, len(v))
	if !ok || tag != 0xa0 {
		return ID{}, false
	}
	tag, s, e, _, ok = unwrap(v, s, e)
	if !ok || tag != tagUTF8String {
		return ID{}, false
	}
	return New(RFC822, []byte(v[s:e])), true
}

// CertMatches reports how well a certificate carries the (possibly
// wildcard) identity id, as strongSwan's x509 has_subject: an ID_KEY_ID
// matches perfectly the SHA-1 hash of the certificate, its
// subjectKeyIdentifier, the SHA-1 hash of its SubjectPublicKeyInfo or of
// its public key, or its serial number; otherwise the best of id matched
// against the subject DN and against each subjectAltName.
func CertMatches(cert *x509.Certificate, id ID) MatchLevel {
	if !id.set || cert == nil {
		return MatchNone
	}
	if id.t == KeyID {
		for _, k := range certKeyIDs(cert) {
			if k == id.enc {
				return MatchPerfect
			}
		}
	}
	best := id.Matches(FromCertSubject(cert))
	for _, san := range SubjectAltNames(cert) {
		best = max(best, id.Matches(san))
	}
	return best
}

// certKeyIDs returns the octet strings an ID_KEY_ID may name a certificate
// by (empty ones left out).
func certKeyIDs(cert *x509.Certificate) []string {
	h := sha1.Sum(cert.Raw)
	ids := []string{string(h[:])}
	if len(cert.SubjectKeyId) > 0 {
		ids = append(ids, string(cert.SubjectKeyId))
	}
	spki := sha1.Sum(cert.RawSubjectPublicKeyInfo)
	ids = append(ids, string(spki[:]))
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &info); err == nil {
		k := sha1.Sum(info.PublicKey.Bytes)
		ids = append(ids, string(k[:]))
	}
	if s := rawSerial(cert.RawTBSCertificate); s != "" {
		ids = append(ids, s)
	}
	return ids
}

// rawSerial returns the contents octets of the serialNumber INTEGER of a
// TBSCertificate.
func rawSerial(tbs []byte) string {
	t := string(tbs)
	tag, off, end, _, ok := unwrap(t, 0, len(t))
	if !ok || tag != tagSequence {
		return ""
	}
	tag, s, e, next, ok := unwrap(t, off, end)
	if ok && tag == 0xa0 { // [0] EXPLICIT version
		tag, s, e, _, ok = unwrap(t, next, end)
	}
	if !ok || tag != 0x02 {
		return ""
	}
	return t[s:e]
}
