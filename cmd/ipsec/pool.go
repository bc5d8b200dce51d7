package main

import (
	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/pool/sqlcli"
)

func newPoolCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pool --status|--add|--replace|--del|--resize|--leases|--purge|--showattr|--statusattr|--addattr|--delattr|--batch [options]",
		Short: "manage the virtual IP pools and attributes of the attr-sql database",
		Long: `pool is strongSwan's pool tool: it manages the address pools, leases and
configuration attributes in the database of strongswan.conf's
pool.database, charon.plugins.attr-sql.database or the legacy
libhydra.plugins.attr-sql.database (sqlite:///path or
postgresql://user:pass@host/db), creating the attr-sql tables in an empty
database. Options and output are strongSwan's; see 'ipsec pool --help'.
Every command, and a whole --batch, is one transaction: a command that
fails changes nothing. Exit status 1 on errors, 66 without a database.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, _ := config.LoadSettings(nil, config.StrongswanConfPath())
			code := sqlcli.Main(s, args, sqlcli.Env{
				Stdin:  cmd.InOrStdin(),
				Stdout: cmd.OutOrStdout(),
				Stderr: cmd.ErrOrStderr(),
			})
			if code != 0 {
				return exitError(code)
			}
			return nil
		},
	}
}
