package main

import (
	"fmt"
	"io"
	"os"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

// readManifests reads the objects of files ("-" is stdin); objects without
// a namespace get namespace.
func readManifests(files []string, namespace string, stdin io.Reader) (cli.Manifests, error) {
	var m cli.Manifests
	for _, name := range files {
		if name == "-" {
			if err := m.Read(stdin, "stdin", namespace); err != nil {
				return m, err
			}
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return m, fmt.Errorf("reading manifests: %w", err)
		}
		err = m.Read(f, name, namespace)
		_ = f.Close()
		if err != nil {
			return m, err
		}
	}
	return m, nil
}
