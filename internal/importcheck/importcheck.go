// Package importcheck lets a package's tests enforce its dependency rule
// (DESIGN.md: small packages, the IKE core imports no extension) by
// reading the import lines of its non-test Go files. It imports only the
// standard library.
package importcheck

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Imports returns the import paths of the non-test Go files in dir, by
// file name (dir joined with the base name), files in name order.
func Imports(dir string) (files []string, imports map[string][]string, err error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(names)
	imports = map[string][]string{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, name)
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, nil, err
			}
			imports[name] = append(imports[name], p)
		}
	}
	return files, imports, nil
}

// Check fails t for every import of the non-test files in dir that allowed
// rejects ("FILE imports PATH").
func Check(t testing.TB, dir string, allowed func(path string) bool) {
	t.Helper()
	files, imports, err := Imports(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, p := range imports[f] {
			if !allowed(p) {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// Std reports whether path is a standard library package (no dot in its
// first element).
func Std(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// Allow returns a rule accepting the standard library and the given
// paths; an entry ending in "/" or "*" accepts every path it prefixes
// ("golang.org/x/sys/", "github.com/vishvananda/netlink*").
func Allow(paths ...string) func(string) bool {
	return func(p string) bool {
		if Std(p) {
			return true
		}
		for _, a := range paths {
			if pre, ok := strings.CutSuffix(a, "*"); ok && strings.HasPrefix(p, pre) ||
				strings.HasSuffix(a, "/") && strings.HasPrefix(p, a) || p == a {
				return true
			}
		}
		return false
	}
}
