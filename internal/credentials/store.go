package credentials

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/identity"
)

// Options say what a Store is built from.
type Options struct {
	// IPsecDir is the ipsec.d directory (normally /etc/ipsec.d): CA
	// certificates are read from its cacerts, CRLs from its crls, and
	// relative certificate names are resolved against its certs.
	IPsecDir string
	// Secrets is the parsed ipsec.secrets (nil: none). Private key files
	// are read from each entry's Path.
	Secrets *config.Secrets
	// CertFiles are the leftcert=/rightcert= values of the loaded conns
	// (relative to IPsecDir/certs unless absolute). Like strongSwan's
	// stroke plugin, ipsec.d/certs is not read as a whole: only the files
	// conns name, and they are trusted (a peer presenting one of them is
	// accepted even without a complete chain).
	CertFiles []string
	// ForceCA accepts certificates in cacerts that lack the CA basic
	// constraint (charon.plugins.stroke.ignore_missing_ca_basic_constraint).
	ForceCA bool
}

// Diagnostic is one line of what loading did, in charon's words: the
// Message is the text charon logs (group CFG), e.g.
//
//	loaded ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA" from '/etc/ipsec.d/cacerts/strongswanCert.pem'
//
// Err is set for failures and says why, with the file.
type Diagnostic struct {
	Path    string
	Line    int // ipsec.secrets line, 0 otherwise
	Message string
	Err     error
}

func (d Diagnostic) String() string {
	if d.Err != nil {
		return d.Message + ": " + d.Err.Error()
	}
	return d.Message
}

// Store is an immutable set of credentials: the trust anchors of
// ipsec.d/cacerts, the certificates the conns name, the CRLs of
// ipsec.d/crls, and the private keys and shared secrets of ipsec.secrets.
// It is safe for concurrent use; the daemon builds a new one on `ipsec
// rereadsecrets`, `rereadall` or a conn change and swaps it atomically.
type Store struct {
	opts   Options
	cas    []*certInfo          // cacerts, in directory order
	certs  []*certInfo          // conn certificates, the last loaded first
	byFile map[string]*certInfo // CertFiles entry -> certificate
	crls   []*crlInfo           // crls, the last loaded first
	keys   []*keyInfo           // private keys, in ipsec.secrets order
	shared []*SharedSecret      // in strongSwan's enumeration order
	diags  []Diagnostic
}

type keyInfo struct {
	key     crypto.Signer
	path    string
	keyID   []byte // SHA-1 of the SubjectPublicKeyInfo
	subjKey []byte // SHA-1 of the public key
}

// NewStore loads the credentials opts names. It always returns a usable
// Store; what could not be loaded is skipped and reported, as charon
// logs and skips it.
func NewStore(opts Options) (*Store, []Diagnostic) {
	s := &Store{opts: opts, byFile: map[string]*certInfo{}}
	s.loadCACerts()
	s.loadCRLs()
	s.loadSecrets()
	s.loadCertFiles(opts.CertFiles)
	return s, s.diags
}

// WithCerts returns a Store that also holds the certificates of files (as
// a conn added later names them); s is unchanged.
func (s *Store) WithCerts(files ...string) (*Store, []Diagnostic) {
	n := *s
	n.opts.CertFiles = append(append([]string(nil), s.opts.CertFiles...), files...)
	n.certs = append([]*certInfo(nil), s.certs...)
	n.byFile = make(map[string]*certInfo, len(s.byFile)+len(files))
	for k, v := range s.byFile {
		n.byFile[k] = v
	}
	n.diags = nil
	n.loadCertFiles(files)
	d := n.diags
	n.diags = append(append([]Diagnostic(nil), s.diags...), d...)
	return &n, d
}

// Diagnostics returns everything loading reported.
func (s *Store) Diagnostics() []Diagnostic { return s.diags }

func (s *Store) log(path string, line int, err error, format string, args ...any) {
	s.diags = append(s.diags, Diagnostic{Path: path, Line: line, Message: fmt.Sprintf(format, args...), Err: err})
}

// regularFiles lists the regular files of dir (following symlinks), sorted
// by name; strongSwan takes them in readdir order, which depends on the
// file system.
func regularFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Store) loadCACerts() {
	dir := filepath.Join(s.opts.IPsecDir, config.CACertsDir)
	s.log(dir, 0, nil, "loading ca certificates from '%s'", dir)
	files, err := regularFiles(dir)
	if err != nil {
		s.log(dir, 0, err, "  reading directory failed")
		return
	}
	for _, f := range files {
		c, err := LoadCertificate(f)
		if err != nil {
			s.log(f, 0, err, "  loading ca certificate from '%s' failed", f)
			continue
		}
		ci := newCertInfo(c, f)
		if !ci.is(flagCA) {
			if !s.opts.ForceCA {
				s.log(f, 0, errors.New("no CA basic constraint"), "  ca certificate \"%s\" lacks ca basic constraint, discarded", ci.subject)
				continue
			}
			ci.flags |= flagCA
		}
		s.log(f, 0, nil, "  loaded ca certificate \"%s\" from '%s'", ci.subject, f)
		if !s.hasCA(ci) {
			s.cas = append(s.cas, ci)
		}
	}
}

