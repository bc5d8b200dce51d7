package main

import (
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/configtest"
)

func newConfigtestCmd() *cobra.Command {
	var confdir, ssconf string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "configtest",
		Short: "check ipsec.conf, ipsec.secrets, strongswan.conf and ipsec.d",
		Long: `configtest reads the whole configuration as charon does at start-up and
reports every error and warning with file and line: unknown or malformed
keywords, bad proposals, missing or unreadable certificates, private keys
that do not decrypt with the passphrase in ipsec.secrets.

--confdir DIR reads DIR/ipsec.conf, DIR/ipsec.secrets, DIR/ipsec.d and
DIR/strongswan.conf instead of the files in /etc; without it strongswan.conf
is $STRONGSWAN_CONF or /etc/strongswan.conf. Exit status 1 on errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := optionsFor(confdir, ssconf)
			r := configtest.Check(opts)
			if verbose && r.Config != nil {
				config.Dump(cmd.OutOrStdout(), r.Config)
			}
			if !r.Print(cmd.OutOrStdout()) {
				return exitError(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&confdir, "confdir", "", "directory holding ipsec.conf, ipsec.secrets, ipsec.d and strongswan.conf")
	cmd.Flags().StringVar(&ssconf, "strongswan-conf", "", "strongswan.conf to read (default: DIR/strongswan.conf with --confdir, else $STRONGSWAN_CONF or /etc/strongswan.conf)")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print the resolved configuration")
	return cmd
}

// optionsFor maps the --confdir/--strongswan-conf flags of configtest (and
// of charon) to config.Options.
func optionsFor(confdir, ssconf string) config.Options {
	opts := config.Options{ConfDir: confdir, StrongswanConf: ssconf}
	if confdir != "" && ssconf == "" {
		if p := filepath.Join(confdir, "strongswan.conf"); fileExists(p) {
			opts.StrongswanConf = p
		}
	}
	return opts
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
