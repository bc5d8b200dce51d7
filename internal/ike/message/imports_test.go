package message

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImportsStdlibOnly enforces the package contract: the standard
// library only, no other goswan package, no third-party module.
func TestImportsStdlibOnly(t *testing.T) {
	importcheck.Check(t, ".", importcheck.Std)
}
