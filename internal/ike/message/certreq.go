package message

// CertReq is the Certificate Request payload (RFC 7296 section 3.7). For
// X.509 the data is a concatenation of 20-octet SHA-1 hashes of CA public
// keys (see Authorities).
type CertReq struct {
	Encoding CertEncoding
	Data     []byte
}

// Type returns PayloadCertReq.
func (*CertReq) Type() PayloadType { return PayloadCertReq }

// Parse parses a CERTREQ payload body.
func (c *CertReq) Parse(b []byte) error {
	if len(b) < 1 {
		return perr(0, ErrTruncated, "CERTREQ payload needs the encoding octet")
	}
	c.Encoding = CertEncoding(b[0])
	c.Data = b[1:]
	return nil
}

// AppendMarshal appends the body.
func (c *CertReq) AppendMarshal(dst []byte) ([]byte, error) {
	return append(append(dst, byte(c.Encoding)), c.Data...), nil
}

// Authorities returns the 20-octet key hashes of an X.509 certificate
// request (sub-slices of Data); a trailing partial hash is ignored.
func (c *CertReq) Authorities() [][]byte {
	n := len(c.Data) / 20
	if n == 0 {
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = c.Data[i*20 : (i+1)*20 : (i+1)*20]
	}
	return out
}
