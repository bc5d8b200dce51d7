package xfrm

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestImports enforces the package's dependency rule (see the package
// doc): the standard library, golang.org/x/sys, the netlink libraries,
// internal/kernel and internal/log; nothing of internal/ike, the daemon
// or another backend.
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
			case !strings.Contains(strings.Split(path, "/")[0], "."): // standard library
			case strings.HasPrefix(path, "golang.org/x/sys/"),
				strings.HasPrefix(path, "github.com/vishvananda/netlink"),
				strings.HasPrefix(path, "github.com/vishvananda/netns"),
				path == "github.com/goswan/goswan/internal/kernel",
				path == "github.com/goswan/goswan/internal/log":
			default:
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
