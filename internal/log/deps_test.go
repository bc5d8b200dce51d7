package log

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports keeps the package's promise: the standard library,
// golang.org/x/sys/unix and internal/config only.
func TestImports(t *testing.T) {
	importcheck.Check(t, ".", importcheck.Allow("github.com/goswan/goswan/internal/config", "golang.org/x/sys/unix"))
}
