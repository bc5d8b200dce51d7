package userspace

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package doc: the standard library, x/sys,
// wireguard's tun, netlink, internal/kernel, internal/clock, internal/log
// and internal/ike/crypto; nothing else of goswan, directly or not.
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	allowed := []string{
		"golang.org/x/sys/", "golang.zx2c4.com/wireguard/tun", "github.com/vishvananda/netlink",
		mod + "internal/kernel", mod + "internal/clock", mod + "internal/log", mod + "internal/ike/crypto",
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			ok := !strings.Contains(strings.Split(p, "/")[0], ".")
			for _, a := range allowed {
				ok = ok || p == a || strings.HasSuffix(a, "/") && strings.HasPrefix(p, a)
			}
			if !ok {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
	// transitively: no IKE core beyond crypto, no daemon
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
