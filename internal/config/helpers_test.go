package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates files (relative names) in a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// wantDiag is an expected diagnostic: file (relative to the test
// directory), line, severity and a substring of the message.
type wantDiag struct {
	file string
	line int
	sev  Severity
	msg  string
}

// checkDiags checks that every wanted diagnostic is present and that there
// are no other errors.
func checkDiags(t *testing.T, dir string, got []Diagnostic, want []wantDiag) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, d := range got {
			if !used[i] && filepath.Clean(d.File) == filepath.Join(dir, w.file) && d.Line == w.line &&
				d.Severity == w.sev && strings.Contains(d.Msg, w.msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing %v %s:%d: ...%s...", w.sev, w.file, w.line, w.msg)
		}
	}
	for i, d := range got {
		if !used[i] && d.Severity == SeverityError {
			t.Errorf("unexpected error: %v", d)
		}
	}
	if t.Failed() {
		for _, d := range got {
			t.Logf("got: %v", d)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
