// Command ipsec is the administration tool, a drop-in for strongSwan's
// `ipsec` script and the stroke/pool tools it runs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRoot().Execute(); err != nil {
		if _, quiet := err.(exitError); !quiet {
			fmt.Fprintln(os.Stderr, "ipsec:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries an exit status without printing anything more.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func exitCode(err error) int {
	if e, ok := err.(exitError); ok {
		return int(e)
	}
	return 1
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ipsec",
		Short: "administer the goswan IKEv2 daemon (strongSwan's ipsec command)",
		Long: `ipsec administers goswan's charon, a drop-in replacement for strongSwan's
IKEv2 daemon that reads /etc/ipsec.conf, /etc/ipsec.secrets,
/etc/strongswan.conf and /etc/ipsec.d unchanged.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCmd(), newConfigtestCmd())
	return root
}
