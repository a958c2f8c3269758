package main

import (
	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

func newRenderCommand() *cobra.Command {
	var manifests manifestFlags
	var hash, allowed string
	cmd := &cobra.Command{
		Use:   "render -f FILE [-f FILE...]",
		Short: "Print the DestinationRule and VirtualService of every step, without a cluster",
		Long: `Print the DestinationRule and VirtualService meshcanary would write for a Deployment at
step 0 (idle: all traffic to the primary) and at each step of a release, as YAML documents
headed by "# step i/N: weight X%". No cluster is needed: the files hold the Deployment and,
as the cluster would, its Service (unless annotation meshcanary.io/service names it) and the
VirtualService and DestinationRule to patch (without them, the ones meshcanary would create
are shown). Other kinds in the files are skipped. The canary subset selects the canary
ReplicaSet's pod-template-hash, which only the cluster knows: --pod-template-hash sets it.
Other VirtualServices of the files that route to the service (an ingress gateway's, a
delegate child) are shown at each step when the controller may split them: in the
Deployment's namespace, or one --virtualservice-namespaces allows, as the controller's flag.`,
		Example: `  # The objects of a whole application manifest:
  meshcanary render -f app.yaml

  # A Deployment, its Service and the VirtualService it patches:
  meshcanary render -f deployment.yaml -f service.yaml -f virtualservice.yaml

  # From a Helm chart:
  helm template shop ./chart | meshcanary render -f -`,
		Args: cobra.NoArgs,
		RunE: manifests.runE(func(cmd *cobra.Command, m cli.Manifests) error {
			vsNamespaces, err := parseVirtualServiceNamespaces(allowed)
			if err != nil {
				return err
			}
			return cli.RenderAllowing(cmd.OutOrStdout(), m, hash, vsNamespaces)
		}),
	}
	manifests.add(cmd)
	fs := cmd.Flags()
	fs.StringVar(&hash, "pod-template-hash", cli.PlaceholderHash, "pod-template-hash the canary subset selects")
	fs.StringVar(&allowed, "virtualservice-namespaces", "", `namespaces, besides the Deployment's, where the controller may split VirtualServices (as its flag): the other VirtualServices of the files that route to the service are shown at each step, or named in a warning`)
	return cmd
}
