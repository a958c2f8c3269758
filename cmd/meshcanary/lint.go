package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

func newLintCommand() *cobra.Command {
	var manifests manifestFlags
	cmd := &cobra.Command{
		Use:   "lint -f FILE [-f FILE...]",
		Short: "Check the meshcanary labels and annotations of Deployments",
		Long: `Check the meshcanary.io/ label and annotations of every Deployment in the files, as the
controller would, without a cluster. Each problem is printed on its own line with the key,
the value found and what would be valid; the exit code is 1 when there is any.`,
		Example: `  meshcanary lint -f deployment.yaml

  # Every Deployment a chart renders:
  helm template shop ./chart | meshcanary lint -f -`,
		Args: cobra.NoArgs,
		RunE: manifests.runE(func(cmd *cobra.Command, m cli.Manifests) error {
			if len(m.Deployments) == 0 {
				return errors.New("no Deployment (apps/v1) in the files")
			}
			if n := cli.Lint(cmd.OutOrStdout(), m.Deployments); n > 0 {
				return fmt.Errorf("%d problem(s) found", n)
			}
			return nil
		}),
	}
	manifests.add(cmd)
	return cmd
}
