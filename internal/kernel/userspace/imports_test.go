package userspace

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package doc: the standard library, x/sys,
// wireguard's tun, netlink, internal/kernel, internal/clock, internal/log
// and internal/ike/crypto; nothing else of goswan, directly or not.
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	importcheck.Check(t, ".", importcheck.Allow("golang.org/x/sys/", "golang.zx2c4.com/wireguard/tun", "github.com/vishvananda/netlink",
		mod+"internal/kernel", mod+"internal/clock", mod+"internal/log", mod+"internal/ike/crypto"))
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, mod+"internal/ike/") && p != mod+"internal/ike/crypto" ||
			strings.HasPrefix(p, mod+"internal/daemon") || strings.HasPrefix(p, mod+"internal/socket") {
			t.Errorf("depends on %s", p)
		}
	}
}
