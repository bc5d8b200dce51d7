package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"

	"github.com/goswan/goswan/internal/credentials"
	"github.com/goswan/goswan/internal/identity"
	ikecrypto "github.com/goswan/goswan/internal/ike/crypto"
	"github.com/goswan/goswan/internal/ike/message"
)

// Errors of AUTH payload parsing and verification. The messages of
// ErrUnsupportedMethod and ErrPayloadInvalid are charon's ("digital
// signature authentication payload invalid").
var (
	ErrUnsupportedMethod = errors.New("authentication unsupported")
	ErrPayloadInvalid    = errors.New("authentication payload invalid")
	ErrVerify            = errors.New("signature validation failed")
)

// Params is a public key AUTH payload, parsed or created: the method, the
// signature scheme it uses and the signature value (for method 14 without
// the AlgorithmIdentifier).
type Params struct {
	Method    message.AuthMethod
	Scheme    Scheme
	Signature []byte
}

// String returns LogName.
func (p Params) String() string { return p.LogName() }

// KeyType is the type of key that can verify the signature: the key type
// charon looks for among the peer's trusted certificates (see
// credentials.Store.PeerCerts).
func (p Params) KeyType() credentials.KeyType { return p.Scheme.KeyType() }

// LogName is how charon names the authentication in "authentication of
// '%Y' with %s successful": the scheme for method 14
// ("RSA_EMSA_PKCS1_SHA2_256", "ECDSA_WITH_SHA384_DER", "ED25519",
// "RSA_EMSA_PSS_SHA2_256_SALT_32"), the method otherwise ("RSA signature",
// "ECDSA-256 signature").
func (p Params) LogName() string {
	if p.Method == message.AuthDS {
		return p.Scheme.String()
	}
	return p.Method.String()
}

type methodError struct {
	method message.AuthMethod
	err    error
	detail error
}

func (e *methodError) Error() string {
	s := e.method.String() + " " + e.err.Error()
	if e.detail != nil {
		s += ": " + e.detail.Error()
	}
	return s
}

func (e *methodError) Unwrap() []error { return []error{e.err, e.detail} }

// ParseAuth interprets the AUTH payload of a public key authentication as
// charon's pubkey authenticator: method 1 is RSA PKCS#1 v1.5 with SHA-1,
// 9, 10, 11 ECDSA with SHA-256/384/512 (RFC 4754), 14 an RFC 7427
// signature whose AlgorithmIdentifier must name a known scheme
// (sha1/224/256/384/512WithRSAEncryption, RSASSA-PSS with parameters,
// ecdsa-with-SHA1/256/384/512, Ed25519; strongSwan's aliases of bare hash
// OIDs for RSA and id-ecPublicKey for ECDSA with SHA-1 included). Other
// methods give ErrUnsupportedMethod, malformed data ErrPayloadInvalid.
func ParseAuth(method message.AuthMethod, data []byte) (Params, error) {
	p := Params{Method: method, Signature: data}
	switch method {
	case message.AuthRSA:
		p.Scheme = Scheme{ID: RSAPKCS1SHA1}
	case message.AuthECDSA256:
		p.Scheme = Scheme{ID: ECDSA256}
	case message.AuthECDSA384:
		p.Scheme = Scheme{ID: ECDSA384}
	case message.AuthECDSA521:
		p.Scheme = Scheme{ID: ECDSA521}
	case message.AuthDS:
		algID, sig, err := message.SplitDigitalSignature(data)
		if err == nil {
			p.Scheme, err = ParseAlgorithmIdentifier(algID)
		}
		if err != nil {
			return Params{}, &methodError{method, ErrPayloadInvalid, err}
		}
		p.Signature = sig
	default:
		return Params{}, &methodError{method, ErrUnsupportedMethod, nil}
	}
	return p, nil
}

// Verify checks the signature over octets with pub.
func (p Params) Verify(pub crypto.PublicKey, octets []byte) error {
	if kt := credentials.KeyTypeOf(pub); kt != p.KeyType() {
		return fmt.Errorf("%w: %s signature with a %s key", ErrVerify, p.Scheme, kt)
	}
	s := p.Scheme
	if s.ID == Ed25519 {
		k := pub.(ed25519.PublicKey)
		if len(k) != ed25519.PublicKeySize || !ed25519.Verify(k, octets, p.Signature) {
			return ErrVerify
		}
		return nil
	}
	h, ok := cryptoHash(s.Hash())
	if !ok {
		return fmt.Errorf("%w: %s not supported", ErrVerify, s)
	}
	d := h.New()
	d.Write(octets)
	digest := d.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		var err error
		if s.ID == RSAPSS {
			if s.PSS.MGF1Hash != s.PSS.Hash {
				return fmt.Errorf("%w: %s with MGF1 %s not supported", ErrVerify, s, hashUpper(s.PSS.MGF1Hash))
			}
			salt := s.PSS.SaltLen
			if salt == 0 {
				salt = rsa.PSSSaltLengthAuto
			}
			err = rsa.VerifyPSS(k, h, digest, p.Signature, &rsa.PSSOptions{SaltLength: salt, Hash: h})
		} else {
			err = rsa.VerifyPKCS1v15(k, h, digest, p.Signature)
		}
		if err != nil {
			return ErrVerify
		}
		return nil
	case *ecdsa.PublicKey:
		switch s.ID {
		case ECDSA256, ECDSA384, ECDSA521:
			bits := map[SchemeID]int{ECDSA256: 256, ECDSA384: 384, ECDSA521: 521}[s.ID]
			sig := p.Signature
			if k.Curve.Params().BitSize != bits || len(sig) == 0 || len(sig)%2 != 0 {
				return ErrVerify
			}
			r := new(big.Int).SetBytes(sig[:len(sig)/2])
			ss := new(big.Int).SetBytes(sig[len(sig)/2:])
			if !ecdsa.Verify(k, digest, r, ss) {
				return ErrVerify
			}
			return nil
		}
		if !ecdsa.VerifyASN1(k, digest, p.Signature) {
			return ErrVerify
		}
		return nil
	}
	return ErrVerify
}

// VerifyAuth parses the AUTH payload (ParseAuth) and verifies it over
// octets with pub. The Params tell how charon logs the result:
//
//	authentication of 'carol@strongswan.org' with RSA_EMSA_PKCS1_SHA2_256 successful
func VerifyAuth(pub crypto.PublicKey, method message.AuthMethod, data, octets []byte) (Params, error) {
	p, err := ParseAuth(method, data)
	if err != nil {
		return p, err
	}
	return p, p.Verify(pub, octets)
}

// NoTrustedKey is charon's line when no trusted public key of the
// required type verified the peer's AUTH payload, e.g.
//
//	no trusted RSA public key found for 'carol@strongswan.org'
func NoTrustedKey(kt credentials.KeyType, id identity.ID) string {
	return fmt.Sprintf("no trusted %s public key found for '%s'", kt, id)
}

// PSKAuth returns the AUTH data of shared key authentication (RFC 7296
// section 2.15) with the negotiated PRF; see crypto.SharedKeyAuth.
func PSKAuth(prf uint16, secret, octets []byte) ([]byte, error) {
	return ikecrypto.SharedKeyAuth(prf, secret, octets)
}

// VerifyPSK reports whether received is the AUTH data for secret,
// comparing in constant time; empty data never verifies.
func VerifyPSK(prf uint16, secret, octets, received []byte) bool {
	want, err := PSKAuth(prf, secret, octets)
	return err == nil && len(want) > 0 && subtle.ConstantTimeCompare(want, received) == 1
}
