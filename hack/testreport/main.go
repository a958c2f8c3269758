// Command testreport reads `go test -json` event files and prints either the
// test output (failures in full, one line per package otherwise) or, with
// -summary, one summary line per file and a total.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type counts struct{ pass, fail, skip, pkgFail int }

func main() {
	summary := flag.Bool("summary", false, "print one summary line per file and a total")
	flag.Parse()
	var total counts
	for _, path := range flag.Args() {
		c, err := read(path, !*summary)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		if *summary {
			fmt.Printf("%-8s %s\n", strings.TrimSuffix(filepath.Base(path), ".json")+":", c)
		}
		total.pass += c.pass
		total.fail += c.fail
		total.skip += c.skip
		total.pkgFail += c.pkgFail
	}
	if *summary {
		fmt.Printf("TOTAL:   %s\n", total)
		if total.fail > 0 || total.pkgFail > 0 {
			os.Exit(1)
		}
	}
}

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped, %d packages failed", c.pass, c.fail, c.skip, c.pkgFail)
}

// read counts the events of one file; with echo it prints the output of
// failed tests and one line per package.
func read(path string, echo bool) (counts, error) {
	var c counts
	f, err := os.Open(path)
	if err != nil {
		return c, err
	}
	defer f.Close()
	output := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			if echo {
				fmt.Println(sc.Text())
			}
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			output[key] = append(output[key], e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" {
				if e.Action == "fail" {
					c.pkgFail++
				}
				if echo {
					fmt.Printf("%-4s %s (%.1fs)\n", strings.ToUpper(e.Action), e.Package, e.Elapsed)
					if e.Action == "fail" {
						fmt.Print(strings.Join(output[key], ""))
					}
				}
				continue
			}
			switch e.Action {
			case "pass":
				c.pass++
			case "fail":
				c.fail++
				if echo {
					fmt.Print(strings.Join(output[key], ""))
				}
			case "skip":
				c.skip++
				if echo {
					fmt.Printf("SKIP %s %s\n", e.Package, e.Test)
				}
			}
			delete(output, key)
		}
	}
	return c, sc.Err()
}
