// Command meshcanary is the meshcanary controller and its command-line
// interface. Installed as kubectl-meshcanary it also works as a kubectl
// plugin.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
