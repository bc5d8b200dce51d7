package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// hostPrivateDirs are the directories a host sees its own copy of (see
// hostinit.go): a program below them outside the hosts is not there inside.
var hostPrivateDirs = []string{"/tmp", "/run", "/var/run", "/var/log"}

var stageMu sync.Mutex

// visibleIpsecBin returns a path to the host's ipsec command that exists
// inside the hosts: when IPSEC_BIN lies below a directory the hosts have
// their own copy of (a checkout in /tmp, say), the command and the charon
// beside it (which `ipsec start` runs) are copied to the state directory
// first. Errors leave the path as it was (the command then fails inside
// the host with its own message).
func (l *Lab) visibleIpsecBin(h string) string {
	bin := l.Cfg.IpsecBin(h)
	abs, err := filepath.Abs(bin)
	if err != nil || !hostPrivate(abs) {
		return bin
	}
	staged, err := l.stage(abs)
	if err != nil {
		l.logf("lab: %s is not visible inside the hosts and could not be copied: %v", bin, err)
		return bin
	}
	return staged
}

func hostPrivate(p string) bool {
	for _, d := range hostPrivateDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// stage copies bin and its sibling charon to STATE/bin/ipsec-HASH/ (when
// they changed) and returns the copy of bin.
func (l *Lab) stage(bin string) (string, error) {
	stageMu.Lock()
	defer stageMu.Unlock()
	sum := sha256.Sum256([]byte(bin))
	dir := filepath.Join(l.Cfg.State, "bin", "ipsec-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Dir(bin)
	names := []string{filepath.Base(bin)}
	if _, err := os.Stat(filepath.Join(src, "charon")); err == nil && names[0] != "charon" {
		names = append(names, "charon")
	}
	for _, n := range names {
		if err := copyIfChanged(filepath.Join(src, n), filepath.Join(dir, n)); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, names[0]), nil
}

// copyIfChanged installs src as dst unless dst has src's size and
// modification time already (cheaper than comparing contents, and the
// hosts' ipsec command is looked up for every command they run).
func copyIfChanged(src, dst string) error {
	si, err := os.Stat(src)
	if err != nil {
		return err
	}
	if di, err := os.Stat(dst); err == nil && di.Size() == si.Size() && di.ModTime().Equal(si.ModTime()) {
		return nil
	}
	return installExecutable(src, dst)
}
