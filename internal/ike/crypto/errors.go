package crypto

import "errors"

// Errors a caller may want to tell apart with errors.Is.
var (
	// ErrUnsupported: a transform (or keyword) that this implementation
	// does not provide.
	ErrUnsupported = errors.New("algorithm not supported")
	// ErrNoProposalChosen: proposal selection found no acceptable proposal;
	// the peer is told NO_PROPOSAL_CHOSEN.
	ErrNoProposalChosen = errors.New("no proposal chosen")
	// ErrInvalidKE: the peer's key exchange value is malformed or invalid
	// (wrong length, not on the curve, out of range); RFC 7296 §1.3 has the
	// peer told INVALID_SYNTAX.
	ErrInvalidKE = errors.New("invalid key exchange value")
	// ErrIntegrity: the ICV of an SK payload did not verify (or AEAD
	// authentication failed); RFC 7296 §2.21.2 says to drop the message.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrMalformed: an SK payload body that cannot be valid (too short, bad
	// block alignment, bad padding).
	ErrMalformed = errors.New("malformed encrypted payload")
	// ErrPRFPlusTooLong: more than 255 prf+ iterations were needed
	// (RFC 7296 §2.13).
	ErrPRFPlusTooLong = errors.New("prf+ output too long")
)
