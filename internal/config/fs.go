package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FS is the file access the parsers need. Paths are operating-system paths
// (absolute, or relative to the working directory), not io/fs paths.
// A nil FS means the real file system.
type FS interface {
	ReadFile(name string) ([]byte, error)
	// Glob returns the names matching pattern in the syntax of
	// path/filepath.Match, sorted.
	Glob(pattern string) ([]string, error)
	Stat(name string) (fs.FileInfo, error)
}

type osFS struct{}

func (osFS) ReadFile(name string) ([]byte, error)  { return os.ReadFile(name) }
func (osFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (osFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }
func orOS(fsys FS) FS {
	if fsys == nil {
		return osFS{}
	}
	return fsys
}

// maxIncludeDepth bounds nested includes. strongSwan limits ipsec.secrets to
// 10 levels; its other parsers have no limit and recurse until they run out
// of file descriptors, so any real configuration stays well below this.
const maxIncludeDepth = 10

// maxFileSize bounds a single configuration file.
const maxFileSize = 16 << 20

// globFiles expands an include pattern as glob(3) does for strongSwan: sorted
// matches, and a wildcard never matches a leading '.' of a name component.
func globFiles(fsys FS, pattern string) ([]string, error) {
	matches, err := fsys.Glob(pattern)
	if err != nil {
		// glob(3) takes a malformed pattern literally
		if _, serr := fsys.Stat(pattern); serr == nil {
			return []string{pattern}, nil
		}
		return nil, err
	}
	pcomp := strings.Split(pattern, "/")
	out := matches[:0]
	for _, m := range matches {
		if !hiddenByWildcard(pcomp, strings.Split(m, "/")) {
			out = append(out, m)
		}
	}
	return out, nil
}

func hiddenByWildcard(pattern, match []string) bool {
	if len(pattern) != len(match) {
		return false
	}
	for i, c := range match {
		if strings.HasPrefix(c, ".") && !strings.HasPrefix(pattern[i], ".") &&
			!strings.HasPrefix(pattern[i], `\.`) {
			return true
		}
	}
	return false
}

// includePattern makes pattern relative to the directory of the file that
// includes it, as strongSwan's parsers do.
func includePattern(current, pattern string) string {
	if strings.HasPrefix(pattern, "/") || current == "" {
		return pattern
	}
	return filepath.Dir(current) + "/" + pattern
}

// readConfigFile reads a regular file of bounded size.
func readConfigFile(fsys FS, name string) ([]byte, error) {
	st, err := fsys.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errNotRegular}
	}
	if st.Size() > maxFileSize {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errTooLarge}
	}
	return fsys.ReadFile(name)
}

type constErr string

func (e constErr) Error() string { return string(e) }

const (
	errNotRegular constErr = "not a regular file"
	errTooLarge   constErr = "file too large"
)

// errText strips the path from file errors (the diagnostic already names it).
func errText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