func (s *Store) hasCA(ci *certInfo) bool {
	for _, c := range s.cas {
		if certEqual(c.cert, ci.cert) {
			return true
		}
	}
	return false
}

func (s *Store) loadCRLs() {
	dir := filepath.Join(s.opts.IPsecDir, config.CRLsDir)
	s.log(dir, 0, nil, "loading crls from '%s'", dir)
	files, err := regularFiles(dir)
	if err != nil {
		s.log(dir, 0, err, "  reading directory failed")
		return
	}
	for _, f := range files {
		crl, err := LoadCRL(f)
		if err != nil {
			s.log(f, 0, err, "  loading crl from '%s' failed", f)
			continue
		}
		s.log(f, 0, nil, "  loaded crl from '%s'", f)
		s.addCRL(newCRLInfo(crl, f))
	}
}

// addCRL is mem_cred's add_crl: a CRL replaces an older one of the same
// issuer (same authorityKeyIdentifier or issuer DN), a newer one already
// held makes it dropped; new CRLs go first.
func (s *Store) addCRL(c *crlInfo) {
	var keep []*crlInfo
	for i, old := range s.crls {
		same := (c.akid != nil && old.akid != nil && bytes.Equal(c.akid, old.akid)) || c.issuer.Equal(old.issuer)
		if !same || c.delta || old.delta {
			keep = append(keep, old)
			continue
		}
		if !crlNewer(c, old, func(format string, args ...any) { s.log(c.path, 0, nil, format, args...) }) {
			keep = append(keep, s.crls[i:]...)
			s.crls = keep
			return
		}
	}
	s.crls = append([]*crlInfo{c}, keep...)
}

// certPath resolves a leftcert= value as stroke does.
func (s *Store) certPath(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return filepath.Join(s.opts.IPsecDir, config.CertsDir, name)
}

func (s *Store) loadCertFiles(files []string) {
	for _, name := range files {
		if _, ok := s.byFile[name]; ok {
			continue
		}
		if strings.HasPrefix(name, "%smartcard") {
			s.log(name, 0, errors.New("smartcards are not supported"), "  loading certificate from '%s' failed", name)
			continue
		}
		p := s.certPath(name)
		c, err := LoadCertificate(p)
		if err != nil {
			s.log(p, 0, err, "  loading certificate from '%s' failed", name)
			continue
		}
		ci := newCertInfo(c, p)
		known := false
		for _, have := range s.certs {
			if certEqual(have.cert, c) {
				ci, known = have, true
				break
			}
		}
		s.log(p, 0, nil, "  loaded certificate \"%s\" from '%s'", ci.subject, name)
		s.byFile[name] = ci
		if !known {
			// mem_cred inserts new certificates first
			s.certs = append([]*certInfo{ci}, s.certs...)
		}
	}
}

func (s *Store) loadSecrets() {
	if s.opts.Secrets == nil {
		return
	}
	s.log(s.opts.Secrets.File, 0, nil, "loading secrets from '%s'", s.opts.Secrets.File)
	for _, e := range s.opts.Secrets.Entries {
		switch e.Type {
		case config.SecretRSA, config.SecretECDSA, config.SecretPKCS8:
			s.loadKey(e)
		case config.SecretPSK, config.SecretEAP, config.SecretXAUTH, config.SecretNTLM:
			s.addShared(e)
		default:
			s.log(e.Pos.File, e.Pos.Line, fmt.Errorf("%s entries are not supported", e.Type),
				"line %d: %s entry skipped", e.Pos.Line, e.Type)
		}
	}
}

func (s *Store) loadKey(e config.SecretEntry) {
	if e.Prompt {
		// charon only prompts when `ipsec rereadsecrets` runs on a terminal
		s.log(e.Path, e.Pos.Line, errors.New("%prompt: no terminal to ask for the passphrase"),
			"  loading private key from '%s' failed", e.Path)
		return
	}
	k, err := LoadPrivateKey(e.Path, e.Passphrases...)
	if err == nil {
		want := KeyAny
		switch e.Type {
		case config.SecretRSA:
			want = KeyRSA
		case config.SecretECDSA:
			want = KeyECDSA
		}
		if got := KeyTypeOf(k); want != KeyAny && got != want {
			err = fmt.Errorf("%s: %s key where %s is expected", e.Path, got, want)
		}
	}
	if err != nil {
		s.log(e.Path, e.Pos.Line, err, "  loading private key from '%s' failed", e.Path)
		return
	}
	ki := &keyInfo{key: k, path: e.Path}
	if der, err := x509.MarshalPKIXPublicKey(k.Public()); err == nil {
		ki.keyID, ki.subjKey = publicKeyIDs(der)
	}
	s.log(e.Path, e.Pos.Line, nil, "  loaded %s private key from '%s'", KeyTypeOf(k), e.Path)
	s.keys = append(s.keys, ki)
}

