package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The lab's copy of strongSwan's test scenarios and host configurations;
// not part of this repository, so the test is skipped without it.
const labDir = "/work/shared/lab"

var warningKind = regexp.MustCompile(`'[^']*'|/[^ ]+`)

var corpusDirs = []string{labDir + "/data", labDir + "/scenarios"}

// labPlaceholders reads the PH_IP_* substitutions the lab applies to the
// configuration templates before use (as strongSwan's load-testconfig does).
func labPlaceholders(t *testing.T) *strings.Replacer {
	t.Helper()
	data, err := os.ReadFile(labDir + "/lab.conf")
	if err != nil {
		t.Skipf("lab configuration not available: %v", err)
	}
	_, rest, ok := strings.Cut(string(data), "LAB_PLACEHOLDERS=\"")
	if !ok {
		t.Skip("no LAB_PLACEHOLDERS in lab.conf")
	}
	list, _, _ := strings.Cut(rest, "\"")
	var pairs []string
	for _, kv := range strings.Fields(list) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			pairs = append(pairs, k, v)
		}
	}
	return strings.NewReplacer(pairs...)
}

func corpusFiles(t *testing.T) map[string][]string {
	t.Helper()
	files := map[string][]string{}
	for _, dir := range corpusDirs {
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("strongSwan test corpus not available: %v", err)
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			switch name := d.Name(); name {
			case "ipsec.conf", "ipsec.secrets", "strongswan.conf", "strongswan.conf.testing":
				files[name] = append(files[name], path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range files {
		sort.Strings(l)
	}
	return files
}

// TestCorpus parses every ipsec.conf, ipsec.secrets and strongswan.conf of
// strongSwan's test scenarios and hosts: none may have an error.
func TestCorpus(t *testing.T) {
	fsys := substFS{labPlaceholders(t)}
	files := corpusFiles(t)
	warnings := map[string]int{}
	check := func(ds []Diagnostic) {
		for _, d := range ds {
			if d.Severity == SeverityError {
				t.Errorf("%s", d.Error())
			} else {
				warnings[d.Msg]++
			}
		}
	}
	conns := 0
	for _, p := range files["ipsec.conf"] {
		conf, ds := LoadIPsecConf(fsys, p)
		check(ds)
		if conf.Invalid {
			t.Errorf("%s: marked invalid", p)
		}
		for _, c := range conf.Conns {
			conns++
			if c.Invalid {
				t.Errorf("%s: conn %s invalid", p, c.Name)
			}
		}
	}
	secrets := 0
	for _, p := range files["ipsec.secrets"] {
		s, ds := LoadSecrets(fsys, p, filepath.Join(filepath.Dir(p), "ipsec.d", "private"))
		check(ds)
		secrets += len(s.Entries)
	}
	for _, name := range []string{"strongswan.conf", "strongswan.conf.testing"} {
		for _, p := range files[name] {
			s, ds := LoadSettings(fsys, p)
			check(ds)
			if s.Invalid {
				t.Errorf("%s: marked invalid", p)
			}
		}
	}
	// every host directory as a whole, with the cross-file checks
	hosts := 0
	for _, p := range files["ipsec.conf"] {
		dir := filepath.Dir(p)
		ss := filepath.Join(dir, "strongswan.conf")
		if _, err := os.Stat(ss); err != nil {
			continue
		}
		hosts++
		_, ds := Load(Options{ConfDir: dir, StrongswanConf: ss, FS: fsys})
		check(ds)
	}
	for _, name := range []string{"ipsec.conf", "ipsec.secrets", "strongswan.conf", "strongswan.conf.testing"} {
		t.Logf("%s: %d files", name, len(files[name]))
	}
	t.Logf("%d conns, %d secrets, %d host directories loaded", conns, secrets, hosts)
	// group warnings by kind: quoted names and paths differ per file
	kinds := map[string]int{}
	for msg, n := range warnings {
		kinds[warningKind.ReplaceAllString(msg, "…")] += n
	}
	warnings = kinds
	var msgs []string
	for msg := range warnings {
		msgs = append(msgs, msg)
	}
	sort.Strings(msgs)
	for _, msg := range msgs {
		t.Logf("warning (%dx): %s", warnings[msg], msg)
	}
}
