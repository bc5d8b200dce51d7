package crypto

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package's dependency rule (see doc.go): the
// standard library, golang.org/x/crypto, golang.org/x/sys and
// github.com/cloudflare/circl only; nothing of goswan.
func TestImports(t *testing.T) {
	importcheck.Check(t, ".", importcheck.Allow("golang.org/x/crypto/", "golang.org/x/sys/", "github.com/cloudflare/circl/"))
}
