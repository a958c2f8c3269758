package main

import "github.com/spf13/cobra"

// newCLICommands returns the operator commands: status, the command verbs,
// render, lint and completion.
func newCLICommands() []*cobra.Command {
	cmds := []*cobra.Command{newStatusCommand()}
	cmds = append(cmds, newVerbCommands()...)
	return append(cmds, newRenderCommand(), newLintCommand(), newCompletionCommand())
}
