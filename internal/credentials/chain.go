package credentials

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"strconv"
	"time"

	"github.com/goswan/goswan/internal/identity"
)

// maxTrustPathLen is strongSwan's MAX_TRUST_PATH_LEN.
const maxTrustPathLen = 7

// Validation is the outcome of a revocation check, strongSwan's
// cert_validation_t.
type Validation uint8

// Revocation check outcomes.
const (
	ValidationGood    Validation = iota // a valid CRL does not list the certificate
	ValidationSkipped                   // no CRL and no distribution point
	ValidationStale                     // only an outdated CRL does not list it
	ValidationFailed                    // a distribution point exists but no CRL was had
	ValidationOnHold                    // listed with reason certificateHold
	ValidationRevoked                   // listed
)

// String returns strongSwan's cert_validation_names entry.
func (v Validation) String() string {
	switch v {
	case ValidationGood:
		return "GOOD"
	case ValidationSkipped:
		return "SKIPPED"
	case ValidationStale:
		return "STALE"
	case ValidationFailed:
		return "FAILED"
	case ValidationOnHold:
		return "ON_HOLD"
	case ValidationRevoked:
		return "REVOKED"
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}

// CRLPolicy is ipsec.conf's strictcrlpolicy.
type CRLPolicy uint8

const (
	// CRLPolicyNo (strictcrlpolicy=no, the default): only a revoked
	// certificate fails.
	CRLPolicyNo CRLPolicy = iota
	// CRLPolicyIfURI (ifuri): fails also if a certificate has a
	// distribution point but no valid CRL was had.
	CRLPolicyIfURI
	// CRLPolicyYes (yes): every certificate of the chain needs a valid
	// CRL not listing it.
	CRLPolicyYes
)

// Constraints restrict which chains are acceptable for a peer.
type Constraints struct {
	// CA is the CA certificate rightca= names (see Store.CACert); the
	// chain must contain it. Nil: any trust anchor.
	CA *x509.Certificate
	// CRL is the revocation policy.
	CRL CRLPolicy
}

// Errors of chain verification (Chain.Err wraps one).
var (
	ErrUntrusted  = errors.New("no trusted certificate chain")
	ErrRevoked    = errors.New("certificate revoked")
	ErrConstraint = errors.New("constraint check failed")
)

// Chain is the outcome of verifying one certificate: the chain built, the
// revocation results, and the lines charon logs (group CFG) while doing
// it, e.g.
//
//	  using certificate "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org"
//	  using trusted ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA"
//	  reached self-signed root ca with a path length of 0
//	checking certificate status of "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org"
//	certificate status is not available
type Chain struct {
	// Certs is the subject certificate followed by the issuers found, the
	// trust anchor last if one was reached.
	Certs []*x509.Certificate
	// Trusted is set if the chain ends in a trust anchor of ipsec.d/cacerts
	// (or the subject is a trusted certificate itself) and nothing in it is
	// expired, violates a path length constraint or is revoked.
	Trusted bool
	// Anchor is the self-signed CA certificate the chain ends in, if any.
	Anchor *x509.Certificate
	// CRL holds the revocation status of each certificate checked, the
	// subject's first (empty when nothing was checked).
	CRL []Validation
	// Log holds charon's lines of the chain verification and revocation
	// checks; ConstraintLog those of the constraint check, which charon
	// logs after the AUTH payload verified.
	Log           []string
	ConstraintLog []string
	// Err is nil if the chain is trusted and complies with the constraints.
	Err error
}

// Leaf returns the subject certificate.
func (c *Chain) Leaf() *x509.Certificate {
	if len(c.Certs) == 0 {
		return nil
	}
	return c.Certs[0]
}

type verifier struct {
	s    *Store
	pool []*certInfo // received certificates (CERT payloads)
	now  time.Time
	log  []string
}

func (v *verifier) logf(format string, args ...any) {
	v.log = append(v.log, fmt.Sprintf(format, args...))
}

func (v *verifier) t(t time.Time) string { return formatTime(t, false, v.now.Location()) }

// VerifyChain verifies a peer certificate as strongSwan's credential
// manager and revocation plugin do for IKE: it builds the chain from leaf
// through the trusted certificates of the store (CA certificates and conn
// certificates) and the untrusted intermediates received in CERT
// payloads, to a self-signed trust anchor of ipsec.d/cacerts; checks the
// validity period of every certificate and issuer at now, the issuers' CA
// basic constraint and path length, the signatures (RSA, RSA-PSS, ECDSA,
// Ed25519), and the revocation status of every certificate against the
// CRLs of ipsec.d/crls (charon's defaults: a missing CRL is not fatal; CRL
// distribution points are not fetched, a certificate that names one
// without a loaded CRL counts as FAILED); and finally the constraints.
//
// A leaf that is itself a trusted certificate (a conn's rightcert) is
// accepted as strongSwan accepts a "trusted certificate": if self-signed
// as is, else even with an incomplete chain.
//
// The Chain is returned also on failure, with the log lines; the error is
// Chain.Err.
func (s *Store) VerifyChain(leaf *x509.Certificate, intermediates []*x509.Certificate, now time.Time, c Constraints) (*Chain, error) {
	v := &verifier{s: s, now: now}
	v.pool = append(v.pool, newCertInfo(leaf, ""))
	for _, im := range intermediates {
		v.pool = append(v.pool, newCertInfo(im, ""))
	}
	var ch *Chain
	if pre := s.trustedCert(leaf); pre != nil {
		ch = v.pretrusted(pre, true)
	} else {
		v.logf("  using certificate \"%s\"", v.pool[0].subject)
		ch = v.verifyTrustChain(v.pool[0], false, true)
	}
	v.constraints(ch, c)
	return ch, ch.Err
}

// PeerCerts enumerates the certificates that may authenticate the peer id
// with a key of type kt (KeyAny: any), verifying each lazily, in the order
// strongSwan's trusted enumerator tries them: first a trusted certificate
// of the store carrying id ("using trusted certificate"), then every
// other certificate carrying id, the store's first, then the received
// ones ("using certificate"). Every attempt is yielded, failed ones with
// Err set, so that the caller logs their lines; charon verifies the AUTH
// payload with each trusted one until one verifies.
func (s *Store) PeerCerts(id identity.ID, kt KeyType, received []*x509.Certificate, now time.Time, c Constraints) iter.Seq[*Chain] {
	return func(yield func(*Chain) bool) {
		pool := make([]*certInfo, len(received))
		for i, r := range received {
			pool[i] = newCertInfo(r, "")
		}
		for ch := range s.candidates(id, kt, pool, now, true) {
			if ch.Trusted {
				v := &verifier{s: s, now: now}
				v.constraints(ch, c)
			} else if ch.Err == nil {
				ch.Err = ErrUntrusted
			}
			if !yield(ch) {
				return
			}
		}
	}
}

// candidates is strongSwan's trusted enumerator.
func (s *Store) candidates(id identity.ID, kt KeyType, pool []*certInfo, now time.Time, online bool) iter.Seq[*Chain] {
	return func(yield func(*Chain) bool) {
		matches := func(ci *certInfo) bool {
			return (kt == KeyAny || ci.keyType == kt) && certHasID(ci, id)
		}
		var pre *certInfo
		for _, ci := range s.trusted() {
			if matches(ci) {
				pre = ci
				break
			}
		}
		if pre != nil {
			v := &verifier{s: s, pool: pool, now: now}
			if !yield(v.pretrusted(pre, online)) {
				return
			}
		}
		var tried []*certInfo
		for _, ci := range append(s.trusted(), pool...) {
			if !matches(ci) || (pre != nil && certEqual(pre.cert, ci.cert)) {
				continue
			}
			dup := false
			for _, t := range tried {
				dup = dup || certEqual(t.cert, ci.cert)
			}
			if dup {
				continue
			}
			tried = append(tried, ci)
			v := &verifier{s: s, pool: pool, now: now}
			v.logf("  using certificate \"%s\"", ci.subject)
			if !yield(v.verifyTrustChain(ci, false, online)) {
				return
			}
		}
	}
}

// trustedCert returns the trusted certificate equal to c, if any.
func (s *Store) trustedCert(c *x509.Certificate) *certInfo {
	for _, ci := range s.trusted() {
		if certEqual(ci.cert, c) {
			return ci
		}
	}
	return nil
}

func (v *verifier) pretrusted(pre *certInfo, online bool) *Chain {
	v.logf("  using trusted certificate \"%s\"", pre.subject)
	if pre.issuedBy(pre) {
		ch := &Chain{Certs: []*x509.Certificate{pre.cert}, Trusted: true, Log: v.log}
		if pre.isCA() {
			ch.Anchor = pre.cert
		}
		return ch
	}
	return v.verifyTrustChain(pre, true, online)
}

// issuerOf is get_issuer_cert: among the trusted certificates (trusted) or
// all known ones, the first whose subject matches cur's issuer and that
// issued cur.
func (v *verifier) issuerOf(cur *certInfo, trusted bool) *certInfo {
	cands := v.s.trusted()
	if !trusted {
		cands = append(cands, v.pool...)
	}
	for _, c := range cands {
		if identity.CertMatches(c.cert, cur.issuer) == identity.MatchNone {
			continue
		}
		if cur.issuedBy(c) {
			return c
		}
	}
	return nil
}

type link struct {
	issuer *certInfo
	anchor bool
}

// verifyTrustChain is strongSwan's verify_trust_chain.
func (v *verifier) verifyTrustChain(subject *certInfo, trusted, online bool) *Chain {
	ch := &Chain{Certs: []*x509.Certificate{subject.cert}}
	cur := subject
	anchor := false
	var links []link
	pathlen := 0
	for ; pathlen <= maxTrustPathLen; pathlen++ {
		issuer := v.issuerOf(cur, true)
		if issuer != nil {
			if issuer.issuedBy(issuer) {
				v.logf("  using trusted ca certificate \"%s\"", issuer.subject)
				trusted, anchor = true, true
			} else {
				v.logf("  using trusted intermediate ca certificate \"%s\"", issuer.subject)
			}
		} else {
			issuer = v.issuerOf(cur, false)
			if issuer != nil {
				if certEqual(cur.cert, issuer.cert) {
					v.logf("  self-signed certificate \"%s\" is not trusted", cur.subject)
					break
				}
				v.logf("  using untrusted intermediate certificate \"%s\"", issuer.subject)
			} else {
				v.logf("no issuer certificate found for \"%s\"", cur.subject)
				v.logf("  issuer is \"%s\"", cur.issuer)
				if trusted {
					v.logf("  reached end of incomplete trust chain for trusted certificate \"%s\"", subject.subject)
				}
				break
			}
		}
		if !v.checkCertificate(cur, issuer, pathlen) {
			trusted = false
			break
		}
		links = append(links, link{issuer, anchor})
		ch.Certs = append(ch.Certs, issuer.cert)
		cur = issuer
		if anchor {
			ch.Anchor = issuer.cert
			v.logf("  reached self-signed root ca with a path length of %d", pathlen)
			break
		}
	}
	if pathlen > maxTrustPathLen {
		v.logf("maximum path length of %d exceeded", maxTrustPathLen)
	} else if trusted && online {
		cur = subject
		for _, l := range links {
			st := v.checkCRL(cur, l.issuer)
			ch.CRL = append(ch.CRL, st)
			if st == ValidationRevoked || st == ValidationOnHold {
				trusted = false
				ch.Err = fmt.Errorf("%w: %s", ErrRevoked, cur.subject)
				break
			}
			if l.anchor {
				break
			}
			cur = l.issuer
		}
	}
	ch.Trusted = trusted
	if !trusted && ch.Err == nil {
		ch.Err = fmt.Errorf("%w for \"%s\"", ErrUntrusted, subject.subject)
	}
	ch.Log = v.log
	return ch
}

// checkCertificate checks the validity periods of subject and issuer and
// the issuer's path length constraint (strongSwan's check_certificate with
// the constraints validator; name and policy constraints are not
// checked).
func (v *verifier) checkCertificate(subject, issuer *certInfo, pathlen int) bool {
	for _, x := range []struct {
		ci    *certInfo
		label string
	}{{subject, "subject"}, {issuer, "issuer"}} {
		c := x.ci.cert
		if v.now.Before(c.NotBefore) || v.now.After(c.NotAfter) {
			v.logf("%s certificate invalid (valid from %s to %s)", x.label, v.t(c.NotBefore), v.t(c.NotAfter))
			return false
		}
	}
	if issuer.pathLen != noConstraint && pathlen > issuer.pathLen {
		v.logf("path length of %d violates constraint of %d", pathlen, issuer.pathLen)
		return false
	}
	return true
}

// checkCRL is the CRL part of strongSwan's revocation validator for
// subject issued by issuer.
func (v *verifier) checkCRL(subject, issuer *certInfo) Validation {
	v.logf("checking certificate status of \"%s\"", subject.subject)
	valid := ValidationSkipped
	var best *crlInfo
	for _, crl := range v.s.crls {
		if !bytes.Equal(crl.akid, issuer.skid) {
			continue
		}
		best, valid = v.betterCRL(crl, best, subject, valid)
		if best != nil && valid != ValidationStale {
			v.logf("  using cached crl")
			break
		}
	}
	uriFound := false
	if valid != ValidationGood && valid != ValidationRevoked {
		for _, uri := range subject.cert.CRLDistributionPoints {
			uriFound = true
			v.logf("  not fetching crl from '%s': fetching CRLs is not supported", uri)
		}
	}
	if valid == ValidationSkipped && uriFound {
		valid = ValidationFailed
	}
	switch valid {
	case ValidationGood:
		v.logf("certificate status is good")
	case ValidationFailed, ValidationSkipped:
		v.logf("certificate status is not available")
	case ValidationStale:
		v.logf("certificate status is unknown, crl is stale")
	}
	return valid
}

// betterCRL is strongSwan's get_better_crl for base CRLs.
func (v *verifier) betterCRL(cand, best *crlInfo, subject *certInfo, valid Validation) (*crlInfo, Validation) {
	if cand.delta {
		return best, valid
	}
	if !v.verifyCRL(cand) {
		v.logf("crl response verification failed")
		return best, valid
	}
	if cand.crl.ThisUpdate.After(v.now) {
		v.logf("  crl is not valid: until %s", v.t(cand.crl.ThisUpdate))
		return best, valid
	}
	serial := serialBytes(subject.cert.SerialNumber)
	for _, r := range cand.crl.RevokedCertificateEntries {
		if !bytes.Equal(serialBytes(r.SerialNumber), serial) {
			continue
		}
		valid = ValidationRevoked
		if r.ReasonCode == 6 {
			valid = ValidationOnHold
		}
		v.crlValid(cand)
		v.logf("certificate was revoked on %s, reason: %s", formatTime(r.RevocationTime, true, nil), crlReason(r.ReasonCode))
		return cand, valid
	}
	if best == nil || v.newer(cand, best) {
		if v.crlValid(cand) {
			return cand, ValidationGood
		}
		return cand, ValidationStale
	}
	return best, ValidationStale
}

func (v *verifier) crlValid(c *crlInfo) bool {
	if !v.now.Before(c.crl.ThisUpdate) && !v.now.After(c.crl.NextUpdate) {
		v.logf("  crl is valid: until %s", v.t(c.crl.NextUpdate))
		return true
	}
	v.logf("  crl is stale: since %s", v.t(c.crl.NextUpdate))
	return false
}

func (v *verifier) newer(a, b *crlInfo) bool { return crlNewer(a, b, v.logf) }

// crlNewer is strongSwan's crl_is_newer: by crlNumber if both have one,
// else by thisUpdate.
func crlNewer(a, b *crlInfo, logf func(string, ...any)) bool {
	if a.crl.Number != nil && b.crl.Number != nil {
		newer := a.crl.Number.Cmp(b.crl.Number) > 0
		what, then := "not newer", "retained"
		if newer {
			what, then = "newer", "replaced"
		}
		logf("  crl #%s is %s - existing crl #%s %s", hexColon(crlNumber(a.crl.Number)), what, hexColon(crlNumber(b.crl.Number)), then)
		return newer
	}
	return a.crl.ThisUpdate.After(b.crl.ThisUpdate)
}

// verifyCRL finds a trusted issuer of the CRL (strongSwan's verify_crl
// with a trusted enumerator over the CRL issuer, without revocation
// checks).
func (v *verifier) verifyCRL(c *crlInfo) bool {
	for ch := range v.s.candidates(c.issuer, KeyAny, v.pool, v.now, false) {
		v.log = append(v.log, ch.Log...)
		if !ch.Trusted {
			continue
		}
		issuer := v.s.trustedCert(ch.Certs[0])
		if issuer == nil {
			issuer = newCertInfo(ch.Certs[0], "")
		}
		if c.issuedBy(issuer) {
			v.logf("  crl correctly signed by \"%s\"", issuer.subject)
			return true
		}
	}
	return false
}

// constraints is the certificate part of strongSwan's auth_cfg complies.
func (v *verifier) constraints(ch *Chain, c Constraints) {
	if !ch.Trusted {
		return
	}
	for _, st := range ch.CRL {
		ok := true
		switch c.CRL {
		case CRLPolicyYes:
			ok = st == ValidationGood
		case CRLPolicyIfURI:
			ok = st == ValidationGood || st == ValidationSkipped
		}
		if !ok {
			want := ValidationGood
			if c.CRL == CRLPolicyIfURI {
				want = ValidationSkipped
			}
			ch.ConstraintLog = append(ch.ConstraintLog, fmt.Sprintf("constraint check failed: RULE_CRL_VALIDATION is %s, but requires at least %s", st, want))
			ch.Err = fmt.Errorf("%w: CRL validation %s", ErrConstraint, st)
		}
	}
	if c.CA != nil {
		found := false
		for _, x := range ch.Certs[1:] {
			found = found || certEqual(x, c.CA)
		}
		if !found {
			ca := identity.FromCertSubject(c.CA)
			ch.ConstraintLog = append(ch.ConstraintLog, fmt.Sprintf("constraint check failed: peer not authenticated by CA '%s'", ca))
			ch.Err = fmt.Errorf("%w: not issued by CA \"%s\"", ErrConstraint, ca)
		}
	}
}

// CACert resolves a rightca=/leftca= value as stroke does: the trusted CA
// certificate whose subject matches the identity. If there is none the
// constraint is dropped, and charon logs the line returned.
func (s *Store) CACert(ca string) (*x509.Certificate, string) {
	id, _ := identity.Parse(ca)
	for _, ci := range s.trusted() {
		if certHasID(ci, id) {
			return ci.cert, ""
		}
	}
	return nil, fmt.Sprintf("CA certificate \"%s\" not found, discarding CA constraint", ca)
}

var crlReasons = [...]string{"unspecified", "key compromise", "ca compromise", "affiliation changed",
	"superseded", "cessation of operation", "certificate hold", "reason #7", "remove from crl"}

// crlReason returns strongSwan's crl_reason_names entry.
func crlReason(code int) string {
	if code >= 0 && code < len(crlReasons) {
		return crlReasons[code]
	}
	return "(" + strconv.Itoa(code) + ")"
}

func crlNumber(n *big.Int) string { return string(serialBytes(n)) }
