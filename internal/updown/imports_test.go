package updown

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package doc's promise: the IKE core and its
// types, no daemon and no kernel backend.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, "github.com/goswan/goswan/"); ok {
				switch rest {
				case "internal/ike/sa", "internal/ike/cfg", "internal/kernel", "internal/log":
				default:
					t.Errorf("%s imports %s", f, p)
				}
			}
		}
	}
}
