package message

// VendorID is the Vendor ID payload (RFC 7296 section 3.12).
type VendorID struct {
	Data []byte
}

// Type returns PayloadVendorID.
func (*VendorID) Type() PayloadType { return PayloadVendorID }

// Parse keeps the body.
func (v *VendorID) Parse(b []byte) error { v.Data = b; return nil }

// AppendMarshal appends the vendor ID.
func (v *VendorID) AppendMarshal(dst []byte) ([]byte, error) { return append(dst, v.Data...), nil }
