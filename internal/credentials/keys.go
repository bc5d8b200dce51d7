package credentials

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

var (
	// ErrPassphrase means the key is encrypted and none of the given
	// passphrases decrypts it (or none was given).
	ErrPassphrase = errors.New("no passphrase decrypts the key")
	// ErrFormat means the data is no private key this package knows.
	ErrFormat = errors.New("unsupported or malformed private key")
)

// LoadPrivateKey reads a private key file (PEM or DER), decrypting it with
// the first passphrase that works.
func LoadPrivateKey(path string, passphrases ...[]byte) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(b, passphrases...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParsePrivateKey parses a private key in PEM (the first key block) or DER.
func ParsePrivateKey(data []byte, passphrases ...[]byte) (crypto.Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			return parsePEMKey(block, passphrases)
		}
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("%w: no private key PEM block", ErrFormat)
	}
	return parseDERKey(data, passphrases)
}

func parsePEMKey(block *pem.Block, passphrases [][]byte) (crypto.Signer, error) {
	der := block.Bytes
	if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return decryptLegacy(block, passphrases)
	}
	if block.Type == "ENCRYPTED PRIVATE KEY" {
		return decryptPKCS8(der, passphrases)
	}
	return parseDERKey(der, nil)
}

func parseDERKey(der []byte, passphrases [][]byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return signer(k)
	}
	if isPBES2(der) {
		return decryptPKCS8(der, passphrases)
	}
	return nil, ErrFormat
}

func signer(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("%w: %T keys are not supported", ErrFormat, k)
}

// legacy (traditional OpenSSL) PEM encryption: DEK-Info names the cipher
// and the IV; the key is EVP_BytesToKey(MD5, passphrase, IV[:8], 1).
var legacyCiphers = map[string]struct {
	keyLen int
	block  func([]byte) (cipher.Block, error)
}{
	"AES-128-CBC":  {16, aes.NewCipher},
	"AES-192-CBC":  {24, aes.NewCipher},
	"AES-256-CBC":  {32, aes.NewCipher},
	"DES-EDE3-CBC": {24, des.NewTripleDESCipher},
	"DES-CBC":      {8, des.NewCipher},
}

func decryptLegacy(block *pem.Block, passphrases [][]byte) (crypto.Signer, error) {
	name, ivHex, ok := strings.Cut(block.Headers["DEK-Info"], ",")
	c, known := legacyCiphers[name]
	if !ok || !known {
		return nil, fmt.Errorf("%w: PEM encryption %q", ErrFormat, block.Headers["DEK-Info"])
	}
	iv, err := hex.DecodeString(ivHex)
	if err != nil || len(iv) < 8 {
		return nil, fmt.Errorf("%w: bad DEK-Info IV", ErrFormat)
	}
	for _, pass := range passphrases {
		b, err := c.block(evpBytesToKey(pass, iv[:8], c.keyLen))
		if err != nil || len(iv) != b.BlockSize() || len(block.Bytes)%b.BlockSize() != 0 || len(block.Bytes) == 0 {
			return nil, fmt.Errorf("%w: bad encrypted PEM data", ErrFormat)
		}
		plain := make([]byte, len(block.Bytes))
		cipher.NewCBCDecrypter(b, iv).CryptBlocks(plain, block.Bytes)
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

func evpBytesToKey(pass, salt []byte, n int) []byte {
	var out, prev []byte
	for len(out) < n {
		h := md5.New()
		h.Write(prev)
		h.Write(pass)
		h.Write(salt)
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

// unpad removes PKCS#7 padding.
func unpad(b []byte, bs int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > bs || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
