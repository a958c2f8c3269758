package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

func newLintCommand() *cobra.Command {
	var files []string
	var namespace string
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := readManifests(files, namespace, cmd.InOrStdin())
			if err != nil {
				return err
			}
			if len(m.Deployments) == 0 {
				return errors.New("no Deployment (apps/v1) in the files")
			}
			if n := cli.Lint(cmd.OutOrStdout(), m.Deployments); n > 0 {
				return fmt.Errorf("%d problem(s) found", n)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&files, "filename", "f", nil, `manifest file, "-" for stdin (repeatable)`)
	fs.StringVarP(&namespace, "namespace", "n", "default", "namespace of the objects that name none")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	return cmd
}