// CACerts returns the trust anchors (the certificates of ipsec.d/cacerts).
func (s *Store) CACerts() []*x509.Certificate { return certsOf(s.cas) }

// Certs returns the certificates loaded for conns.
func (s *Store) Certs() []*x509.Certificate { return certsOf(s.certs) }

// Cert returns the certificate loaded for a leftcert=/rightcert= value.
func (s *Store) Cert(file string) (*x509.Certificate, bool) {
	ci, ok := s.byFile[file]
	if !ok {
		return nil, false
	}
	return ci.cert, true
}

// CRLs returns the CRLs of ipsec.d/crls.
func (s *Store) CRLs() []*x509.RevocationList {
	out := make([]*x509.RevocationList, len(s.crls))
	for i, c := range s.crls {
		out[i] = c.crl
	}
	return out
}

func certsOf(cis []*certInfo) []*x509.Certificate {
	out := make([]*x509.Certificate, len(cis))
	for i, c := range cis {
		out[i] = c.cert
	}
	return out
}

// trusted returns the trusted certificates in the order strongSwan's
// credential sets enumerate them: conn certificates, then CA certificates.
func (s *Store) trusted() []*certInfo {
	return append(append([]*certInfo(nil), s.certs...), s.cas...)
}

// CertsFor returns the trusted certificates carrying id (subject or
// subjectAltName, wildcards in id allowed; see identity.CertMatches), conn
// certificates first.
func (s *Store) CertsFor(id identity.ID) []*x509.Certificate {
	var out []*x509.Certificate
	for _, ci := range s.trusted() {
		if certHasID(ci, id) {
			out = append(out, ci.cert)
		}
	}
	return out
}

// certHasID is strongSwan's certificate_matches for an identity: the ID's
// encoding is a fingerprint of the key, or the certificate carries it.
func certHasID(ci *certInfo, id identity.ID) bool {
	if id.IsZero() {
		return true
	}
	enc := string(id.Data())
	if enc != "" && (enc == string(ci.keyID) || enc == string(ci.subjKey)) {
		return true
	}
	return identity.CertMatches(ci.cert, id) != identity.MatchNone
}

// PrivateKey returns the private key for a public key.
func (s *Store) PrivateKey(pub crypto.PublicKey) (crypto.Signer, bool) {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for _, k := range s.keys {
		if e, ok := k.key.Public().(equaler); ok && e.Equal(pub) {
			return k.key, true
		}
	}
	return nil, false
}

// HasPrivateKey reports whether the private key of cert is loaded.
func (s *Store) HasPrivateKey(cert *x509.Certificate) bool {
	_, ok := s.PrivateKey(cert.PublicKey)
	return ok
}

// PrivateKeyForID finds the private key to authenticate as id, as
// strongSwan's get_private without a configured certificate: an ID_KEY_ID
// names the key by the SHA-1 hash of its SubjectPublicKeyInfo or public
// key; any other identity is looked up among the trusted certificates
// carrying it (conn certificates first), and the first one whose private
// key is loaded wins. The certificate is nil for a key ID lookup.
func (s *Store) PrivateKeyForID(id identity.ID) (crypto.Signer, *x509.Certificate, bool) {
	if id.IsZero() {
		return nil, nil, false
	}
	if id.Type() == identity.KeyID {
		enc := string(id.Data())
		for _, k := range s.keys {
			if enc == string(k.keyID) || enc == string(k.subjKey) {
				return k.key, nil, true
			}
		}
	}
	for _, ci := range s.trusted() {
		if !certHasID(ci, id) {
			continue
		}
		if k, ok := s.PrivateKey(ci.cert.PublicKey); ok {
			return k, ci.cert, true
		}
	}
	return nil, nil, false
}

// Intermediates returns the certificates to send along with cert in CERT
// payloads: its issuers found among the trusted certificates, up to (not
// including) a self-signed one, as strongSwan's build_trustchain adds them
// as intermediate CA certificates.
func (s *Store) Intermediates(cert *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	cur := newCertInfo(cert, "")
	for i := 0; i <= maxTrustPathLen; i++ {
		var issuer *certInfo
		for _, cand := range s.trusted() {
			if !certEqual(cand.cert, cur.cert) && identity.CertMatches(cand.cert, cur.issuer) != identity.MatchNone && cur.issuedBy(cand) {
				issuer = cand
				break
			}
		}
		if issuer == nil || issuer.is(flagSelfSigned) {
			break
		}
		out = append(out, issuer.cert)
		cur = issuer
	}
	return out
}

// serialBytes returns the serial number as strongSwan prints it: the
// big-endian octets without leading zeros (one zero octet for 0).
func serialBytes(n *big.Int) []byte {
	if n == nil {
		return nil
	}
	if n.Sign() < 0 {
		// two's complement, as encoded
		l := (n.BitLen() + 8) / 8
		m := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*l)), n)
		b := m.Bytes()
		for len(b) > 1 && b[0] == 0 {
			b = b[1:]
		}
		return b
	}
	if n.Sign() == 0 {
		return []byte{0}
	}
	return n.Bytes()
}
