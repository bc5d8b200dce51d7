package crypto

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports enforces the package's dependency rule (see doc.go): the
// standard library, golang.org/x/crypto, golang.org/x/sys and
// github.com/cloudflare/circl only; nothing of goswan.
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
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			first := strings.Split(path, "/")[0]
			switch {
			case !strings.Contains(first, "."): // standard library
			case strings.HasPrefix(path, "golang.org/x/crypto/"),
				strings.HasPrefix(path, "golang.org/x/sys/"),
				strings.HasPrefix(path, "github.com/cloudflare/circl/"):
			default:
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
