package credentials

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	_ "crypto/sha1" // SHA-1 signed certificates, as strongSwan accepts them
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
)

// ErrSignature means a certificate or CRL signature does not verify.
var ErrSignature = errors.New("signature verification failed")

// checkSignature verifies the signature of a certificate or CRL with the
// issuer's public key. Unlike crypto/x509 it accepts SHA-1 signatures, as
// strongSwan 5.9 does; MD5 and RSA-PSS with non-standard parameters are
// not supported.
func checkSignature(pub crypto.PublicKey, alg x509.SignatureAlgorithm, signed, sig []byte) error {
	var hash crypto.Hash
	pss := false
	switch alg {
	case x509.SHA1WithRSA, x509.ECDSAWithSHA1:
		hash = crypto.SHA1
	case x509.SHA256WithRSA, x509.ECDSAWithSHA256:
		hash = crypto.SHA256
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384:
		hash = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512:
		hash = crypto.SHA512
	case x509.SHA256WithRSAPSS:
		hash, pss = crypto.SHA256, true
	case x509.SHA384WithRSAPSS:
		hash, pss = crypto.SHA384, true
	case x509.SHA512WithRSAPSS:
		hash, pss = crypto.SHA512, true
	case x509.PureEd25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || !ed25519.Verify(k, signed, sig) {
			return ErrSignature
		}
		return nil
	default:
		return fmt.Errorf("%w: algorithm %v not supported", ErrSignature, alg)
	}
	h := hash.New()
	h.Write(signed)
	digest := h.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg == x509.ECDSAWithSHA1 || alg == x509.ECDSAWithSHA256 || alg == x509.ECDSAWithSHA384 || alg == x509.ECDSAWithSHA512 {
			return ErrSignature
		}
		var err error
		if pss {
			err = rsa.VerifyPSS(k, hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			err = rsa.VerifyPKCS1v15(k, hash, digest, sig)
		}
		if err != nil {
			return ErrSignature
		}
		return nil
	case *ecdsa.PublicKey:
		switch alg {
		case x509.ECDSAWithSHA1, x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
			if ecdsa.VerifyASN1(k, digest, sig) {
				return nil
			}
		}
	}
	return ErrSignature
}
