package auth

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package's dependency rule (see doc.go).
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	importcheck.Check(t, ".", importcheck.Allow(mod+"internal/ike/message", mod+"internal/ike/crypto",
		mod+"internal/identity", mod+"internal/credentials"))
}
