// Package pki generates the test PKI that strongSwan's test scenarios
// expect: the "strongSwan Root CA", end-entity certificates for the test
// hosts and users with the upstream names, identities and serial numbers,
// a CRL, and the key files laid out as the test hosts have them under /etc.
//
// It uses only the standard library; it must not import the daemon's
// packages, so that the lab tests the daemon against an independent PKI.
package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Names shared with the scenarios.
const (
	Organization    = "strongSwan Project"
	CACommonName    = "strongSwan Root CA"
	CRLURI          = "http://crl.strongswan.org/strongswan.crl"
	CarolPassphrase = "nH5ZQEWtku0RJEZ6" // ipsec.secrets: : RSA carolKey.pem "nH5ZQEWtku0RJEZ6"
	DefaultBits     = 3072

	// layoutVersion is written to the completion marker; bump it when the
	// files or their contents change so that caches are regenerated.
	layoutVersion = "goswan-pki 1"
	markerFile    = ".complete"
)

// Entity is an end-entity certificate of the test PKI.
type Entity struct {
	Name       string // file prefix: <Name>Cert.pem, <Name>Key.pem
	ID         string // CN and subjectAltName (e-mail if it has an @, else DNS)
	OU         string // optional organizational unit
	Serial     int64
	ServerAuth bool   // extendedKeyUsage serverAuth (TLS servers)
	Host       string // lab host whose /etc gets this credential ("" = none)
}

// Entities are the end entities, with the serials of strongSwan's
// testing/scripts/build-certs.
var Entities = []Entity{
	{Name: "carol", ID: "carol@strongswan.org", OU: "Research", Serial: 0x01, Host: "carol"},
	{Name: "dave", ID: "dave@strongswan.org", OU: "Accounting", Serial: 0x02, Host: "dave"},
	{Name: "moon", ID: "moon.strongswan.org", Serial: 0x03, Host: "moon"},
	{Name: "sun", ID: "sun.strongswan.org", Serial: 0x04, Host: "sun"},
	{Name: "alice", ID: "alice@strongswan.org", OU: "Sales", Serial: 0x05, Host: "alice"},
	{Name: "venus", ID: "venus.strongswan.org", Serial: 0x06, Host: "venus"},
	{Name: "bob", ID: "bob@strongswan.org", OU: "Research", Serial: 0x07, Host: "bob"},
	{Name: "winnetou", ID: "winnetou.strongswan.org", Serial: 0x15, ServerAuth: true},
	{Name: "aaa", ID: "aaa.strongswan.org", Serial: 0x16, ServerAuth: true},
}

// Subject returns the entity's distinguished name.
func (e Entity) Subject() pkix.Name {
	n := pkix.Name{Country: []string{"CH"}, Organization: []string{Organization}, CommonName: e.ID}
	if e.OU != "" {
		n.OrganizationalUnit = []string{e.OU}
	}
	return n
}

// Options control generation.
type Options struct {
	Bits int       // RSA modulus size; DefaultBits if 0
	Now  time.Time // time.Now() if zero
}

// Credential is an issued certificate with its key.
type Credential struct {
	Entity
	Cert *x509.Certificate
	Key  *rsa.PrivateKey
}

// PKI is a generated test PKI.
type PKI struct {
	CA    *x509.Certificate
	CAKey *rsa.PrivateKey
	CRL   []byte // DER
	Creds []Credential
}

// Cred returns the credential called name (carol, moon, aaa ...).
func (p *PKI) Cred(name string) (Credential, bool) {
	for _, c := range p.Creds {
		if c.Name == name {
			return c, true
		}
	}
	return Credential{}, false
}

// Generate creates a new PKI. The RSA keys are generated in parallel.
func Generate(opts Options) (*PKI, error) {
	bits := opts.Bits
	if bits == 0 {
		bits = DefaultBits
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	keys := make([]*rsa.PrivateKey, len(Entities)+1)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = rsa.GenerateKey(rand.Reader, bits)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// Validity as in build-certs: backdated two days, CA ~20 years, end
	// entities ending inside the CA's validity.
	start := now.Add(-48 * time.Hour).UTC().Truncate(time.Second)
	caEnd := start.AddDate(20, 0, 0)
	eeEnd := caEnd.AddDate(0, 0, -100)

	caSerial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial.Add(caSerial, big.NewInt(1)),
		Subject:               pkix.Name{Country: []string{"CH"}, Organization: []string{Organization}, CommonName: CACommonName},
		NotBefore:             start,
		NotAfter:              caEnd,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            1,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	p := &PKI{CAKey: keys[0]}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &p.CAKey.PublicKey, p.CAKey)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	if p.CA, err = x509.ParseCertificate(der); err != nil {
		return nil, err
	}

	for i, e := range Entities {
		t := &x509.Certificate{
			SerialNumber:          big.NewInt(e.Serial),
			Subject:               e.Subject(),
			NotBefore:             start,
			NotAfter:              eeEnd,
			BasicConstraintsValid: false,
			CRLDistributionPoints: []string{CRLURI},
		}
		if strings.Contains(e.ID, "@") {
			t.EmailAddresses = []string{e.ID}
		} else {
			t.DNSNames = []string{e.ID}
		}
		if e.ServerAuth {
			t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		}
		key := keys[i+1]
		der, err := x509.CreateCertificate(rand.Reader, t, p.CA, &key.PublicKey, p.CAKey)
		if err != nil {
			return nil, fmt.Errorf("%s certificate: %w", e.Name, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		p.Creds = append(p.Creds, Credential{Entity: e, Cert: c, Key: key})
	}

	p.CRL, err = x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:     big.NewInt(1),
		ThisUpdate: now.UTC().Truncate(time.Second),
		NextUpdate: now.UTC().Truncate(time.Second).AddDate(10, 0, 0),
	}, p.CA, p.CAKey)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	return p, nil
}

// CertPEM encodes a certificate.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// KeyPEM encodes an RSA key unencrypted, as PKCS#1 ("RSA PRIVATE KEY").
func KeyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// Files returns the PKI as files, relative paths to contents and modes.
//
//	ca/strongswanCert.pem ca/strongswanKey.pem ca/strongswan.crl (DER)
//	ee/<name>Cert.pem ee/<name>Key.pem
//	hosts/<host>/ipsec.d/{cacerts,certs,private}/...   (paths relative to /etc)
//	hosts/<host>/swanctl/{x509ca,x509,rsa}/...
//	hosts/alice/raddb/certs/{strongswanCert,aaaCert,aaaKey}.pem  (FreeRADIUS)
//	hosts/winnetou/ca/{strongswanCert.pem,strongswan.crl,winnetouCert.pem,winnetouKey.pem}
//
// hosts/carol/ipsec.d/private/carolKey.pem is encrypted with
// CarolPassphrase (traditional PEM, AES-128-CBC); every other key is not.
func (p *PKI) Files() (map[string]File, error) {
	caPEM := CertPEM(p.CA)
	f := map[string]File{
		"ca/strongswanCert.pem": {caPEM, 0o644},
		"ca/strongswanKey.pem":  {KeyPEM(p.CAKey), 0o600},
		"ca/strongswan.crl":     {p.CRL, 0o644},
	}
	for _, c := range p.Creds {
		f["ee/"+c.Name+"Cert.pem"] = File{CertPEM(c.Cert), 0o644}
		f["ee/"+c.Name+"Key.pem"] = File{KeyPEM(c.Key), 0o600}
		if c.Host == "" {
			continue
		}
		h := "hosts/" + c.Host + "/"
		key := KeyPEM(c.Key)
		if c.Name == "carol" {
			enc, err := EncryptPEMKey(c.Key, []byte(CarolPassphrase), rand.Reader)
			if err != nil {
				return nil, err
			}
			f[h+"ipsec.d/private/carolKey.pem"] = File{enc, 0o600}
		} else {
			f[h+"ipsec.d/private/"+c.Name+"Key.pem"] = File{key, 0o600}
		}
		f[h+"ipsec.d/cacerts/strongswanCert.pem"] = File{caPEM, 0o644}
		f[h+"ipsec.d/certs/"+c.Name+"Cert.pem"] = File{CertPEM(c.Cert), 0o644}
		f[h+"swanctl/x509ca/strongswanCert.pem"] = File{caPEM, 0o644}
		f[h+"swanctl/x509/"+c.Name+"Cert.pem"] = File{CertPEM(c.Cert), 0o644}
		f[h+"swanctl/rsa/"+c.Name+"Key.pem"] = File{key, 0o600}
	}
	if aaa, ok := p.Cred("aaa"); ok {
		f["hosts/alice/raddb/certs/strongswanCert.pem"] = File{caPEM, 0o644}
		f["hosts/alice/raddb/certs/aaaCert.pem"] = File{CertPEM(aaa.Cert), 0o644}
		f["hosts/alice/raddb/certs/aaaKey.pem"] = File{KeyPEM(aaa.Key), 0o640}
	}
	if w, ok := p.Cred("winnetou"); ok {
		f["hosts/winnetou/ca/strongswanCert.pem"] = File{caPEM, 0o644}
		f["hosts/winnetou/ca/strongswan.crl"] = File{p.CRL, 0o644}
		f["hosts/winnetou/ca/winnetouCert.pem"] = File{CertPEM(w.Cert), 0o644}
		f["hosts/winnetou/ca/winnetouKey.pem"] = File{KeyPEM(w.Key), 0o600}
	}
	return f, nil
}

// File is the content and mode of one generated file.
type File struct {
	Data []byte
	Mode os.FileMode
}

// WriteDir writes the PKI into dir, replacing what is there. The files
// appear together: they are written to a sibling directory first, which is
// then renamed.
func (p *PKI) WriteDir(dir string) error {
	files, err := p.Files()
	if err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for rel, f := range files {
		full := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, markerFile), []byte(layoutVersion+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// Complete reports whether dir holds a PKI written by this version.
func Complete(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	return err == nil && strings.TrimSpace(string(b)) == layoutVersion
}

// Ensure makes sure dir holds a PKI, generating one only if it does not
// (the cache). It reports whether it generated.
func Ensure(dir string, opts Options) (bool, error) {
	if Complete(dir) {
		return false, nil
	}
	p, err := Generate(opts)
	if err != nil {
		return false, err
	}
	return true, p.WriteDir(dir)
}

// DN formats a name the way strongSwan prints and writes it (in RDN
// order): "C=CH, O=strongSwan Project, OU=Research, CN=carol@strongswan.org".
func DN(n pkix.Name) string {
	short := map[string]string{"2.5.4.6": "C", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.3": "CN", "2.5.4.5": "serialNumber"}
	var parts []string
	for _, rdn := range n.ToRDNSequence() {
		for _, atv := range rdn {
			k := short[atv.Type.String()]
			if k == "" {
				k = atv.Type.String()
			}
			parts = append(parts, fmt.Sprintf("%s=%v", k, atv.Value))
		}
	}
	return strings.Join(parts, ", ")
}
