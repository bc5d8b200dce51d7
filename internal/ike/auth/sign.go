package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"

	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/ike/message"
)

// SupportedHashes returns the hash algorithms charon announces without
// signature scheme constraints: SHA2-256, SHA2-384, SHA2-512, Identity.
func SupportedHashes() []uint16 { return SupportedHashAlgorithms(nil) }

// SupportedHashAlgorithms returns the hash algorithms charon announces in
// its SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 section 4), in its order:
// the IKEv2 hashes of the signature schemes the peer's authentication
// rounds are constrained to (rightauth=ike:...), or, without such
// constraints, every hash charon has an implementation of: SHA2-256,
// SHA2-384, SHA2-512, Identity.
func SupportedHashAlgorithms(constraints []Scheme) []uint16 {
	var out []uint16
	for _, s := range constraints {
		if h := s.Hash(); forIKEv2(h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		out = []uint16{HashSHA256, HashSHA384, HashSHA512, HashIdentity}
	}
	slices.Sort(out)
	return out
}

// ParseHashAlgorithms reads the data of a received SIGNATURE_HASH_ALGORITHMS
// notify as charon does: 16-bit identifiers, of which only SHA2-256/384/512
// and Identity are kept. A nil result means RFC 7427 authentication is not
// to be used with this peer.
func ParseHashAlgorithms(data []byte) []uint16 {
	var out []uint16
	for len(data) >= 2 {
		h := uint16(data[0])<<8 | uint16(data[1])
		data = data[2:]
		if forIKEv2(h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// SignOptions configure SignAuth.
type SignOptions struct {
	// Schemes are the signature schemes configured for our own
	// authentication (leftauth=...-sha384 and the like, strongSwan's
	// AUTH_RULE_IKE_SIGNATURE_SCHEME); empty for charon's defaults.
	Schemes []Scheme
	// RSAPSS is strongswan.conf's charon.rsa_pss: by default, sign with
	// RSASSA-PSS rather than PKCS#1 v1.5.
	RSAPSS bool
	// Rand is the randomness for ECDSA and PSS (nil: crypto/rand).
	Rand io.Reader
}

// Errors of SignAuth.
var (
	ErrNoCommonHash = errors.New("no common hash algorithm found to create signature")
	ErrKeyType      = errors.New("key type not supported")
)

// pssDefaults are strongSwan's RSASSA-PSS parameter sets for default
// schemes: MGF1 with the same hash, salt as long as the hash.
func pssScheme(h uint16, salt int) Scheme {
	return Scheme{ID: RSAPSS, PSS: &PSSParams{Hash: h, MGF1Hash: h, SaltLen: salt}}
}

// defaultSchemes is strongSwan's signature_schemes_for_key (scheme_map):
// the schemes for a key type and size, best first.
func defaultSchemes(kt credentials.KeyType, size int) []Scheme {
	type entry struct {
		max int
		s   Scheme
	}
	var m []entry
	switch kt {
	case credentials.KeyRSA:
		m = []entry{{3072, pssScheme(HashSHA256, 32)}, {7680, pssScheme(HashSHA384, 48)}, {0, pssScheme(HashSHA512, 64)},
			{3072, Scheme{ID: RSAPKCS1SHA256}}, {7680, Scheme{ID: RSAPKCS1SHA384}}, {0, Scheme{ID: RSAPKCS1SHA512}}}
	case credentials.KeyECDSA:
		m = []entry{{256, Scheme{ID: ECDSAWithSHA256DER}}, {384, Scheme{ID: ECDSAWithSHA384DER}}, {0, Scheme{ID: ECDSAWithSHA512DER}}}
	case credentials.KeyEd25519:
		m = []entry{{0, Scheme{ID: Ed25519}}}
	}
	var out []Scheme
	for _, e := range m {
		if size <= e.max || e.max == 0 {
			out = append(out, e.s)
		}
	}
	return out
}

// SelectSchemes returns the RFC 7427 schemes charon would try, in order,
// to sign with key for a peer that announced peerHashes, as strongSwan's
// pubkey authenticator selects them: the configured schemes matching the
// key type and announced hashes if any are configured; else the defaults
// for the key (for RSA up to 3072 bits SHA2-256, up to 7680 bits
// SHA2-384, else SHA2-512, as RSASSA-PSS first if opts.RSAPSS, else PKCS#1
// v1.5; for ECDSA the hash matching the curve and the longer ones; Ed25519
// pure) that the peer announced, and for RSA also PKCS#1 v1.5 with
// SHA2-384 and SHA2-256.
func SelectSchemes(key crypto.PublicKey, peerHashes []uint16, opts SignOptions) []Scheme {
	kt := credentials.KeyTypeOf(key)
	ok := func(s Scheme) bool { return slices.Contains(peerHashes, s.Hash()) }
	var out []Scheme
	if len(opts.Schemes) > 0 {
		for _, s := range opts.Schemes {
			if s.KeyType() == kt && ok(s) {
				out = append(out, s)
			}
		}
		return out
	}
	for _, s := range defaultSchemes(kt, credentials.KeySize(key)) {
		if s.ID == RSAPSS && !opts.RSAPSS {
			continue
		}
		if ok(s) {
			out = append(out, s)
		}
	}
	if kt == credentials.KeyRSA {
		for _, id := range []SchemeID{RSAPKCS1SHA384, RSAPKCS1SHA256} {
			s := Scheme{ID: id}
			if ok(s) && !slices.ContainsFunc(out, func(o Scheme) bool { return o.ID == id }) {
				out = append(out, s)
			}
		}
	}
	return out
}

// SignAuth creates the AUTH payload body for public key authentication
// (RFC 7296 section 2.15) over octets (see crypto.AuthOctets). peerHashes
// are the hash algorithms of the peer's SIGNATURE_HASH_ALGORITHMS notify
// (see ParseHashAlgorithms), nil if it sent none.
//
// With RFC 7427 support (peerHashes not empty) the method is 14 with the
// first scheme of SelectSchemes; otherwise the classic methods: 1 (RSA
// PKCS#1 v1.5 with SHA-1) or 9, 10, 11 (ECDSA with SHA-256/384/512 on
// P-256/384/521, r|s as in RFC 4754); Ed25519 keys need RFC 7427.
//
// It returns the method and data of the AUTH payload, and the Params,
// whose String is how charon names the authentication in
//
//	authentication of 'moon.strongswan.org' (myself) with RSA_EMSA_PKCS1_SHA2_256 successful
func SignAuth(key crypto.Signer, octets []byte, peerHashes []uint16, opts SignOptions) (message.AuthMethod, []byte, Params, error) {
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	kt := credentials.KeyTypeOf(key)
	peerHashes = ikev2Hashes(peerHashes)
	if len(peerHashes) == 0 {
		p, err := signClassic(key, kt, octets, r)
		return p.Method, p.Signature, p, err
	}
	schemes := SelectSchemes(key.Public(), peerHashes, opts)
	if len(schemes) == 0 {
		return 0, nil, Params{}, fmt.Errorf("%w with %s key", ErrNoCommonHash, kt)
	}
	var lastErr error
	for _, s := range schemes {
		sig, err := sign(key, s, octets, r)
		if err != nil {
			lastErr = err
			continue
		}
		algID, err := s.AlgorithmIdentifier()
		if err != nil {
			lastErr = err
			continue
		}
		data, err := message.AppendDigitalSignature(nil, algID, sig)
		if err != nil {
			lastErr = err
			continue
		}
		return message.AuthDS, data, Params{Method: message.AuthDS, Scheme: s, Signature: sig}, nil
	}
	return 0, nil, Params{}, fmt.Errorf("unable to create signature with %s key: %w", kt, lastErr)
}

// ikev2Hashes keeps the hash algorithms usable for IKEv2 signatures; the
// RFC 7427 extension is enabled only if one remains.
func ikev2Hashes(hs []uint16) []uint16 {
	var out []uint16
	for _, h := range hs {
		if forIKEv2(h) {
			out = append(out, h)
		}
	}
	return out
}

func signClassic(key crypto.Signer, kt credentials.KeyType, octets []byte, r io.Reader) (Params, error) {
	var s Scheme
	var m message.AuthMethod
	switch kt {
	case credentials.KeyRSA:
		s, m = Scheme{ID: RSAPKCS1SHA1}, message.AuthRSA
	case credentials.KeyECDSA:
		switch size := credentials.KeySize(key.Public()); size {
		case 256:
			s, m = Scheme{ID: ECDSA256}, message.AuthECDSA256
		case 384:
			s, m = Scheme{ID: ECDSA384}, message.AuthECDSA384
		case 521:
			s, m = Scheme{ID: ECDSA521}, message.AuthECDSA521
		default:
			return Params{}, fmt.Errorf("%w: %d bit ECDSA private key size not supported", ErrKeyType, size)
		}
	default:
		return Params{}, fmt.Errorf("%w: private key of type %s not supported", ErrKeyType, kt)
	}
	sig, err := sign(key, s, octets, r)
	if err != nil {
		return Params{}, err
	}
	return Params{Method: m, Scheme: s, Signature: sig}, nil
}

// sign creates the signature value of scheme s.
func sign(key crypto.Signer, s Scheme, octets []byte, r io.Reader) ([]byte, error) {
	if s.KeyType() != credentials.KeyTypeOf(key) {
		return nil, fmt.Errorf("%w: %s with a %s key", ErrKeyType, s, credentials.KeyTypeOf(key))
	}
	if s.ID == Ed25519 {
		return key.Sign(r, octets, crypto.Hash(0))
	}
	hid := s.Hash()
	h, ok := cryptoHash(hid)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrScheme, s)
	}
	d := h.New()
	d.Write(octets)
	digest := d.Sum(nil)
	switch s.ID {
	case RSAPSS:
		if s.PSS.MGF1Hash != s.PSS.Hash || s.PSS.SaltLen <= 0 {
			// crypto/rsa uses the signature hash for MGF1, and salt
			// length 0 means "maximal" to it
			return nil, fmt.Errorf("%w: %s with MGF1 %s", ErrScheme, s, hashUpper(s.PSS.MGF1Hash))
		}
		return key.Sign(r, digest, &rsa.PSSOptions{SaltLength: s.PSS.SaltLen, Hash: h})
	case ECDSA256, ECDSA384, ECDSA521:
		der, err := key.Sign(r, digest, h)
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return nil, err
		}
		size := (key.Public().(*ecdsa.PublicKey).Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		rs.R.FillBytes(out[:size])
		rs.S.FillBytes(out[size:])
		return out, nil
	}
	return key.Sign(r, digest, h)
}
