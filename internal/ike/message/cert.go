package message

// Cert is the Certificate payload (RFC 7296 section 3.6): an encoding octet
// followed by the certificate data, kept raw.
type Cert struct {
	Encoding CertEncoding
	Data     []byte
}

// Type returns PayloadCert.
func (*Cert) Type() PayloadType { return PayloadCert }

// Parse parses a CERT payload body.
func (c *Cert) Parse(b []byte) error {
	if len(b) < 1 {
		return perr(0, ErrTruncated, "CERT payload needs the encoding octet")
	}
	c.Encoding = CertEncoding(b[0])
	c.Data = b[1:]
	return nil
}

// AppendMarshal appends the body.
func (c *Cert) AppendMarshal(dst []byte) ([]byte, error) {
	return append(append(dst, byte(c.Encoding)), c.Data...), nil
}

// HashAndURL splits a "Hash and URL" certificate (encodings 12 and 13,
// RFC 7296 section 3.6) into the 20-octet SHA-1 hash and the URL, which may
// be NUL terminated. ok is false for other encodings or when too short.
func (c *Cert) HashAndURL() (hash []byte, url string, ok bool) {
	if (c.Encoding != CertHashAndURLX509 && c.Encoding != CertHashAndURLX509Bundle) ||
		len(c.Data) <= 20 {
		return nil, "", false
	}
	u := c.Data[20:]
	for i, ch := range u {
		if ch == 0 {
			u = u[:i]
			break
		}
	}
	return c.Data[:20], string(u), true
}
