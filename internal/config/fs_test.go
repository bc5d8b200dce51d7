package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"
)

// memFS is an in-memory FS keyed by absolute path.
type memFS map[string]string

func (m memFS) ReadFile(name string) ([]byte, error) {
	if s, ok := m[name]; ok {
		return []byte(s), nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (m memFS) Glob(pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, err
	}
	var out []string
	for name := range m {
		if ok, _ := filepath.Match(pattern, name); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m memFS) Stat(name string) (fs.FileInfo, error) {
	if s, ok := m[name]; ok {
		return fstest.MapFS{"f": &fstest.MapFile{Data: []byte(s), ModTime: time.Unix(0, 0)}}.Stat("f")
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

// substFS reads the real file system, replacing placeholders in file
// contents (strongSwan's test configurations are templates).
type substFS struct{ repl *strings.Replacer }

func (s substFS) ReadFile(name string) ([]byte, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return []byte(s.repl.Replace(string(data))), nil
}

func (substFS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

func (s substFS) Stat(name string) (fs.FileInfo, error) {
	st, err := os.Stat(name)
	if err != nil || !st.Mode().IsRegular() {
		return st, err
	}
	data, err := s.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return sizedInfo{st, int64(len(data))}, nil
}

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }
