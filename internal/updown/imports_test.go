package updown

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports keeps the package doc's promise: the IKE core and its
// types, no daemon and no kernel backend.
func TestImports(t *testing.T) {
	// only goswan's own packages are restricted
	importcheck.Check(t, ".", func(p string) bool {
		rest, ok := strings.CutPrefix(p, "github.com/goswan/goswan/")
		if !ok {
			return true
		}
		switch rest {
		case "internal/ike/sa", "internal/ike/cfg", "internal/kernel", "internal/log":
			return true
		}
		return false
	})
}
