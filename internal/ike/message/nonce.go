package message

// Nonce is the Nonce payload (RFC 7296 section 3.9). RFC 7296 requires 16 to
// 256 octets; Check enforces that, Parse accepts any length.
type Nonce struct {
	Data []byte
}

// Type returns PayloadNonce.
func (*Nonce) Type() PayloadType { return PayloadNonce }

// Parse keeps the body.
func (n *Nonce) Parse(b []byte) error { n.Data = b; return nil }

// AppendMarshal appends the nonce.
func (n *Nonce) AppendMarshal(dst []byte) ([]byte, error) { return append(dst, n.Data...), nil }
