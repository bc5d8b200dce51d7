package control

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package docs: control imports the standard
// library and internal/version only; control/service adds x/sys/unix and
// control, and neither reaches into internal/ike.
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	importcheck.Check(t, ".", importcheck.Allow(mod+"internal/version"))
	importcheck.Check(t, "service", importcheck.Allow(mod+"internal/version", mod+"internal/control", "golang.org/x/sys/unix"))
}
