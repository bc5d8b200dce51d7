package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// A host's /etc is an overlay, top first:
//
//	upper    writable, emptied for every scenario
//	scen     the scenario's hosts/HOST/etc, placeholders substituted
//	base     testing/hosts/{default,HOST}/etc + the PKI + generated files
//	/etc     the machine's own /etc
//
// Both generated layers are rebuilt for every scenario, into a fresh
// generation directory, and the overlay is remounted on them; lower layers
// are never modified while mounted.

// LayerSources are the inputs of the generated layers.
type LayerSources struct {
	TestingDir string // testing/: hosts/default/etc, hosts/HOST/etc
	PKIDir     string // pki.WriteDir output: hosts/HOST/... relative to /etc
	RealEtc    string // the machine's /etc (lowest layer)
	Sys        SystemFacts
}

// BuildBase writes the base layer of host into dst (which must not exist).
// strongswan selects the adjustments for Debian's strongSwan (fixups.go).
func BuildBase(dst, host string, src LayerSources, strongswan bool) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	subst := func(_ string, b []byte) []byte { return []byte(SubstitutePlaceholders(string(b))) }
	for _, d := range []string{
		filepath.Join(src.TestingDir, "hosts", "default", "etc"),
		filepath.Join(src.TestingDir, "hosts", host, "etc"),
	} {
		if err := copyTree(d, dst, subst); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if src.PKIDir != "" {
		if err := copyTree(filepath.Join(src.PKIDir, "hosts", host), dst, nil); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	gen := map[string]string{
		"hostname":    host + "\n",
		"resolv.conf": "# lab: no name server; nothing may leave the lab\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
	}
	for name, content := range gen {
		if err := os.WriteFile(filepath.Join(dst, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	if strongswan {
		if err := rewriteFile(filepath.Join(dst, "strongswan.conf"), func(s string) string { return FixStrongswanConf(s, src.Sys) }); err != nil {
			return err
		}
		if err := rewriteFile(filepath.Join(dst, "strongswan.conf.testing"), FixTestingConf); err != nil {
			return err
		}
	}
	return fixPermissions(dst)
}

// BuildScenarioLayer writes the scenario layer of host into dst from
// scenDir/hosts/HOST/etc. lowers are the layers below it (base, real /etc),
// top first: a file that would land on a symlink there is written to the
// link's target instead, as `tar -xh` does in strongSwan's load-testconfig.
func BuildScenarioLayer(dst, host, scenDir string, lowers []string, strongswan bool, sys SystemFacts) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	src := filepath.Join(scenDir, "hosts", host, "etc")
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := ResolveInLowers(filepath.ToSlash(rel), lowers)
		out := filepath.Join(dst, filepath.FromSlash(target))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return copyEntry(p, out, d, func(_ string, b []byte) []byte {
			return []byte(SubstitutePlaceholders(string(b)))
		})
	})
	if err != nil {
		return err
	}
	if strongswan {
		if err := rewriteFile(filepath.Join(dst, "strongswan.conf"), func(s string) string { return FixStrongswanConf(s, sys) }); err != nil {
			return err
		}
		if err := rewriteFile(filepath.Join(dst, "strongswan.conf.testing"), FixTestingConf); err != nil {
			return err
		}
	}
	return fixPermissions(dst)
}

// ResolveInLowers maps a path relative to /etc through symlinks found in
// the lower layers (top first; each is a directory standing for /etc).
// Links pointing outside /etc are not followed.
func ResolveInLowers(rel string, lowers []string) string {
	rel = path.Clean(rel)
	for hops := 0; hops < 16; hops++ {
		parts := strings.Split(rel, "/")
		redirected := false
		for i := range parts {
			prefix := strings.Join(parts[:i+1], "/")
			for _, l := range lowers {
				fi, err := os.Lstat(filepath.Join(l, filepath.FromSlash(prefix)))
				if err != nil {
					continue // not in this layer: look further down
				}
				if fi.Mode()&fs.ModeSymlink != 0 {
					link, err := os.Readlink(filepath.Join(l, filepath.FromSlash(prefix)))
					if err != nil {
						return rel
					}
					var t string
					if path.IsAbs(link) {
						if !strings.HasPrefix(link, "/etc/") {
							return rel
						}
						t = strings.TrimPrefix(path.Clean(link), "/etc/")
					} else {
						t = path.Join(path.Dir(prefix), link)
						if t == ".." || strings.HasPrefix(t, "../") {
							return rel
						}
					}
					rest := strings.Join(parts[i+1:], "/")
					if rest != "" {
						t = path.Join(t, rest)
					}
					rel = t
					redirected = true
				}
				break // the topmost layer holding the name decides
			}
			if redirected {
				break
			}
		}
		if !redirected {
			return rel
		}
	}
	return rel
}

// copyTree copies the directory src into dst, merging with what is there.
// Symlinks are copied as links. transform, if set, rewrites file contents.
func copyTree(src, dst string, transform func(rel string, b []byte) []byte) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		return copyEntry(p, out, d, func(_ string, b []byte) []byte {
			if transform == nil {
				return b
			}
			return transform(rel, b)
		})
	})
}

func copyEntry(src, dst string, d fs.DirEntry, transform func(string, []byte) []byte) error {
	if d.Type()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		_ = os.Remove(dst)
		return os.Symlink(link, dst)
	}
	if !d.Type().IsRegular() {
		return nil // sockets, fifos: nothing a configuration needs
	}
	fi, err := d.Info()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if transform != nil {
		b = transform(src, b)
	}
	_ = os.Remove(dst) // replace links and read-only files
	return os.WriteFile(dst, b, fi.Mode().Perm()|0o200)
}

// rewriteFile applies f to a file's contents if the file exists.
func rewriteFile(p string, f func(string) string) error {
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	n := f(string(b))
	if n == string(b) {
		return nil
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	return os.WriteFile(p, []byte(n), fi.Mode().Perm())
}

// fixPermissions makes secrets private and gives FreeRADIUS (when
// installed) read access to its configuration.
func fixPermissions(root string) error {
	private := []string{"ipsec.secrets", "ipsec.d/private", "swanctl/rsa", "swanctl/ecdsa", "swanctl/pkcs8", "swanctl/private", "swanctl/swanctl.conf"}
	for _, p := range private {
		full := filepath.Join(root, p)
		fi, err := os.Lstat(full)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			ents, _ := os.ReadDir(full)
			for _, e := range ents {
				if e.Type().IsRegular() {
					if err := os.Chmod(filepath.Join(full, e.Name()), 0o600); err != nil {
						return err
					}
				}
			}
		} else if fi.Mode().IsRegular() {
			if err := os.Chmod(full, 0o600); err != nil {
				return err
			}
		}
	}
	if os.Geteuid() != 0 {
		return nil // unit tests: no chgrp possible, and no FreeRADIUS runs
	}
	g, err := user.LookupGroup("freerad")
	if err != nil {
		return nil
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return nil
	}
	for _, d := range []string{"freeradius", "raddb"} {
		full := filepath.Join(root, d)
		if _, err := os.Lstat(full); err != nil {
			continue
		}
		err := filepath.WalkDir(full, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.Type()&fs.ModeSymlink != 0 {
				return err
			}
			if err := os.Lchown(p, 0, gid); err != nil {
				return fmt.Errorf("chgrp freerad %s: %w", p, err)
			}
			fi, err := e.Info()
			if err != nil {
				return err
			}
			mode := fi.Mode().Perm() | 0o040
			if e.IsDir() {
				mode |= 0o010
			}
			return os.Chmod(p, mode)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
