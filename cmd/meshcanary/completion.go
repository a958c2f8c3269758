package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func newCompletionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script of meshcanary for a shell. Canary names complete from the
cluster (the Deployments labelled meshcanary.io/canary=enabled).`,
		Example: `  # bash, this shell only (needs the bash-completion package):
  source <(meshcanary completion bash)

  # bash, every shell:
  meshcanary completion bash > /etc/bash_completion.d/meshcanary

  # zsh:
  meshcanary completion zsh > "${fpath[1]}/_meshcanary"

  # fish:
  meshcanary completion fish > ~/.config/fish/completions/meshcanary.fish

  # PowerShell:
  meshcanary completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return root.GenPowerShellCompletionWithDesc(out)
			}
		},
	}
}

// completeCanaries completes the first argument with the names of the
// canary Deployments in the namespace kube's flags select.
func completeCanaries(kube *kubeFlags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		clients, ns, err := kube.clients()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		parent := cmd.Context()
		if parent == nil {
			parent = context.Background()
		}
		ctx, cancel := context.WithTimeout(parent, 5*time.Second)
		defer cancel()
		list, err := clients.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{
			LabelSelector: fmt.Sprintf("%s=%s", config.EnabledLabel, config.EnabledValue),
		})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, len(list.Items))
		for i, d := range list.Items {
			names[i] = d.Name
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}
