package credentials

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"
)

// PKCS#8 EncryptedPrivateKeyInfo with PBES2 (RFC 8018), as `openssl
// pkcs8 -topk8 -v2 aes256` and `openssl genpkey -aes256` write it.

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
)

var pbkdf2PRFs = map[string]func() hash.Hash{
	"1.2.840.113549.2.7":  sha1.New,
	"1.2.840.113549.2.9":  sha256.New,
	"1.2.840.113549.2.10": sha512.New384,
	"1.2.840.113549.2.11": sha512.New,
}

var pbes2Ciphers = map[string]struct {
	keyLen int
	block  func([]byte) (cipher.Block, error)
}{
	"2.16.840.1.101.3.4.1.2":  {16, aes.NewCipher},
	"2.16.840.1.101.3.4.1.22": {24, aes.NewCipher},
	"2.16.840.1.101.3.4.1.42": {32, aes.NewCipher},
	"1.2.840.113549.3.7":      {24, des.NewTripleDESCipher},
}

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

func isPBES2(der []byte) bool {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	return err == nil && len(rest) == 0 && info.Algorithm.Algorithm.Equal(oidPBES2)
}

func decryptPKCS8(der []byte, passphrases [][]byte) (crypto.Signer, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: bad EncryptedPrivateKeyInfo", ErrFormat)
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w: PKCS#8 encryption %v (only PBES2)", ErrFormat, info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("%w: bad PBES2 parameters", ErrFormat)
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w: PBES2 KDF %v (only PBKDF2)", ErrFormat, params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("%w: bad PBKDF2 parameters", ErrFormat)
	}
	if kdf.IterationCount < 1 || kdf.IterationCount > 1_000_000 {
		return nil, fmt.Errorf("%w: PBKDF2 iteration count %d", ErrFormat, kdf.IterationCount)
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = pbkdf2PRFs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, fmt.Errorf("%w: PBKDF2 PRF %v", ErrFormat, kdf.PRF.Algorithm)
		}
	}
	c, ok := pbes2Ciphers[params.EncryptionScheme.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("%w: PBES2 cipher %v", ErrFormat, params.EncryptionScheme.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("%w: bad PBES2 IV", ErrFormat)
	}
	for _, pass := range passphrases {
		key, err := pbkdf2.Key(prf, string(pass), kdf.Salt, kdf.IterationCount, c.keyLen)
		if err != nil {
			return nil, err
		}
		b, err := c.block(key)
		if err != nil {
			return nil, err
		}
		if len(iv) != b.BlockSize() || len(info.EncryptedData) == 0 || len(info.EncryptedData)%b.BlockSize() != 0 {
			return nil, fmt.Errorf("%w: bad PBES2 data", ErrFormat)
		}
		plain := make([]byte, len(info.EncryptedData))
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(plain, info.EncryptedData)
		plain, ok := unpad(plain, b.BlockSize())
		if !ok {
			continue
		}
		if k, err := parseDERKey(plain, nil); err == nil {
			return k, nil
		}
	}
	return nil, ErrPassphrase
}
