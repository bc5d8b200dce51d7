// Package resolve installs the DNS servers a gateway assigns us (the
// INTERNAL_IP4_DNS/INTERNAL_IP6_DNS configuration attributes) as
// strongSwan's resolve plugin does: a "nameserver ADDR   # by strongSwan"
// line at the top of /etc/resolv.conf (charon.plugins.resolve.file), or
// via /sbin/resolvconf where that is installed; servers are reference
// counted across IKE_SAs and removed when the last one goes.
package resolve

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/goswan/goswan/internal/ike/attr"
	"github.com/goswan/goswan/internal/ike/message"
	"github.com/goswan/goswan/internal/log"
)

// Defaults of the resolve plugin.
const (
	DefaultFile        = "/etc/resolv.conf"
	DefaultResolvconf  = "/sbin/resolvconf"
	DefaultIfacePrefix = "lo.inet.ipsec."
)

// Options configure a Handler.
type Options struct {
	// File is the resolv.conf to edit (charon.plugins.resolve.file).
	File string
	// Resolvconf is the resolvconf binary; when it exists it is used
	// instead of editing File. Empty: DefaultResolvconf; "-": never.
	Resolvconf string
	// IfacePrefix prefixes the resolvconf interface names
	// (charon.plugins.resolve.resolvconf.iface_prefix).
	IfacePrefix string
	Log         *log.Logger
}

// Handler is an attr.Handler for DNS servers.
type Handler struct {
	opts       Options
	resolvconf bool
	mu         sync.Mutex
	refs       map[netip.Addr]int
}

// New returns a handler; it uses resolvconf if the binary exists.
func New(o Options) *Handler {
	if o.File == "" {
		o.File = DefaultFile
	}
	if o.IfacePrefix == "" {
		o.IfacePrefix = DefaultIfacePrefix
	}
	h := &Handler{opts: o, refs: map[netip.Addr]int{}}
	switch o.Resolvconf {
	case "-":
	case "":
		h.opts.Resolvconf = DefaultResolvconf
		fallthrough
	default:
		if _, err := os.Stat(h.opts.Resolvconf); err == nil {
			h.resolvconf = true
		}
	}
	return h
}

func (h *Handler) logf(sa attr.SA, lv log.Level, format string, args ...any) {
	if h.opts.Log != nil {
		h.opts.Log.Log(log.IKE, lv, sa.LogContext(), format, args...)
	}
}

func dnsAddr(a attr.Attribute) (netip.Addr, bool) {
	var ip netip.Addr
	switch a.Type {
	case message.CPInternalIP4DNS:
		if len(a.Value) != 4 {
			return ip, false
		}
	case message.CPInternalIP6DNS:
		if len(a.Value) != 16 {
			return ip, false
		}
	default:
		return ip, false
	}
	ip, ok := a.Addr()
	return ip, ok && !ip.IsUnspecified()
}

// Handle installs a DNS server.
func (h *Handler) Handle(sa attr.SA, a attr.Attribute) bool {
	ip, ok := dnsAddr(a)
	if !ok {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.refs[ip]; n > 0 {
		h.logf(sa, 1, "DNS server %s already installed, increasing refcount", ip)
		h.refs[ip] = n + 1
		return true
	}
	var err error
	if h.resolvconf {
		err = h.invokeResolvconf(sa, ip, true)
	} else {
		err = h.writeNameserver(sa, ip)
	}
	if err != nil {
		h.logf(sa, 2, "%v", err)
		h.logf(sa, 1, "adding DNS server failed")
		return false
	}
	h.refs[ip] = 1
	return true
}

// Release removes a DNS server once no IKE_SA uses it.
func (h *Handler) Release(sa attr.SA, a attr.Attribute) {
	ip, ok := dnsAddr(a)
	if !ok {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.refs[ip]
	switch {
	case n == 0:
		return
	case n > 1:
		h.logf(sa, 1, "DNS server %s still used, decreasing refcount", ip)
		h.refs[ip] = n - 1
		return
	}
	delete(h.refs, ip)
	if h.resolvconf {
		if err := h.invokeResolvconf(sa, ip, false); err != nil {
			h.logf(sa, 2, "%v", err)
		}
		return
	}
	if err := h.removeNameserver(sa, ip); err != nil {
		h.logf(sa, 1, "removing DNS server %s failed: %v", ip, err)
	}
}

// Requests asks for a DNS server of each virtual IP's family.
func (h *Handler) Requests(_ attr.SA, vips []netip.Addr) []attr.Attribute {
	var v4, v6 bool
	for _, v := range vips {
		if v.Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	var out []attr.Attribute
	if v4 {
		out = append(out, attr.Attribute{Type: message.CPInternalIP4DNS})
	}
	if v6 {
		out = append(out, attr.Attribute{Type: message.CPInternalIP6DNS})
	}
	return out
}

func line(ip netip.Addr) string { return fmt.Sprintf("nameserver %s   # by strongSwan\n", ip) }

// writeFile replaces the file's contents atomically, keeping its mode.
func writeFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".resolv.conf.")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		// a bind-mounted resolv.conf cannot be replaced: write in place
		return os.WriteFile(path, data, mode)
	}
	return nil
}

func (h *Handler) writeNameserver(sa attr.SA, ip netip.Addr) error {
	old, err := os.ReadFile(h.opts.File)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := writeFile(h.opts.File, append([]byte(line(ip)), old...)); err != nil {
		return err
	}
	h.logf(sa, 1, "installing DNS server %s to %s", ip, h.opts.File)
	return nil
}

func (h *Handler) removeNameserver(sa attr.SA, ip netip.Addr) error {
	old, err := os.ReadFile(h.opts.File)
	if err != nil {
		return err
	}
	want := strings.TrimSuffix(line(ip), "\n")
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(make([]byte, 4096), 1<<20)
	removed := false
	for sc.Scan() {
		if sc.Text() == want {
			removed = true
			continue
		}
		out.Write(sc.Bytes())
		out.WriteByte('\n')
	}
	if !removed {
		return nil
	}
	h.logf(sa, 1, "removing DNS server %s from %s", ip, h.opts.File)
	return writeFile(h.opts.File, out.Bytes())
}

func (h *Handler) invokeResolvconf(sa attr.SA, ip netip.Addr, install bool) error {
	flag := "-d"
	if install {
		flag = "-a"
	}
	cmd := exec.Command(h.opts.Resolvconf, flag, h.opts.IfacePrefix+ip.String())
	if install {
		cmd.Stdin = strings.NewReader(strings.TrimSuffix(line(ip), "   # by strongSwan\n") + "\n")
	}
	out, err := cmd.CombinedOutput()
	if s := strings.TrimSpace(string(out)); s != "" {
		h.logf(sa, 1, "resolvconf: %s", s)
	}
	if err != nil {
		if install {
			// revert a half-done installation
			_ = exec.Command(h.opts.Resolvconf, "-d", h.opts.IfacePrefix+ip.String()).Run()
		}
		return fmt.Errorf("resolvconf %s %s%s: %w", flag, h.opts.IfacePrefix, ip, err)
	}
	if install {
		h.logf(sa, 1, "installing DNS server %s via resolvconf", ip)
	} else {
		h.logf(sa, 1, "removing DNS server %s via resolvconf", ip)
	}
	return nil
}
