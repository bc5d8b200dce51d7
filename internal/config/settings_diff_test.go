package config

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsDifferential compares lookups in generated strongswan.conf
// files with libstrongswan's answers (testdata/ssget.c). It needs
// GOSWAN_SSGET=<path to the built ssget> and GOSWAN_SETTINGS_DIFF=<cases>.
func TestSettingsDifferential(t *testing.T) {
	n := 0
	fmt.Sscan(os.Getenv("GOSWAN_SETTINGS_DIFF"), &n)
	ssget := os.Getenv("GOSWAN_SSGET")
	if n == 0 || ssget == "" {
		t.Skip("set GOSWAN_SSGET and GOSWAN_SETTINGS_DIFF=<cases> to compare with libstrongswan")
	}
	dir := t.TempDir()
	rnd := rand.New(rand.NewSource(2))
	crashed, failed := 0, 0
	defer func() { t.Logf("%d cases: %d rejected, libstrongswan crashed on %d", n, failed, crashed) }()
	for i := 0; i < n; i++ {
		files := generateSettings(rnd)
		caseDir := filepath.Join(dir, fmt.Sprint(i))
		for name, content := range files {
			p := filepath.Join(caseDir, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			writeFile(t, p, content)
		}
		main := filepath.Join(caseDir, "strongswan.conf")
		cmd := exec.Command(ssget, append([]string{main}, settingsQueries...)...)
		out, err := cmd.Output()
		if cmd.ProcessState != nil && !cmd.ProcessState.Exited() {
			// libstrongswan recurses without bound on reference loops
			// (a : a.b {...}) and dies; we must merely not crash
			crashed++
			ourSettingsAnswers(main)
			continue
		}
		_ = err
		want := string(out)
		if strings.HasPrefix(want, "INIT FAILED") {
			want = "INIT FAILED\n"
			failed++
		}
		got := ourSettingsAnswers(main)
		if got != want {
			var inputs strings.Builder
			for name, content := range files {
				fmt.Fprintf(&inputs, "=== %s\n%s", name, content)
			}
			t.Fatalf("case %d differs:\n%s\n--- libstrongswan\n%s\n--- ours\n%s", i, inputs.String(), want, got)
		}
	}
}

func ourSettingsAnswers(path string) string {
	s, _ := LoadSettings(nil, path)
	if s.Invalid {
		return "INIT FAILED\n"
	}
	s = s.WithDaemonFallbacks("charon")
	var b strings.Builder
	for _, q := range settingsQueries {
		switch {
		case strings.HasPrefix(q, "S:"):
			b.WriteString(q + " =")
			for _, name := range s.Sections(q[2:]) {
				b.WriteString(" [" + name + "]")
			}
			b.WriteString("\n")
		case strings.HasPrefix(q, "K:"):
			b.WriteString(q + " =")
			for _, kv := range s.KeyValues(q[2:]) {
				b.WriteString(" [" + kv.Key + "=" + kv.Value + "]")
			}
			b.WriteString("\n")
		default:
			if v, ok := s.Get(q); ok {
				b.WriteString(q + " = [" + v + "]\n")
			} else {
				b.WriteString(q + " = <unset>\n")
			}
		}
	}
	return b.String()
}
