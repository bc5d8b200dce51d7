package message

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel causes carried in ParseError.Err; test with errors.Is.
var (
	// ErrTruncated: a field or a declared length runs past the end of the data.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a length field is inconsistent (too small for its fixed
	// part, or not matching the data it covers).
	ErrLength = errors.New("invalid length")
	// ErrLastMarker: the "last substructure" octet of a proposal or transform
	// is not 0 on the last one and 2 (proposal) or 3 (transform) on others.
	ErrLastMarker = errors.New("invalid last substructure marker")
	// ErrCount: a count field does not match the substructures present.
	ErrCount = errors.New("count mismatch")
	// ErrTrailing: bytes follow the last payload of a chain.
	ErrTrailing = errors.New("data after last payload")
	// ErrZeroSPI: the initiator's SPI in the IKE header is zero.
	ErrZeroSPI = errors.New("initiator SPI is zero")
	// ErrEncryptedPosition: an SK or SKF payload is not the last payload, or
	// appears inside an encrypted payload.
	ErrEncryptedPosition = errors.New("encrypted payload not last")
	// ErrTooLarge: a value does not fit its length field when marshalling.
	ErrTooLarge = errors.New("too large for length field")
	// ErrInvalid: a field holds a value that cannot be marshalled.
	ErrInvalid = errors.New("invalid field value")
)

// ParseError reports malformed bytes (or a payload that cannot be
// marshalled). Offset counts from the start of the buffer given to Parse or
// ParsePayloads; Payload is the payload being processed (PayloadNone for the
// IKE header). It maps to INVALID_SYNTAX.
type ParseError struct {
	Offset  int
	Payload PayloadType
	Reason  string // human readable detail, e.g. "proposal length 6 < 8"
	Err     error  // one of the Err* sentinels
}

