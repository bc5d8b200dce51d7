package xfrm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// requestTimeout bounds how long a request waits for the kernel's answer.
const requestTimeout = 10 * time.Second

// nlMsg is one netlink message (header type and flags, and its payload).
type nlMsg struct {
	typ   uint16
	flags uint16
	data  []byte
}

// transport sends XFRM requests. The real one is a netlink socket; tests
// use recorders that answer from scripts.
type transport interface {
	// do sends one request and returns the kernel's replies (without the
	// acknowledgement), or the error the kernel answered with (a
	// syscall.Errno, possibly wrapped with the kernel's message).
	do(typ, flags uint16, data []byte) ([]nlMsg, error)
	close() error
}

// conn is a NETLINK_XFRM socket, used through Go's poller so that reads
// honour deadlines and Close unblocks them.
type conn struct {
	f   *os.File
	rc  syscall.RawConn
	pid uint32

	mu  sync.Mutex // serializes requests; guards seq and buf
	seq uint32
	buf []byte
}

// dial opens a NETLINK_XFRM socket in ns (the current namespace if ns is
// not a valid handle), subscribed to the given multicast groups.
func dial(ns netns.NsHandle, groups uint32) (*conn, error) {
	fd, err := socketIn(ns, unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_XFRM)
	if err != nil {
		return nil, fmt.Errorf("unable to create XFRM netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("unable to bind XFRM netlink socket: %w", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	nsa, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		unix.Close(fd)
		return nil, errors.New("not a netlink socket")
	}
	// the kernel's error messages (extended ACK) when it has them
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	if groups != 0 {
		// bursts of acquires must not overflow the socket
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
		}
	}
	f := os.NewFile(uintptr(fd), "netlink-xfrm")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &conn{f: f, rc: rc, pid: nsa.Pid, buf: make([]byte, 1<<16)}, nil
}

// socketIn creates a socket inside network namespace ns.
func socketIn(ns netns.NsHandle, domain, typ, proto int) (int, error) {
	if ns <= 0 {
		return unix.Socket(domain, typ, proto)
	}
	fd := -1
	err := inNamespace(ns, func() error {
		var err error
		fd, err = unix.Socket(domain, typ, proto)
		return err
	})
	return fd, err
}

// inNamespace runs fn on an OS thread switched into ns. It runs on a
// goroutine of its own: if the thread cannot be switched back it stays
// locked and the runtime discards it when that goroutine ends.
func inNamespace(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- fmt.Errorf("unable to return to the original network namespace: %w", err)
			return // still locked: the thread goes with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func (c *conn) close() error { return c.f.Close() }

// send writes one message to the kernel.
func (c *conn) send(msg []byte) error {
	var serr error
	err := c.rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}

// recv reads one datagram from the kernel and splits it into messages.
// Datagrams not from the kernel are skipped.
func (c *conn) recv() ([]syscall.NetlinkMessage, error) {
	for {
		var n int
		var from unix.Sockaddr
		var rerr error
		err := c.rc.Read(func(fd uintptr) bool {
			n, _, _, from, rerr = unix.Recvmsg(int(fd), c.buf, nil, unix.MSG_TRUNC)
			return rerr != unix.EAGAIN
		})
		if err != nil {
			return nil, err
		}
		if rerr != nil {
			return nil, rerr
		}
		if n > len(c.buf) {
			// truncated: grow and drop this one (the kernel's answer is lost)
			c.buf = make([]byte, n)
			return nil, fmt.Errorf("netlink message of %d bytes truncated", n)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); ok && sa.Pid != 0 {
			continue
		}
		msgs, err := syscall.ParseNetlinkMessage(append([]byte(nil), c.buf[:n]...))
		if err != nil {
			return nil, err
		}
		return msgs, nil
	}
}

// do implements transport: it adds NLM_F_REQUEST and NLM_F_ACK, so every
// request ends with the kernel's acknowledgement or error (dumps end with
// NLMSG_DONE).
func (c *conn) do(typ, flags uint16, data []byte) ([]nlMsg, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	seq := c.seq
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(data))
	ne.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(data)))
	ne.PutUint16(msg[4:], typ)
	ne.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	ne.PutUint32(msg[8:], seq)
	ne.PutUint32(msg[12:], c.pid)
	msg = append(msg, data...)
	err := c.send(msg)
	clear(msg) // keys
	if err != nil {
		return nil, fmt.Errorf("unable to send netlink message: %w", err)
	}
	if err := c.f.SetReadDeadline(time.Now().Add(requestTimeout)); err != nil {
		return nil, err
	}
	defer c.f.SetReadDeadline(time.Time{})
	var replies []nlMsg
	for {
		msgs, err := c.recv()
		if err != nil {
			return nil, fmt.Errorf("unable to receive netlink answer: %w", err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq || m.Header.Pid != c.pid {
				continue // a stale answer
			}
			switch m.Header.Type {
			case unix.NLMSG_ERROR:
				return replies, parseError(m)
			case unix.NLMSG_DONE:
				return replies, nil
			default:
				replies = append(replies, nlMsg{typ: m.Header.Type, flags: m.Header.Flags, data: m.Data})
			}
		}
	}
}

// kernelError is an error answer of the kernel with its message.
type kernelError struct {
	errno syscall.Errno
	msg   string
}

func (e *kernelError) Error() string {
	if e.msg != "" {
		return e.errno.Error() + " (" + e.msg + ")"
	}
	return e.errno.Error()
}

func (e *kernelError) Unwrap() error { return e.errno }

// parseError turns an NLMSG_ERROR into nil (an ACK) or an error.
func parseError(m syscall.NetlinkMessage) error {
	if len(m.Data) < 4 {
		return errShort
	}
	code := int32(ne.Uint32(m.Data))
	if code == 0 {
		return nil
	}
	e := &kernelError{errno: syscall.Errno(-code)}
	// extended ACK: the echoed request header (its payload is left out
	// with NLM_F_CAPPED) and attributes
	const capped, ackTLVs = 0x100, 0x200
	rest := m.Data[4:]
	if m.Header.Flags&ackTLVs != 0 && len(rest) >= unix.SizeofNlMsghdr {
		skip := unix.SizeofNlMsghdr
		if m.Header.Flags&capped == 0 {
			skip = int(ne.Uint32(rest))
		}
		if off := (skip + 3) &^ 3; off <= len(rest) {
			attrs, _ := parseAttrs(rest[off:])
			for _, a := range attrs {
				if a.typ == unix.NLMSGERR_ATTR_MSG {
					e.msg = cString(a.data)
				}
			}
		}
	}
	return e
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
