package identity

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package's dependency rule (see doc.go): the
// standard library only.
func TestImports(t *testing.T) {
	importcheck.Check(t, ".", importcheck.Std)
}
