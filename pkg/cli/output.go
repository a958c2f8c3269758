package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/yaml"
)

// The output formats of meshcanary status.
const (
	OutputTable = "table"
	OutputJSON  = "json"
	OutputYAML  = "yaml"
)

// Outputs lists the output formats, for flag help and completion.
var Outputs = []string{OutputTable, OutputJSON, OutputYAML}

// printer writes canaries in one output format: a first listing, then one
// document or row per change when following.
type printer struct {
	format string
	out    io.Writer
	table  *table
	docs   int
}

func newPrinter(format string, out io.Writer, allNamespaces bool, now func() time.Time) (*printer, error) {
	switch format {
	case OutputTable, OutputJSON, OutputYAML:
	default:
		return nil, fmt.Errorf("output format %q: want one of table, json, yaml", format)
	}
	return &printer{format: format, out: out, table: newTable(out, allNamespaces, now)}, nil
}

// listing prints the first listing: a table with a header, or one JSON or
// YAML document holding a single canary (single) or a CanaryList.
func (p *printer) listing(cs []Canary, single bool) error {
	if p.format == OutputTable {
		if len(cs) == 0 {
			return nil
		}
		return p.table.print(true, cs...)
	}
	if single && len(cs) == 1 {
		return p.document(cs[0])
	}
	return p.document(CanaryList{Items: append([]Canary{}, cs...)})
}

// update prints a canary that changed: a table row, or a document.
func (p *printer) update(c Canary) error {
	if p.format == OutputTable {
		return p.table.print(false, c)
	}
	return p.document(c)
}

// document writes v as indented JSON, or as YAML separated by "---" from the
// documents before it.
func (p *printer) document(v any) error {
	var data []byte
	var err error
	if p.format == OutputJSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "    ")
		err = enc.Encode(v)
		data = buf.Bytes()
	} else {
		data, err = yaml.Marshal(v)
		if p.docs > 0 {
			data = append([]byte("---\n"), data...)
		}
	}
	if err != nil {
		return fmt.Errorf("encoding %s: %w", p.format, err)
	}
	p.docs++
	if _, err := p.out.Write(data); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
