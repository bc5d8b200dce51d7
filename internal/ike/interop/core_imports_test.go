package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

const module = "github.com/goswan/goswan/"

// forbiddenForCore are the packages the IKE core must not depend on, even
// indirectly: extensions plug in through the bus, Env and task factories,
// kernel backends through internal/kernel's interfaces (DESIGN.md).
var forbiddenForCore = []string{
	"internal/mobike", "internal/pool", "internal/eap", "internal/tnc", "internal/ha",
	"internal/kernel/xfrm", "internal/kernel/userspace", "internal/kernel/fake",
	"internal/daemon", "internal/control", "internal/socket",
}

// importsOf returns the project packages imported by the non-test files
// of the package in dir (relative to the module root).
func importsOf(t *testing.T, root, dir string) []string {
	files, imports, err := importcheck.Imports(filepath.Join(root, dir))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		for _, p := range imports[f] {
			if rel, ok := strings.CutPrefix(p, module); ok && !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
		}
	}
	return out
}

// TestCoreImports walks the dependencies of every package under
// internal/ike and fails on any forbidden one.
func TestCoreImports(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	var core []string
	filepath.WalkDir(filepath.Join(root, "internal/ike"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() != "testdata" {
			rel, _ := filepath.Rel(root, p)
			core = append(core, rel)
		}
		return nil
	})
	if len(core) < 6 {
		t.Fatalf("found only %v", core)
	}
	for _, pkg := range core {
		seen := map[string]string{} // package -> importer
		queue := []string{pkg}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for _, dep := range importsOf(t, root, cur) {
				if _, ok := seen[dep]; ok {
					continue
				}
				seen[dep] = cur
				for _, bad := range forbiddenForCore {
					if dep == bad || strings.HasPrefix(dep, bad+"/") {
						t.Errorf("%s depends on %s (imported by %s)", pkg, dep, cur)
					}
				}
				queue = append(queue, dep)
			}
		}
	}
}
