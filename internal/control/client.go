package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Client is a connection to the daemon for one request.
type Client struct {
	conn net.Conn
	used bool
}

// Dial connects to the control socket at path (DefaultSocket if empty).
// Errors wrap the system error, so errors.Is(err, syscall.ECONNREFUSED)
// and os.ErrNotExist work.
func Dial(ctx context.Context, path string) (*Client, error) {
	if path == "" {
		path = DefaultSocket
	}
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = 5 * time.Second
	}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn}, nil
}

// Close closes the connection; Do does so itself.
func (c *Client) Close() error { return c.conn.Close() }

// Do sends req (V is filled in) and reads the answer, passing every log
// and output frame to onFrame (which may be nil), and returns the result.
// A failed command is a result with OK false, not an error; errors are
// transport and protocol failures. Canceling ctx closes the connection,
// which cancels the command in the daemon. The Client cannot be reused.
func (c *Client) Do(ctx context.Context, req Request, onFrame func(Frame)) (*Result, error) {
	if c.used {
		return nil, errors.New("control: Client used twice")
	}
	c.used = true
	defer c.conn.Close()
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()
	if req.V == 0 {
		req.V = ProtocolVersion
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("control: encoding request: %w", err)
	}
	if len(b) >= MaxRequestSize {
		return nil, fmt.Errorf("control: request larger than %d bytes", MaxRequestSize)
	}
	_, werr := c.conn.Write(append(b, '\n'))
	// Even if sending failed the daemon may have answered (say, "busy"
	// before reading the request): read what is there.
	br := bufio.NewReaderSize(c.conn, 64<<10)
	for {
		line, err := readLine(br, MaxFrameSize)
		if err != nil {
			if werr != nil {
				return nil, c.fail(ctx, "sending request", werr)
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, c.fail(ctx, "reading answer", err)
		}
		var f Frame
		if err := json.Unmarshal(line, &f); err != nil {
			return nil, fmt.Errorf("control: malformed frame from daemon: %w", err)
		}
		switch f.Type {
		case FrameResult:
			if f.Result == nil {
				return nil, errors.New("control: result frame without result")
			}
			return f.Result, nil
		case FrameLog, FrameOutput:
			if onFrame != nil {
				onFrame(f)
			}
		default:
			// Unknown frame types are ignored: newer daemons may send
			// more.
		}
	}
}

func (c *Client) fail(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("control: %s: %w", what, err)
}

// readLine reads one '\n'-terminated line of at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > max {
			return nil, fmt.Errorf("frame larger than %d bytes", max)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
}

// Call dials path and does one request.
func Call(ctx context.Context, path string, req Request, onFrame func(Frame)) (*Result, error) {
	c, err := Dial(ctx, path)
	if err != nil {
		return nil, err
	}
	return c.Do(ctx, req, onFrame)
}

// Ping asks the daemon at path who it is.
func Ping(ctx context.Context, path string) (*Hello, error) {
	res, err := Call(ctx, path, Request{Cmd: CmdPing}, nil)
	if err != nil {
		return nil, err
	}
	if err := res.Err(); err != nil {
		return nil, err
	}
	var h Hello
	if err := res.Decode(&h); err != nil {
		return nil, err
	}
	return &h, nil
}
