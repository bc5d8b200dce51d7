//go:build tools

// Package internal pins the dependencies the packages below are being built
// on; it is removed once every dependency has a real importer.
package internal

import (
	_ "github.com/cloudflare/circl/kem/mlkem/mlkem512"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/crypto/chacha20poly1305"
	_ "golang.org/x/sys/unix"
)
