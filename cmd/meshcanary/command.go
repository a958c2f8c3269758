package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// verbCommand describes one operator command.
type verbCommand struct {
	verb, short, long string
}

// verbCommands are the commands written to the meshcanary.io/command
// annotation, in the order help lists them.
var verbCommands = []verbCommand{
	{stepper.VerbPromote, "Skip the remaining steps and promote the canary",
		"Skip the remaining steps of the running release and promote the canary: the primary is\nupdated to the canary's template, then gets all traffic back. Applies while Progressing.\n" +
			"While the release awaits approval before its first step (meshcanary.io/approval), it\nstarts step 1 instead."},
	{stepper.VerbAbort, "Roll the running release back",
		"Roll the running release back: all traffic returns to the primary in one write, the canary\nis scaled down and the release is recorded as Failed. Applies while Progressing."},
	{stepper.VerbRetry, "Release the failed revision again",
		"Release the revision whose release failed again, from step 0. Applies while Failed, when the\nDeployment's template is not the stable revision."},
	{stepper.VerbPause, "Freeze the canary where it is",
		"Freeze the canary where it is: weights and the step clock stand still until resume.\nApplies while Ready, Progressing, Succeeded or Failed."},
	{stepper.VerbResume, "Release a pause",
		"Release the hold of a pause command; the step clock resumes where it stopped. The canary\nstays paused while its meshcanary.io/paused annotation is \"true\"."},
}

// newVerbCommands returns promote, abort, retry, pause and resume.
func newVerbCommands() []*cobra.Command {
	cmds := make([]*cobra.Command, len(verbCommands))
	for i, v := range verbCommands {
		cmds[i] = newVerbCommand(v)
	}
	return cmds
}

func newVerbCommand(v verbCommand) *cobra.Command {
	var kube kubeFlags
	o := cli.CommandOptions{Verb: v.verb, Now: time.Now}
	cmd := &cobra.Command{
		Use:   v.verb + " NAME",
		Short: v.short,
		Long: v.long + `

The command is written to the Deployment's meshcanary.io/command annotation as
"` + v.verb + `/<nonce>"; meshcanary waits until the controller acknowledges it in the status
(status.commandAck), then prints the resulting phase. A command that does not apply in the
current phase is acknowledged and ignored, which is reported as an error.`,
		Example: fmt.Sprintf(`  meshcanary %[1]s reviews -n shop

  # As a kubectl plugin, waiting at most 2 minutes:
  kubectl meshcanary %[1]s reviews -n shop --timeout 2m`, v.verb),
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeCanaries(&kube),
		RunE: kube.runE(func(ctx context.Context, cmd *cobra.Command, args []string, clients cli.Clients, ns string) error {
			o.Namespace, o.Name = ns, args[0]
			return cli.SendCommand(ctx, clients, cmd.OutOrStdout(), o)
		}),
	}
	fs := cmd.Flags()
	kube.add(fs)
	kube.addNamespace(fs)
	fs.DurationVar(&o.Timeout, "timeout", time.Minute, "how long to wait for the controller's acknowledgement")
	return cmd
}
