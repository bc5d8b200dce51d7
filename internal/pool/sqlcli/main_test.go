package sqlcli

import (
	"os"
	"testing"

	"github.com/goswan/goswan/internal/pool/internal/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

func pgURI(t *testing.T) string { return pgtest.URI(t) }
