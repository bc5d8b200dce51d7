package importcheck

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImportsAndAllow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.go", "package p\n\nimport (\n\t\"fmt\"\n\t\"golang.org/x/sys/unix\"\n)\n")
	write("b.go", "package p\n\nimport \"github.com/vishvananda/netlink/nl\"\n")
	write("a_test.go", "package p\n\nimport \"example.com/anything\"\n")
	files, imps, err := Imports(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || len(imps[files[0]]) != 2 || imps[files[1]][0] != "github.com/vishvananda/netlink/nl" {
		t.Fatalf("files %v imports %v", files, imps)
	}
	allow := Allow("golang.org/x/sys/", "github.com/vishvananda/netlink*", "example.com/x")
	for p, want := range map[string]bool{
		"fmt": true, "net/netip": true, "golang.org/x/sys/unix": true,
		"github.com/vishvananda/netlink/nl": true, "github.com/vishvananda/netns": false,
		"example.com/x": true, "example.com/xy": false, "golang.org/x/crypto/hkdf": false,
	} {
		if allow(p) != want {
			t.Errorf("allow(%s) = %v, want %v", p, !want, want)
		}
	}
}
