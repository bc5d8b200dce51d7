package credentials

import (
	"bufio"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/goswan/goswan/internal/identity"
)

// ListOptions select what WriteList prints.
type ListOptions struct {
	// Now is the time validity is judged at; its location is the time zone
	// times are printed in (charon prints local time).
	Now time.Time
	// UTC prints times in UTC with a "UTC" marker (ipsec list... --utc).
	UTC bool
	// Sections: end entity certificates (ipsec listcerts), CA certificates
	// (listcacerts), CRLs (listcrls).
	Certs, CACerts, CRLs bool
	// Cached are certificates the daemon holds beyond the store: those
	// received from peers and kept in charon's certificate cache. charon
	// lists them first; its cache order is not reproducible.
	Cached []*x509.Certificate
}

// WriteListCerts writes what `ipsec listcerts` prints: the "List of X.509
// End Entity Certificates" section of the store's certificates.
func (s *Store) WriteListCerts(w io.Writer, now time.Time) error {
	return s.WriteList(w, ListOptions{Now: now, Certs: true})
}

// WriteList writes the certificate sections of strongSwan's stroke list
// command (ipsec listcerts, listcacerts, listcrls, and those parts of
// listall), as its certificate printer does in detailed mode.
func (s *Store) WriteList(w io.Writer, o ListOptions) error {
	bw := bufio.NewWriter(w)
	p := &printer{w: bw, s: s, o: o}
	if o.Certs || o.CACerts {
		var all []*certInfo
		for _, c := range o.Cached {
			all = append(all, newCertInfo(c, ""))
		}
		all = append(all, s.certs...)
		all = append(all, s.cas...)
		list := uniqueCerts(all)
		if o.Certs {
			for _, ci := range list {
				if !ci.isCA() {
					p.caption("X.509 End Entity Certificates")
					p.cert(ci)
				}
			}
		}
		if o.CACerts {
			for _, ci := range list {
				if ci.is(flagCA) {
					p.caption("X.509 CA Certificates")
					p.cert(ci)
				}
			}
		}
	}
	if o.CRLs {
		for _, c := range uniqueCRLs(s.crls) {
			p.caption("X.509 CRLs")
			p.crl(c)
		}
	}
	return bw.Flush()
}

// uniqueCerts is stroke's create_unique_cert_list: duplicates dropped,
// each certificate inserted after the run of listed certificates with its
// issuer.
func uniqueCerts(in []*certInfo) []*certInfo {
	var list []*certInfo
	for _, c := range in {
		pos, found := len(list), false
		same := false
		for i, l := range list {
			if certEqual(l.cert, c.cert) {
				found = true
				break
			}
			prev := same
			same = c.issuer.Matches(l.issuer) != identity.MatchNone
			if prev && !same {
				pos = i
				break
			}
		}
		if !found {
			list = append(list[:pos], append([]*certInfo{c}, list[pos:]...)...)
		}
	}
	return list
}

func uniqueCRLs(in []*crlInfo) []*crlInfo {
	var list []*crlInfo
	for _, c := range in {
		pos, found := len(list), false
		same := false
		for i, l := range list {
			if string(l.crl.Raw) == string(c.crl.Raw) {
				found = true
				break
			}
			prev := same
			same = c.issuer.Matches(l.issuer) != identity.MatchNone
			if prev && !same {
				pos = i
				break
			}
		}
		if !found {
			list = append(list[:pos], append([]*crlInfo{c}, list[pos:]...)...)
		}
	}
	return list
}

type printer struct {
	w       *bufio.Writer
	s       *Store
	o       ListOptions
	section string
}

func (p *printer) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

func (p *printer) t(t time.Time) string { return formatTime(t, p.o.UTC, p.o.Now.Location()) }

// caption is print_caption: the section title when it changes, then an
// empty line before every entry.
func (p *printer) caption(title string) {
	if p.section != title {
		p.printf("\nList of %s\n", title)
		p.section = title
	}
	p.printf("\n")
}

func (p *printer) validity(from, until time.Time, t0, t1, t2 string) {
	now := p.o.Now
	p.printf("  %s  %s %s, ", t0, t1, p.t(from))
	if now.Unix() < from.Unix() {
		p.printf("not valid yet (valid in %s)\n", formatDelta(now, from))
	} else {
		p.printf("ok\n")
	}
	p.printf("             %s %s, ", t2, p.t(until))
	if now.Unix() > until.Unix() {
		p.printf("expired (%s ago)\n", formatDelta(now, until))
	} else {
		p.printf("ok (expires in %s)\n", formatDelta(now, until))
	}
}

