//go:build ignore

// progress reads `go test -json` on standard input and prints what a person
// waiting for the suite wants to see: each top-level test as it passes or
// fails (with the whole output of a failure), each package as it finishes,
// and a closing "N passed, M failed" line. It exits 1 when anything failed.
//
//	go test -json ./... | go run scripts/progress.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	var passed, failed, skipped int
	badPackage := false
	output := map[string][]string{} // package/test -> lines
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	for in.Scan() {
		line := in.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			fmt.Println(string(line)) // not JSON: the go command's own words (build errors)
			continue
		}
		key := e.Package + "/" + e.Test
		top := e.Test != "" && !strings.Contains(e.Test, "/")
		switch e.Action {
		case "output":
			if len(output[key]) < 5000 {
				output[key] = append(output[key], e.Output)
			}
		case "pass", "fail", "skip":
			switch {
			case e.Test == "":
				if e.Action == "fail" {
					badPackage = true
					fmt.Printf("FAIL\t%s\t%.1fs\n", e.Package, e.Elapsed)
					if failed == 0 {
						fmt.Print(strings.Join(output[key], ""))
					}
				} else if e.Action == "skip" {
					fmt.Printf("?   \t%s\t[no test files]\n", e.Package)
				} else {
					fmt.Printf("ok  \t%s\t%.1fs\n", e.Package, e.Elapsed)
				}
			case top && e.Action == "pass":
				passed++
				fmt.Printf("  PASS %s %s (%.1fs)\n", short(e.Package), e.Test, e.Elapsed)
			case top && e.Action == "skip":
				skipped++
				fmt.Printf("  SKIP %s %s\n", short(e.Package), e.Test)
			case top:
				failed++
				fmt.Printf("  FAIL %s %s (%.1fs)\n", short(e.Package), e.Test, e.Elapsed)
				for k, lines := range output {
					if k == key || strings.HasPrefix(k, key+"/") {
						fmt.Print(strings.Join(lines, ""))
					}
				}
			}
			if top || e.Test == "" {
				for k := range output {
					if k == key || strings.HasPrefix(k, key+"/") {
						delete(output, k)
					}
				}
			}
		}
	}
	if skipped > 0 {
		fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	} else {
		fmt.Printf("%d passed, %d failed\n", passed, failed)
	}
	if failed > 0 || badPackage {
		os.Exit(1)
	}
}

func short(pkg string) string { return strings.TrimPrefix(pkg, "github.com/warden-iam/warden/") }
