package sql

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

func pgURI(t testing.TB) string { return pgtest.URI(t) }
