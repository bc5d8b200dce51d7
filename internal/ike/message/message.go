package message

import "encoding/binary"

// Message is an IKEv2 message: the header and the payloads in the order
// they appear on the wire. A received message holds at most one SK or SKF
// payload, always last; after decryption SetDecrypted replaces it with the
// payloads it carried.
type Message struct {
	Header
	Payloads []Payload

	// protected is 1 + the index in Payloads of the first payload that was
	// inside the SK/SKF payload, or 0 when SetDecrypted was not called.
	protected int
}

// Parse parses a complete IKEv2 message. The header's Length must equal
// len(b) and the payload chain must cover the rest exactly; an SK/SKF
// payload ends the chain and stays opaque. Unknown payload types (critical
// or not) are kept as *Unknown; Check reports a critical one. Payloads
// alias b.
//
// Errors: *VersionError for a major version other than 2, *ParseError for
// everything malformed.
func Parse(b []byte) (*Message, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if int64(h.Length) != int64(len(b)) {
		return nil, &ParseError{Offset: 24, Err: ErrLength,
			Reason: "header length does not match the message"}
	}
	m := &Message{Header: h}
	body := b[HeaderLen:]
	if n := countChain(h.NextPayload, body); n > 0 {
		m.Payloads = make([]Payload, 0, n)
	}
	m.Payloads, err = parseChain(m.Payloads, h.NextPayload, body, HeaderLen, false)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ParsePayloads parses the payload chain found inside a decrypted SK
// payload (or reassembled SKF payloads): first is the SK payload's next
// payload type and b the plaintext with padding and pad length already
// removed. Nothing may follow the last payload, and an SK/SKF payload
// inside is an error. Payloads alias b.
func ParsePayloads(first PayloadType, b []byte) ([]Payload, error) {
	var ps []Payload
	if n := countChain(first, b); n > 0 {
		ps = make([]Payload, 0, n)
	}
	return parseChain(ps, first, b, 0, true)
}

// AppendMarshal appends the message to dst: the header (NextPayload and
// Length computed, the other fields as set) and the payload chain with all
// lengths and next payload fields computed. An SK/SKF payload must be last.
func (m *Message) AppendMarshal(dst []byte) ([]byte, error) {
	start := len(dst)
	next := PayloadNone
	if len(m.Payloads) > 0 && m.Payloads[0] != nil {
		next = m.Payloads[0].Type()
	}
	dst = appendHeader(dst, &m.Header, next, 0)
	dst, err := appendChain(dst, m.Payloads, PayloadNone)
	if err != nil {
		return dst, err
	}
	binary.BigEndian.PutUint32(dst[start+24:], uint32(len(dst)-start))
	return dst, nil
}

// AppendPayloads marshals a bare payload chain, the plaintext that goes
// into an SK payload (before padding). The SK payload's NextPayload must be
// ps[0].Type(). SK/SKF payloads are not allowed in ps.
func AppendPayloads(dst []byte, ps []Payload) ([]byte, error) {
	for _, p := range ps {
		switch p.(type) {
		case *Encrypted, *EncryptedFragment:
			return dst, &ParseError{Offset: len(dst), Payload: p.Type(), Err: ErrEncryptedPosition,
				Reason: "inside an encrypted payload"}
		}
	}
	return appendChain(dst, ps, PayloadNone)
}

// AppendAssociatedData appends what precedes the encrypted data of the
// message's SK or SKF payload (its last payload): the IKE header, the
// unprotected payloads and the SK header (for SKF including Fragment
// Number and Total Fragments), with the message and SK lengths computed for
// an SK/SKF body of encLen octets (IV + ciphertext + ICV). This is the
// associated data of RFC 7296 section 5.1 / RFC 5282 and RFC 7383 section
// 2.5, and it is also the start of the datagram: append the IV, ciphertext
// and ICV to the returned slice to get the complete message. The Body of
// the SK/SKF payload in m is ignored.
func (m *Message) AppendAssociatedData(dst []byte, encLen int) ([]byte, error) {
	n := len(m.Payloads)
	if n == 0 {
		return dst, &ParseError{Offset: len(dst), Err: ErrEncryptedPosition, Reason: "no SK payload"}
	}
	var skHdr [8]byte
	skLen := genericHeaderLen
	var skType PayloadType
	switch q := m.Payloads[n-1].(type) {
	case *Encrypted:
		skType = PayloadSK
		skHdr[0] = byte(q.NextPayload)
	case *EncryptedFragment:
		skType = PayloadSKF
		skHdr[0] = byte(q.NextPayload)
		binary.BigEndian.PutUint16(skHdr[4:], q.Number)
		binary.BigEndian.PutUint16(skHdr[6:], q.Total)
		skLen = 8
	default:
		return dst, &ParseError{Offset: len(dst), Err: ErrEncryptedPosition, Reason: "last payload is not SK/SKF"}
	}
	if encLen < 0 || skLen+encLen > 0xffff {
		return dst, &ParseError{Offset: len(dst), Payload: skType, Err: ErrTooLarge,
			Reason: "encrypted payload longer than 65535 octets"}
	}
	binary.BigEndian.PutUint16(skHdr[2:], uint16(skLen+encLen))
	start := len(dst)
	first := skType
	if n > 1 && m.Payloads[0] != nil {
		first = m.Payloads[0].Type()
	}
	dst = appendHeader(dst, &m.Header, first, 0)
	dst, err := appendChain(dst, m.Payloads[:n-1], skType)
	if err != nil {
		return dst, err
	}
	dst = append(dst, skHdr[:skLen]...)
	binary.BigEndian.PutUint32(dst[start+24:], uint32(len(dst)-start+encLen))
	return dst, nil
}

// SetDecrypted replaces the trailing SK or SKF payload by the payloads it
// carried (from ParsePayloads, or built by hand), remembering which ones
// were protected, so that Check and String see the decrypted message as
// charon does. For a reassembled fragmented message call it on the first
// fragment's message with the payloads of the reassembled plaintext.
func (m *Message) SetDecrypted(inner []Payload) error {
	n := len(m.Payloads)
	if n == 0 {
		return &ParseError{Err: ErrEncryptedPosition, Reason: "no SK payload to replace"}
	}
	switch m.Payloads[n-1].(type) {
	case *Encrypted, *EncryptedFragment:
	default:
		return &ParseError{Err: ErrEncryptedPosition, Reason: "last payload is not SK/SKF"}
	}
	ps := make([]Payload, 0, n-1+len(inner))
	ps = append(ps, m.Payloads[:n-1]...)
	ps = append(ps, inner...)
	m.Payloads = ps
	m.protected = n
	m.Header.NextPayload = PayloadNone
	if len(ps) > 0 && ps[0] != nil {
		m.Header.NextPayload = ps[0].Type()
	}
	return nil
}

// Decrypted reports whether SetDecrypted was called.
func (m *Message) Decrypted() bool { return m.protected > 0 }

// Unprotected returns the payloads that were outside the SK/SKF payload
// (all payloads when SetDecrypted was not called).
func (m *Message) Unprotected() []Payload {
	if m.protected > 0 {
		return m.Payloads[:m.protected-1]
	}
	return m.Payloads
}

// Protected returns the payloads that came out of the SK/SKF payload (nil
// when SetDecrypted was not called).
func (m *Message) Protected() []Payload {
	if m.protected > 0 {
		return m.Payloads[m.protected-1:]
	}
	return nil
}

// Encrypted returns the trailing SK payload, or nil.
func (m *Message) Encrypted() *Encrypted {
	if n := len(m.Payloads); n > 0 {
		e, _ := m.Payloads[n-1].(*Encrypted)
		return e
	}
	return nil
}

// Fragment returns the trailing SKF payload, or nil.
func (m *Message) Fragment() *EncryptedFragment {
	if n := len(m.Payloads); n > 0 {
		f, _ := m.Payloads[n-1].(*EncryptedFragment)
		return f
	}
	return nil
}

// Payload returns the first payload of type t, or nil.
func (m *Message) Payload(t PayloadType) Payload {
	for _, p := range m.Payloads {
		if p != nil && p.Type() == t {
			return p
		}
	}
	return nil
}

// Notify returns the first Notify payload of type t, or nil.
func (m *Message) Notify(t NotifyType) *Notify {
	for _, p := range m.Payloads {
		if n, ok := p.(*Notify); ok && n.NotifyType == t {
			return n
		}
	}
	return nil
}