func (p *printer) cert(ci *certInfo) {
	c := ci.cert
	p.printf("  subject:  \"%s\"\n", ci.subject)
	p.printf("  issuer:   \"%s\"\n", ci.issuer)
	p.validity(c.NotBefore, c.NotAfter, "validity:", "not before", "not after ")
	p.printf("  serial:    %s\n", hexColon(serialBytes(c.SerialNumber)))
	if sans := identity.SubjectAltNames(c); len(sans) > 0 {
		names := make([]string, len(sans))
		for i, id := range sans {
			names[i] = id.String()
		}
		p.printf("  altNames:  %s\n", strings.Join(names, ", "))
	}
	if ci.flags != 0 {
		p.printf("  flags:     ")
		for _, f := range []struct {
			f    certFlags
			name string
		}{{flagCA, "CA "}, {flagCRLSign, "CRLSign "}, {flagOCSPSigner, "ocspSigning "},
			{flagServerAuth, "serverAuth "}, {flagClientAuth, "clientAuth "},
			{flagIKEIntermediate, "ikeIntermediate "}, {flagMSSmartcardLogon, "msSmartcardLogon"},
			{flagSelfSigned, "self-signed "}} {
			if ci.is(f.f) {
				p.printf("%s", f.name)
			}
		}
		p.printf("\n")
	}
	for i, uri := range c.CRLDistributionPoints {
		if i == 0 {
			p.printf("  CRL URIs:  %s\n", uri)
		} else {
			p.printf("           %s\n", uri)
		}
	}
	for i, uri := range c.OCSPServer {
		if i == 0 {
			p.printf("  OCSP URIs: %s\n", uri)
		} else {
			p.printf("           %s\n", uri)
		}
	}
	if ci.pathLen != noConstraint {
		p.printf("  pathlen:   %d\n", ci.pathLen)
	}
	if len(c.Policies) > 0 {
		p.printf("  certificatePolicies:\n")
		for _, pol := range c.Policies {
			p.printf("             %s\n", pol.String())
		}
	}
	if len(c.PolicyMappings) > 0 {
		p.printf("  policyMappings:\n")
		for _, m := range c.PolicyMappings {
			p.printf("           %s => %s\n", m.IssuerDomainPolicy.String(), m.SubjectDomainPolicy.String())
		}
	}
	explicit, inhibitMap, inhibitAny := noConstraint, noConstraint, noConstraint
	if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
		explicit = c.RequireExplicitPolicy
	}
	if c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero {
		inhibitMap = c.InhibitPolicyMapping
	}
	if c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero {
		inhibitAny = c.InhibitAnyPolicy
	}
	if explicit != noConstraint || inhibitMap != noConstraint || inhibitAny != noConstraint {
		p.printf("  policyConstraints:\n")
		if explicit != noConstraint {
			p.printf("           requireExplicitPolicy: %d\n", explicit)
		}
		if inhibitMap != noConstraint {
			p.printf("           inhibitPolicyMapping: %d\n", inhibitMap)
		}
		if inhibitAny != noConstraint {
			p.printf("           inhibitAnyPolicy: %d\n", inhibitAny)
		}
	}
	if ci.akid != nil {
		p.printf("  authkeyId: %s\n", hexColon(ci.akid))
	}
	p.printf("  subjkeyId: %s\n", hexColon(ci.skid))
	p.printf("  pubkey:    %s %d bits", ci.keyType, KeySize(c.PublicKey))
	if p.s.HasPrivateKey(c) {
		p.printf(", has private key")
	}
	p.printf("\n")
	p.printf("  keyid:     %s\n", hexColon(ci.keyID))
	p.printf("  subjkey:   %s\n", hexColon(ci.subjKey))
}

func (p *printer) crl(c *crlInfo) {
	p.printf("  issuer:   \"%s\"\n", c.issuer)
	p.validity(c.crl.ThisUpdate, c.crl.NextUpdate, "update:  ", "this on", "next on")
	p.printf("  serial:    %s\n", hexColon(serialBytes(c.crl.Number)))
	p.printf("  authKeyId: %s\n", hexColon(c.akid))
	n := len(c.crl.RevokedCertificateEntries)
	plural, colon := "s", ""
	if n == 1 {
		plural = ""
	}
	if n > 0 {
		colon = ":"
	}
	p.printf("  %d revoked certificate%s%s\n", n, plural, colon)
	for _, r := range c.crl.RevokedCertificateEntries {
		p.printf("    %s: %s, %s\n", hexColon(serialBytes(r.SerialNumber)), p.t(r.RevocationTime), crlReason(r.ReasonCode))
	}
}
