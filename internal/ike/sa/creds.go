package sa

import (
	"crypto"
	"crypto/x509"
	"errors"
	"iter"
	"time"

	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/identity"
)

// Creds is what the IKE core needs of the credential store. StoreCreds
// adapts internal/credentials; tests may use small fakes.
type Creds interface {
	// SharedKey returns the best-matching pre-shared key for the two
	// identities (the one charon authenticates itself with).
	SharedKey(local, remote identity.ID) ([]byte, bool)
	// SharedKeys returns the pre-shared keys for the two identities in the
	// order charon tries them to verify the peer.
	SharedKeys(local, remote identity.ID) [][]byte
	// LocalCert returns our certificate (of the leftcert files, or one
	// carrying id), its private key and the intermediate CA certificates
	// to send.
	LocalCert(files []string, id identity.ID) (*x509.Certificate, crypto.Signer, []*x509.Certificate, error)
	// PeerChains enumerates the certificates that may authenticate the
	// peer (locally stored ones carrying id, then those it sent), each
	// verified against the trust anchors, CRLs and the rightca constraint
	// ca ("" for none), in the order charon tries them.
	PeerChains(id identity.ID, kt credentials.KeyType, received []*x509.Certificate, ca string) iter.Seq[*credentials.Chain]
	// CertReqs returns the key IDs of the trust anchors for CERTREQ
	// payloads, with the names charon logs.
	CertReqs() (keyIDs [][]byte, names []string)
	// AnchorName names the trust anchor with this key ID, if known.
	AnchorName(keyID []byte) (string, bool)
}

// StoreCreds serves the core from a credential store; now tells the time
// for validity checks, crl the strictcrlpolicy.
func StoreCreds(s *credentials.Store, now func() time.Time, crl credentials.CRLPolicy) Creds {
	return &storeCreds{s: s, now: now, crl: crl}
}

type storeCreds struct {
	s   *credentials.Store
	now func() time.Time
	crl credentials.CRLPolicy
}

func (c *storeCreds) SharedKey(local, remote identity.ID) ([]byte, bool) {
	m, ok := c.s.SharedKey(credentials.SharedIKE, local, remote)
	if !ok {
		return nil, false
	}
	return m.Secret, true
}

func (c *storeCreds) SharedKeys(local, remote identity.ID) [][]byte {
	var out [][]byte
	for _, m := range c.s.SharedKeys(credentials.SharedIKE, local, remote) {
		out = append(out, m.Secret)
	}
	return out
}

func (c *storeCreds) LocalCert(files []string, id identity.ID) (*x509.Certificate, crypto.Signer, []*x509.Certificate, error) {
	for _, f := range files {
		cert, ok := c.s.Cert(f)
		if !ok {
			continue
		}
		if key, ok := c.s.PrivateKey(cert.PublicKey); ok {
			return cert, key, c.s.Intermediates(cert), nil
		}
	}
	if key, cert, ok := c.s.PrivateKeyForID(id); ok {
		return cert, key, c.s.Intermediates(cert), nil
	}
	return nil, nil, nil, errors.New("no private key found")
}

func (c *storeCreds) PeerChains(id identity.ID, kt credentials.KeyType, received []*x509.Certificate, ca string) iter.Seq[*credentials.Chain] {
	cons := credentials.Constraints{CRL: c.crl}
	if ca != "" {
		cons.CA, _ = c.s.CACert(ca)
	}
	return c.s.PeerCerts(id, kt, received, c.now(), cons)
}

func (c *storeCreds) CertReqs() ([][]byte, []string) {
	return c.s.CertReqs()
}

func (c *storeCreds) AnchorName(keyID []byte) (string, bool) {
	ca, ok := c.s.TrustAnchorByKeyID(keyID)
	if !ok {
		return "", false
	}
	return identity.FromCertSubject(ca).String(), true
}
