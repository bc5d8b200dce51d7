package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/goswan/goswan/internal/version"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.Banner())
		},
	}
}
