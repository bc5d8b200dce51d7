package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// usage prints the ipsec script's usage line for a command and returns
// its exit status 2.
func usage(cmd *cobra.Command, line string) error {
	fmt.Fprintln(cmd.OutOrStdout(), "Usage: ipsec "+line)
	return exitError(2)
}

func newUpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "up NAME",
		Short: "bring up a connection and wait until it is established",
		Long: `up initiates the connection NAME (its IKE_SA and CHILD_SA) and shows the
daemon's log lines while the exchange runs, ending with "connection 'NAME'
established successfully" or "establishing connection 'NAME' failed".

Exit status: 0 when established; 1 when it failed or NAME is unknown
(strongSwan's stroke exits 0 there too); 7 when charon is not running; 255
when its control socket cannot be reached.`,
		ValidArgsFunction: completeConn,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage(cmd, "up <connection name>")
			}
			res, code := call(cmd, control.Request{Cmd: control.CmdUp, Name: args[0]})
			if res == nil {
				return exitError(code)
			}
			if !res.OK {
				return failed(cmd, "up", res)
			}
			return nil
		},
	}
}

func newDownCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "down NAME|NAME{N}|NAME[N]|NAME{*}|NAME[*]",
		Short: "close IKE_SAs or CHILD_SAs",
		Long: `down closes the first IKE_SA called NAME (with its CHILD_SAs), NAME[N] the
IKE_SA with unique ID N, NAME{N} the CHILD_SA with unique ID N, NAME[*] and
NAME{*} all IKE_SAs or CHILD_SAs called NAME. It shows the daemon's log
lines and "IKE_SA [N] closed successfully" per SA.

Exit status: 0 when everything matched was closed; 1 otherwise, including
no match (strongSwan exits 0); 7 when charon is not running.`,
		ValidArgsFunction: completeConn,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usage(cmd, "down <connection name>")
			}
			res, code := call(cmd, control.Request{Cmd: control.CmdDown, Name: args[0]})
			if res == nil {
				return exitError(code)
			}
			if !res.OK {
				if res.Code == control.CodeBadRequest {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s\n", res.Error)
					return exitError(1)
				}
				return failed(cmd, "down", res)
			}
			return nil
		},
	}
}

func newStatusCmd(all bool) *cobra.Command {
	name := "status"
	short := "show the IKE_SAs and CHILD_SAs"
	if all {
		name = "statusall"
		short = "show the daemon, its connections and SAs in detail"
	}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   name + " [NAME]",
		Short: short,
		Long: short + `, as strongSwan's ` + name + ` does, optionally only
those of connection NAME.

Exit status (as strongSwan's script): 0 while the daemon runs, 1 when its
pid file remains but the process is gone, 3 when it is not running.`,
		ValidArgsFunction: completeConn,
		RunE: func(cmd *cobra.Command, args []string) error {
			req := control.Request{Cmd: name}
			if len(args) > 0 {
				req.Name = args[0]
			}
			if res, _ := call(cmd, req); res != nil {
				if res.OK {
					var st control.Status
					if err := res.Decode(&st); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "%v\n", err)
					} else if asJSON {
						printJSON(cmd.OutOrStdout(), &st)
					} else {
						control.WriteStatus(cmd.OutOrStdout(), &st, control.FormatOptions{All: all, Name: req.Name})
					}
				} else {
					failed(cmd, name, res)
				}
			}
			return exitError(statusExit())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the daemon's status data as JSON")
	return cmd
}

// statusExit is the exit status of `ipsec status` in strongSwan's script:
// whether the starter pid file names a live process.
func statusExit() int {
	p := paths()
	if !exists(p.starterFile) {
		return 3
	}
	if service.RunningPID(p.starterFile) == 0 {
		return 1
	}
	return 0
}

// newReloadCmd makes reload and update: in strongSwan both signal the
// starter (USR1: reload ipsec.conf, HUP: apply changes); here both ask
// charon to reread ipsec.conf and report what went wrong.
func newReloadCmd(use, verb, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := paths()
			stderr := cmd.ErrOrStderr()
			pid := 0
			if exists(p.starterFile) {
				pid = service.RunningPID(p.starterFile)
			}
			if pid == 0 {
				fmt.Fprintf(stderr, "%s strongSwan IPsec failed: starter is not running\n", verb)
				return exitError(exitNotRunning)
			}
			fmt.Fprintf(stderr, "%s strongSwan IPsec configuration...\n", verb)
			ctx, cancel := contextTimeout(cmd, time.Minute)
			defer cancel()
			res, err := control.Call(ctx, p.socket, control.Request{Cmd: control.CmdReload}, printer(cmd.OutOrStdout()))
			if err != nil {
				// The socket is not answering: signal the daemon as
				// strongSwan's script signals the starter.
				if kerr := syscall.Kill(pid, syscall.SIGUSR1); kerr != nil {
					return exitError(exitNotRunning)
				}
				return nil
			}
			if !res.OK {
				return failed(cmd, verb, res)
			}
			return nil
		},
	}
}

// newSimpleCmd makes a command that sends one request and has no output
// of its own (rereadsecrets, rereadall).
func newSimpleCmd(name, short string) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, code := call(cmd, control.Request{Cmd: name})
			if res == nil {
				return exitError(code)
			}
			if !res.OK {
				return failed(cmd, name, res)
			}
			return nil
		},
	}
}

// newListCmd makes listcerts, listcacerts, listcrls and listall.
func newListCmd(name, section, short string) *cobra.Command {
	var utc bool
	cmd := &cobra.Command{
		Use:   name + " [--utc]",
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, code := call(cmd, control.Request{Cmd: control.CmdList, Sections: []string{section}, UTC: utc})
			if res == nil {
				return exitError(code)
			}
			if !res.OK {
				return failed(cmd, name, res)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&utc, "utc", false, "print times in UTC")
	return cmd
}

func newLeasesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "leases [POOL [ADDRESS]]",
		Short: "show the leases of the virtual IP pools",
		Args:  cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := control.Request{Cmd: control.CmdLeases, Text: true}
			if len(args) > 0 {
				req.Pool = args[0]
			}
			if len(args) > 1 {
				req.Address = args[1]
			}
			res, code := call(cmd, req)
			if res == nil {
				return exitError(code)
			}
			if res.Code == control.CodeUnsupported {
				// This daemon has no pools (yet): what strongSwan says
				// without any.
				var empty control.Leases
				control.WriteLeases(cmd.OutOrStdout(), &empty, req.Pool, req.Address)
				return nil
			}
			if !res.OK {
				return failed(cmd, "leases", res)
			}
			return nil
		},
	}
}
