package xfrm

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"syscall"

	"github.com/vishvananda/netns"

	"github.com/goswan/goswan/internal/kernel"
)

// Supported reports whether the kernel can do ESP with XFRM: it adds (and
// deletes) an ESP SA with AES-CBC and HMAC-SHA256 in a throwaway network
// namespace. It is false, without an error, when the kernel answers that
// ESP (or XFRM) is not available; an error means the probe itself failed
// (it needs CAP_SYS_ADMIN and CAP_NET_ADMIN).
func Supported() (bool, error) {
	ns, err := throwawayNamespace()
	if err != nil {
		return false, fmt.Errorf("unable to create a network namespace: %w", err)
	}
	c, err := dial(ns, 0)
	ns.Close() // the socket keeps the namespace as long as it is open
	if err != nil {
		if errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.EAFNOSUPPORT) {
			return false, nil // no XFRM netlink at all
		}
		return false, err
	}
	defer c.close()
	sa := &kernel.SA{
		SAID: kernel.SAID{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
			SPI: 0xc0000001, Proto: kernel.ProtoESP},
		Mode: kernel.ModeTunnel, ReqID: 1,
		Encr:  kernel.Algorithm{ID: encrAESCBC, KeyLen: 128, Key: make([]byte, 16)},
		Integ: kernel.Algorithm{ID: authHMACSHA256128, Key: make([]byte, 32)},
	}
	typ, body, err := buildSA(sa, false, false)
	if err != nil {
		return false, err
	}
	if _, err := c.do(typ, 0, body); err != nil {
		switch {
		case errors.Is(err, syscall.EPROTONOSUPPORT), errors.Is(err, syscall.ENOSYS),
			errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.EOPNOTSUPP):
			// no ESP, or not the algorithms every ESP kernel has
			return false, nil
		}
		return false, fmt.Errorf("probing for ESP: %w", err)
	}
	body, _ = saIDMsg(sa.SAID)
	_, _ = c.do(msgDelSA, 0, body)
	return true, nil
}

// throwawayNamespace creates a network namespace and returns a handle to
// it. It works on a goroutine of its own whose thread is discarded if it
// cannot return to the original namespace.
func throwawayNamespace() (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	rc := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			rc <- result{netns.None(), err}
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if err != nil {
			runtime.UnlockOSThread()
			rc <- result{netns.None(), err}
			return
		}
		if err := netns.Set(orig); err != nil {
			ns.Close()
			rc <- result{netns.None(), err}
			return // still locked: the thread goes with the goroutine
		}
		runtime.UnlockOSThread()
		rc <- result{ns, nil}
	}()
	r := <-rc
	return r.ns, r.err
}
