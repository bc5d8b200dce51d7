package pki

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Traditional ("OpenSSL legacy") PEM encryption, as `openssl rsa -aes128
// -traditional` writes it and strongSwan's pem plugin reads it: headers
// Proc-Type: 4,ENCRYPTED and DEK-Info: AES-128-CBC,<IV>; the key is
// EVP_BytesToKey(MD5, passphrase, salt = first 8 IV bytes, 1 iteration);
// AES-128-CBC with PKCS#7 padding over the PKCS#1 DER. Written here because
// the standard library's implementation is deprecated (and rightly: the KDF
// is weak; this exists only to reproduce the test hosts' files).

// evpBytesToKey derives n bytes as OpenSSL's EVP_BytesToKey with MD5.
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

// EncryptPEMKey encodes k as an AES-128-CBC encrypted traditional PEM key.
func EncryptPEMKey(k *rsa.PrivateKey, pass []byte, rnd io.Reader) ([]byte, error) {
	iv := make([]byte, aes.BlockSize)
	if _, err := io.ReadFull(rnd, iv); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(evpBytesToKey(pass, iv[:8], 16))
	if err != nil {
		return nil, err
	}
	der := x509.MarshalPKCS1PrivateKey(k)
	pad := aes.BlockSize - len(der)%aes.BlockSize
	data := append(der, bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(data, data)
	return pem.EncodeToMemory(&pem.Block{
		Type: "RSA PRIVATE KEY",
		Headers: map[string]string{
			"Proc-Type": "4,ENCRYPTED",
			"DEK-Info":  "AES-128-CBC," + strings.ToUpper(hex.EncodeToString(iv)),
		},
		Bytes: data,
	}), nil
}

// ErrBadPassphrase is returned when decryption yields invalid padding or
// an unparsable key.
var ErrBadPassphrase = errors.New("pki: wrong passphrase or corrupt key")

// DecryptPEMKey decodes a traditional PEM RSA key encrypted with
// AES-128-CBC (as EncryptPEMKey and openssl write it).
func DecryptPEMKey(pemData, pass []byte) (*rsa.PrivateKey, error) {
	b, _ := pem.Decode(pemData)
	if b == nil || b.Type != "RSA PRIVATE KEY" {
		return nil, errors.New("pki: no RSA PRIVATE KEY block")
	}
	if b.Headers["Proc-Type"] != "4,ENCRYPTED" {
		return nil, errors.New("pki: key is not encrypted")
	}
	alg, ivHex, ok := strings.Cut(b.Headers["DEK-Info"], ",")
	if !ok || alg != "AES-128-CBC" {
		return nil, fmt.Errorf("pki: unsupported DEK-Info %q", b.Headers["DEK-Info"])
	}
	iv, err := hex.DecodeString(ivHex)
	if err != nil || len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("pki: bad IV in DEK-Info %q", b.Headers["DEK-Info"])
	}
	if len(b.Bytes) == 0 || len(b.Bytes)%aes.BlockSize != 0 {
		return nil, ErrBadPassphrase
	}
	block, err := aes.NewCipher(evpBytesToKey(pass, iv[:8], 16))
	if err != nil {
		return nil, err
	}
	data := make([]byte, len(b.Bytes))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(data, b.Bytes)
	pad := int(data[len(data)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(data) || !bytes.Equal(data[len(data)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, ErrBadPassphrase
	}
	k, err := x509.ParsePKCS1PrivateKey(data[:len(data)-pad])
	if err != nil {
		return nil, ErrBadPassphrase
	}
	return k, nil
}
