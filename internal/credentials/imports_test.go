package credentials

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package's dependency rule (see doc.go): the
// standard library, internal/config and internal/identity only.
func TestImports(t *testing.T) {
	importcheck.Check(t, ".", importcheck.Allow("github.com/goswan/goswan/internal/config", "github.com/goswan/goswan/internal/identity"))
}
