package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

func newStatusCommand() *cobra.Command {
	var kube kubeFlags
	o := cli.StatusOptions{Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status [NAME]",
		Short: "Show the release status of the canary Deployments",
		Long: `Show the release status of the Deployments labelled meshcanary.io/canary=enabled, read
from the meshcanary.io/status annotation of the VirtualService meshcanary routes for each
(the one marked meshcanary.io/routes-for: <name>; a Deployment last released by an older
meshcanary may still carry it itself; with meshcanary.io/promotion: swap, step 0 of a release
is read from the meshcanary.io/release annotation of the canary's slot Deployment until step
1 writes the VirtualService's): phase, step n/N, exact canary weight, the last gate
verdicts (combined result, gates passed, the first gate that did not pass) and the
Deployment's age. A canary without a status yet whose meshcanary.io/ annotations are invalid
shows <invalid config>, and the problems are printed on stderr. -w keeps printing a line
each time a status changes.`,
		Example: `  # Every canary in the current namespace:
  meshcanary status

  # One canary, followed as it progresses:
  meshcanary status -n shop reviews -w

  # Every canary in the cluster, as JSON:
  meshcanary status -A -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeCanaries(&kube),
		RunE: kube.runE(func(ctx context.Context, cmd *cobra.Command, args []string, clients cli.Clients, ns string) error {
			o.Namespace = ns
			if len(args) == 1 {
				if o.AllNamespaces {
					return errors.New("a canary cannot be shown by name across all namespaces: drop -A or the name")
				}
				o.Name = args[0]
			}
			return cli.Status(ctx, clients, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		}),
	}
	fs := cmd.Flags()
	kube.add(fs)
	kube.addNamespace(fs)
	fs.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "list the canaries of every namespace")
	fs.BoolVarP(&o.Watch, "watch", "w", false, "after listing, print each change until interrupted")
	fs.StringVarP(&o.Output, "output", "o", cli.OutputTable, "output format: table, json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(cli.Outputs, cobra.ShellCompDirectiveNoFileComp))
	cmd.MarkFlagsMutuallyExclusive("all-namespaces", "namespace")
	return cmd
}
