package message

// Encrypted is the Encrypted and Authenticated payload, SK (RFC 7296
// section 3.14). Body is everything after the generic payload header:
// Initialization Vector, encrypted payloads with padding, and the Integrity
// Checksum Data, opaque here. NextPayload is the type of the first payload
// inside (carried in the SK payload's generic header).
//
// An SK payload is always the last payload of a message.
type Encrypted struct {
	NextPayload PayloadType
	Body        []byte
}

// Type returns PayloadSK.
func (*Encrypted) Type() PayloadType { return PayloadSK }

// Parse keeps the body; NextPayload is set by the chain parser.
func (e *Encrypted) Parse(b []byte) error { e.Body = b; return nil }

// AppendMarshal appends the body.
func (e *Encrypted) AppendMarshal(dst []byte) ([]byte, error) { return append(dst, e.Body...), nil }
