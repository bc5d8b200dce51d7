package control

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the package docs: control imports the standard
// library and internal/version only; control/service adds x/sys/unix and
// control, and neither reaches into internal/ike.
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	for dir, allowed := range map[string][]string{
		".":       {mod + "internal/version"},
		"service": {mod + "internal/version", mod + "internal/control", "golang.org/x/sys/unix"},
	} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
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
				std := !strings.Contains(strings.Split(p, "/")[0], ".")
				ok := std
				for _, a := range allowed {
					ok = ok || p == a
				}
				if !ok {
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
