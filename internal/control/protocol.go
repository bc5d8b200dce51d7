package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ProtocolVersion is the version of the protocol described in the package
// documentation, sent as "v" in every request.
const ProtocolVersion = 1

// DefaultSocket is where the daemon listens unless configured otherwise
// (strongSwan's stroke socket path).
const DefaultSocket = "/var/run/charon.ctl"

// Limits of the protocol.
const (
	// MaxRequestSize bounds a request frame, newline included.
	MaxRequestSize = 64 << 10
	// MaxFrameSize bounds a server frame, newline included; clients must
	// accept frames at least this large.
	MaxFrameSize = 64 << 20
)

// Commands.
const (
	CmdPing          = "ping"
	CmdUp            = "up"
	CmdDown          = "down"
	CmdStatus        = "status"
	CmdStatusAll     = "statusall"
	CmdReload        = "reload"
	CmdRereadSecrets = "rereadsecrets"
	CmdRereadAll     = "rereadall"
	CmdList          = "list"
	CmdLeases        = "leases"
	CmdConns         = "conns"
	CmdStop          = "stop"
)

// Request is the one frame a client sends.
type Request struct {
	// V is the protocol version, ProtocolVersion.
	V int `json:"v"`
	// Cmd is one of the Cmd* constants.
	Cmd string `json:"cmd"`
	// Name is the connection name (up, status, statusall) or the SA
	// specifier (down: NAME, NAME{N}, NAME[N], NAME{*}, NAME[*]).
	Name string `json:"name,omitempty"`
	// Pool and Address filter leases.
	Pool    string `json:"pool,omitempty"`
	Address string `json:"address,omitempty"`
	// Sections are what list prints: "certs", "cacerts", "crls", "all".
	Sections []string `json:"sections,omitempty"`
	// UTC prints list times in UTC.
	UTC bool `json:"utc,omitempty"`
	// Verbosity is the highest log level streamed as log frames (up,
	// down); nil means 1, as stroke's default. -1 streams none.
	Verbosity *int `json:"verbosity,omitempty"`
	// Text asks for status, statusall and leases rendered as text in an
	// output frame, in addition to the data of the result.
	Text bool `json:"text,omitempty"`
}

// Frame types sent by the server.
const (
	FrameLog    = "log"
	FrameOutput = "output"
	FrameResult = "result"
)

// Frame is one frame the server sends. Log and output frames stream while
// a command runs; the result frame is the last one.
type Frame struct {
	Type string `json:"type"`
	// Log frames: the log level (0-4) and the message line.
	Level int    `json:"level,omitempty"`
	Msg   string `json:"msg,omitempty"`
	// Output frames: text to print as is (it carries its own newlines).
	Text string `json:"text,omitempty"`
	// Result frames.
	*Result
}

// Result ends the answer to a request.
type Result struct {
	OK bool `json:"ok"`
	// Code classifies a failure (Code* constants); empty when OK.
	Code string `json:"code,omitempty"`
	// Error describes a failure that the output frames have not already
	// shown to the user.
	Error string `json:"error,omitempty"`
	// Data is the command's structured answer: ping: Hello; status and
	// statusall: Status; leases: Leases; conns: a list of names.
	Data json.RawMessage `json:"data,omitempty"`
}

// Result codes.
const (
	CodeBadRequest  = "bad-request" // malformed frame, unknown command, bad arguments
	CodeVersion     = "version"     // unsupported protocol version
	CodeNotFound    = "not-found"   // no such connection or SA
	CodeFailed      = "failed"      // the operation ran and failed
	CodeTimeout     = "timeout"     // gave up waiting; the operation continues in the background
	CodeUnsupported = "unsupported" // the daemon cannot do this (yet)
	CodeBusy        = "busy"        // too many clients
	CodeShutdown    = "shutting-down"
	CodeCanceled    = "canceled"
	CodeInternal    = "internal"
)

// Hello is the data of a ping result.
type Hello struct {
	Protocol int    `json:"protocol"`
	Software string `json:"software"`
	PID      int    `json:"pid"`
}

// Decode unmarshals the result's data into v.
func (r *Result) Decode(v any) error {
	if r == nil || len(r.Data) == 0 {
		return errors.New("control: result carries no data")
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		return fmt.Errorf("control: decoding result data: %w", err)
	}
	return nil
}

// Err returns nil for a successful result and a *ResultError otherwise.
func (r *Result) Err() error {
	if r.OK {
		return nil
	}
	return &ResultError{Code: r.Code, Msg: r.Error}
}

// ResultError is a failed result as an error.
type ResultError struct {
	Code string
	Msg  string
}

func (e *ResultError) Error() string {
	if e.Msg == "" {
		return e.Code
	}
	return e.Msg
}

// Errors a Backend returns to select the result code and stroke's texts.
var (
	// ErrNotFound: no such connection or SA.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported: the daemon does not implement the operation.
	ErrUnsupported = errors.New("not supported")
)

// DetachedError is returned by Initiate and Terminate when they stopped
// waiting after a timeout while the exchange goes on in the background
// (stroke: "... not established after 3000ms, detaching").
type DetachedError struct {
	After time.Duration
}

func (e *DetachedError) Error() string {
	return fmt.Sprintf("not completed after %dms, detaching", e.After.Milliseconds())
}
