package message

import (
	"encoding/binary"
	"strconv"
)

// maxSummary is the longest summary charon prints: get_string writes into a
// BUF_LEN (512) buffer, keeps one octet for the NUL and snprintf another,
// so anything past 510 characters is cut off (even in the middle of a name,
// and without the closing " ]").
const maxSummary = 510

// String returns charon's one-line summary of the message, as message.c's
// get_string renders it for "parsed %s" and "generating %s":
//
//	IKE_AUTH request 1 [ IDi CERT N(INIT_CONTACT) CERTREQ AUTH SA TSi TSr ]
//	IKE_AUTH response 1 [ EF(1/3) ]
//	IKE_AUTH request 2 [ EAP/RES/ID ]
//	IKE_AUTH response 5 [ AUTH CPRP(ADDR DNS) SA TSi TSr ]
//	INFORMATIONAL request 7 [ UNKN(49) N((16432)) ]
//
// An SK payload that was not replaced by SetDecrypted prints as "E".
func (m *Message) String() string {
	b := make([]byte, 0, 64+8*len(m.Payloads))
	return string(m.AppendSummary(b))
}

// AppendSummary appends the String form to dst without intermediate
// allocations (for loggers).
func (m *Message) AppendSummary(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, m.Exchange.String()...)
	if m.IsRequest() {
		dst = append(dst, " request "...)
	} else {
		dst = append(dst, " response "...)
	}
	dst = strconv.AppendUint(dst, uint64(m.MessageID), 10)
	dst = append(dst, " ["...)
	for _, p := range m.Payloads {
		if p == nil {
			continue
		}
		dst = appendPayloadSummary(dst, p)
		if len(dst)-start > maxSummary {
			return dst[:start+maxSummary]
		}
	}
	dst = append(dst, " ]"...)
	if len(dst)-start > maxSummary {
		dst = dst[:start+maxSummary]
	}
	return dst
}

func appendPayloadSummary(dst []byte, p Payload) []byte {
	dst = append(dst, ' ')
	switch q := p.(type) {
	case *Unknown:
		dst = append(dst, "UNKN("...)
		dst = strconv.AppendInt(dst, int64(q.PayloadType), 10)
		return append(dst, ')')
	case *Notify:
		dst = append(dst, "N("...)
		dst = append(dst, q.NotifyType.ShortName()...)
		if q.NotifyType == NotifyMSNotifyStatus && len(q.Data) == 4 {
			dst = append(dst, '(')
			dst = strconv.AppendInt(dst, int64(int32(binary.BigEndian.Uint32(q.Data))), 10)
			dst = append(dst, ')')
		}
		return append(dst, ')')
	case *EAP:
		dst = append(dst, "EAP"...)
		return q.summary(dst)
	case *CP:
		dst = append(dst, "CP"...)
		for i, a := range q.Attributes {
			if i == 0 {
				dst = append(dst, q.CfgType.summaryPrefix()...)
			} else {
				dst = append(dst, ' ')
			}
			dst = append(dst, a.Type.ShortName()...)
		}
		if len(q.Attributes) > 0 {
			dst = append(dst, ')')
		}
		return dst
	case *EncryptedFragment:
		dst = append(dst, "EF("...)
		dst = strconv.AppendUint(dst, uint64(q.Number), 10)
		dst = append(dst, '/')
		dst = strconv.AppendUint(dst, uint64(q.Total), 10)
		return append(dst, ')')
	}
	return append(dst, p.Type().ShortName()...)
}
