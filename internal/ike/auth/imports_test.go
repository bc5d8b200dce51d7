package auth

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports enforces the package's dependency rule (see doc.go).
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/goswan/goswan/internal/ike/message": true,
		"github.com/goswan/goswan/internal/ike/crypto":  true,
		"github.com/goswan/goswan/internal/identity":    true,
		"github.com/goswan/goswan/internal/credentials": true,
	}
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
			if strings.Contains(strings.Split(path, "/")[0], ".") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
