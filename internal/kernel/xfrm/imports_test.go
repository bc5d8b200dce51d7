package xfrm

import (
	"testing"

	"github.com/goswan/goswan/internal/importcheck"
)

// TestImports enforces the package's dependency rule (see the package
// doc): the standard library, golang.org/x/sys, the netlink libraries,
// internal/kernel and internal/log; nothing of internal/ike, the daemon
// or another backend.
func TestImports(t *testing.T) {
	const mod = "github.com/goswan/goswan/"
	importcheck.Check(t, ".", importcheck.Allow("golang.org/x/sys/", "github.com/vishvananda/netlink*",
		"github.com/vishvananda/netns*", mod+"internal/kernel", mod+"internal/log"))
}
