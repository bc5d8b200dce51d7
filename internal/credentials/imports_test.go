package credentials

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports enforces the package's dependency rule (see doc.go): the
// standard library, internal/config and internal/identity only.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			switch {
			case !strings.Contains(strings.Split(path, "/")[0], "."):
			case path == "github.com/goswan/goswan/internal/config",
				path == "github.com/goswan/goswan/internal/identity":
			default:
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
