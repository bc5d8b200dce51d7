// Command charon is goswan's IKEv2 daemon, a drop-in for strongSwan's
// charon. This build implements its configuration check; the daemon itself
// (IKE state machine, control socket, kernel backends) lands next.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/configtest"
	"github.com/goswan/goswan/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("charon", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	check := fs.Bool("configtest", false, "check the configuration and exit (status 1 on errors)")
	confdir := fs.String("confdir", "", "directory holding ipsec.conf, ipsec.secrets, ipsec.d and strongswan.conf (default /etc)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *showVersion:
		fmt.Println(version.Banner())
		return 0
	case *check:
		opts := config.Options{ConfDir: *confdir}
		if *confdir != "" {
			if p := filepath.Join(*confdir, "strongswan.conf"); exists(p) {
				opts.StrongswanConf = p
			}
		}
		if !configtest.Check(opts).Print(os.Stdout) {
			return 1
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "charon: this build only checks configurations (--configtest); the daemon is not part of it yet")
	return 1
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