func (e *ParseError) Error() string {
	what := "IKE header"
	if e.Payload != PayloadNone {
		what = e.Payload.String() + " payload"
	}
	s := what + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

// perr builds a ParseError relative to a payload body; the chain parser
// rebases Offset and fills Payload.
func perr(off int, err error, format string, args ...any) *ParseError {
	r := format
	if len(args) > 0 {
		r = fmt.Sprintf(format, args...)
	}
	return &ParseError{Offset: off, Reason: r, Err: err}
}

// VersionError reports an IKE header whose major version is not 2. It maps
// to INVALID_MAJOR_VERSION (RFC 7296 section 2.5).
type VersionError struct {
	Major, Minor uint8
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("unsupported IKE major version %d.%d", e.Major, e.Minor)
}

// CriticalError reports an unknown payload with the critical bit set. It
// maps to UNSUPPORTED_CRITICAL_PAYLOAD whose notification data is the
// one-octet payload type (RFC 7296 section 2.5).
type CriticalError struct {
	Type PayloadType
}

func (e *CriticalError) Error() string {
	return "payload type " + e.Type.String() + " is not supported, but payload is critical"
}

// VerifyError reports a payload that is well-formed on the wire but fails
// the sanity checks charon applies to it (payload_t.verify), e.g. a nonce
// shorter than 16 octets. It maps to INVALID_SYNTAX.
type VerifyError struct {
	Payload PayloadType
	Reason  string
}

func (e *VerifyError) Error() string {
	return e.Payload.String() + " payload verification failed: " + e.Reason
}

func verr(t PayloadType, format string, args ...any) *VerifyError {
	r := format
	if len(args) > 0 {
		r = fmt.Sprintf(format, args...)
	}
	return &VerifyError{Payload: t, Reason: r}
}

// RuleViolation says which payload rule a message broke.
type RuleViolation uint8

// Rule violations.
const (
	// RuleNoRules: there is no rule table for the exchange type and
	// direction (e.g. an IKEv1 or unknown exchange type). No notify.
	RuleNoRules RuleViolation = iota + 1
	// RuleTooFew: fewer payloads of the type than the minimum. INVALID_SYNTAX.
	RuleTooFew
	// RuleTooMany: more payloads of the type than the maximum. INVALID_SYNTAX.
	RuleTooMany
	// RuleNotEncrypted: a payload outside SK that must be encrypted, or that
	// has no rule in this exchange. charon treats it like a failed integrity
	// check and drops the message: no notify.
	RuleNotEncrypted
	// RuleMissingEncrypted: the exchange is protected but the message has no
	// SK or SKF payload. Dropped, no notify.
	RuleMissingEncrypted
	// RuleUnexpectedEncrypted: an SK/SKF payload in an exchange that is not
	// protected (IKE_SA_INIT). Dropped, no notify.
	RuleUnexpectedEncrypted
	// RuleNestedEncrypted: an SK/SKF payload among the decrypted payloads.
	// INVALID_SYNTAX.
	RuleNestedEncrypted
	// RuleNotDecrypted: Check was asked for the decrypted check but the SK
	// payload is still in place (a caller bug). No notify.
	RuleNotDecrypted
)

var ruleViolationText = [...]string{
	RuleNoRules:             "no message rules for this exchange",
	RuleTooFew:              "payload occurs too few times",
	RuleTooMany:             "payload occurs too many times",
	RuleNotEncrypted:        "payload was not encrypted",
	RuleMissingEncrypted:    "encrypted payload missing",
	RuleUnexpectedEncrypted: "encrypted payload not expected",
	RuleNestedEncrypted:     "encrypted payload contains an encrypted payload",
	RuleNotDecrypted:        "encrypted payload not decrypted",
}

func (v RuleViolation) String() string {
	if int(v) < len(ruleViolationText) && ruleViolationText[v] != "" {
		return ruleViolationText[v]
	}
	return unknownName(int(v))
}

// RuleError reports a message that breaks the payload rules of its
// exchange (see Check).
type RuleError struct {
	Exchange  ExchangeType
	Request   bool
	Violation RuleViolation
	Payload   PayloadType // the payload concerned, if any
	Count     int         // occurrences found (RuleTooFew, RuleTooMany)
	Limit     int         // the minimum or maximum that was broken
}

func (e *RuleError) Error() string {
	dir := "response"
	if e.Request {
		dir = "request"
	}
	s := e.Exchange.String() + " " + dir + ": " + e.Violation.String()
	if e.Payload != PayloadNone {
		s += ": " + e.Payload.String()
	}
	switch e.Violation {
	case RuleTooFew:
		s += fmt.Sprintf(" (%d, minimum %d)", e.Count, e.Limit)
	case RuleTooMany:
		s += fmt.Sprintf(" (%d, maximum %d)", e.Count, e.Limit)
	}
	return s
}

// NotifyNone is returned by NotifyFor when no notify should be sent.
const NotifyNone NotifyType = 0

// NotifyFor maps an error from this package to the notify type to send in
// the response, following charon's task_manager_v2 parse_message:
// UNSUPPORTED_CRITICAL_PAYLOAD for *CriticalError, INVALID_MAJOR_VERSION for
// *VersionError, INVALID_SYNTAX for *ParseError, *VerifyError and count
// violations, and NotifyNone where charon drops the message silently (nil,
// foreign errors, encryption violations). Whether to answer at all (only
// requests are answered) is the caller's decision.
func NotifyFor(err error) NotifyType {
	if err == nil {
		return NotifyNone
	}
	var ce *CriticalError
	if errors.As(err, &ce) {
		return NotifyUnsupportedCriticalPayload
	}
	var ve *VersionError
	if errors.As(err, &ve) {
		return NotifyInvalidMajorVersion
	}
	var re *RuleError
	if errors.As(err, &re) {
		switch re.Violation {
		case RuleTooFew, RuleTooMany, RuleNestedEncrypted:
			return NotifyInvalidSyntax
		}
		return NotifyNone
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return NotifyInvalidSyntax
	}
	var ye *VerifyError
	if errors.As(err, &ye) {
		return NotifyInvalidSyntax
	}
	return NotifyNone
}

// NotifyPayloadFor returns the Notify payload to send for err, with the
// notification data RFC 7296 requires (the payload type octet for
// UNSUPPORTED_CRITICAL_PAYLOAD), or nil when NotifyFor gives NotifyNone.
func NotifyPayloadFor(err error) *Notify {
	t := NotifyFor(err)
	if t == NotifyNone {
		return nil
	}
	n := &Notify{NotifyType: t}
	var ce *CriticalError
	if t == NotifyUnsupportedCriticalPayload && errors.As(err, &ce) {
		n.Data = []byte{byte(ce.Type)}
	}
	return n
}
