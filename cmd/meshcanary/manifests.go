package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

// manifestFlags are the -f and -n of the commands that read manifests
// instead of a cluster.
type manifestFlags struct {
	files     []string
	namespace string
}

// add adds -f (required, repeatable) and -n to cmd.
func (f *manifestFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringArrayVarP(&f.files, "filename", "f", nil, `manifest file, "-" for stdin (repeatable)`)
	fs.StringVarP(&f.namespace, "namespace", "n", "default", "namespace of the objects that name none")
	_ = cmd.MarkFlagRequired("filename")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
}

// runE is the RunE of a command on manifests: run gets the objects of the
// files.
func (f *manifestFlags) runE(run func(cmd *cobra.Command, m cli.Manifests) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		m, err := f.read(cmd)
		if err != nil {
			return err
		}
		return run(cmd, m)
	}
}

// read reads the objects of the files ("-" is cmd's stdin); objects
// without a namespace get the namespace of -n.
func (f *manifestFlags) read(cmd *cobra.Command) (cli.Manifests, error) {
	var m cli.Manifests
	for _, name := range f.files {
		if name == "-" {
			if err := m.Read(cmd.InOrStdin(), "stdin", f.namespace); err != nil {
				return m, err
			}
			continue
		}
		file, err := os.Open(name)
		if err != nil {
			return m, fmt.Errorf("reading manifests: %w", err)
		}
		err = m.Read(file, name, f.namespace)
		_ = file.Close()
		if err != nil {
			return m, err
		}
	}
	return m, nil
}
