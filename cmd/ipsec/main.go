// Command ipsec is the administration tool, a drop-in for strongSwan's
// `ipsec` script and the stroke/pool tools it runs.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/control"
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
/etc/strongswan.conf and /etc/ipsec.d unchanged.

Commands, texts and exit codes follow strongSwan 5.9's ipsec script and
stroke (7: charon is not running). The daemon is reached through
/var/run/charon.ctl and found by /var/run/charon.pid.

Environment: GOSWAN_CTL (control socket), GOSWAN_PIDDIR (pid file
directory), GOSWAN_CHARON (daemon binary for start), GOSWAN_CONFDIR (where
ipsec.conf is, for start's check and completion), GOSWAN_START_TIMEOUT.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newStartCmd(), newStopCmd(), newRestartCmd(),
		newUpCmd(), newDownCmd(),
		newStatusCmd(false), newStatusCmd(true),
		newReloadCmd("reload", "Reloading", "reread ipsec.conf and apply the changes"),
		newReloadCmd("update", "Updating", "reread ipsec.conf and apply the changes (same as reload)"),
		newSimpleCmd("rereadsecrets", "reread ipsec.secrets and the private keys it names"),
		newSimpleCmd("rereadall", "reread secrets, CA certificates and CRLs"),
		newListCmd("listcerts", control.ListCerts, "list the loaded end-entity certificates"),
		newListCmd("listcacerts", control.ListCACerts, "list the loaded CA certificates"),
		newListCmd("listcrls", control.ListCRLs, "list the loaded CRLs"),
		newListCmd("listall", control.ListAll, "list certificates, CA certificates, CRLs and what else the daemon lists"),
		newLeasesCmd(), newPoolCmd(),
		newVersionCmd(), newConfigtestCmd(),
	)
	return root
}
