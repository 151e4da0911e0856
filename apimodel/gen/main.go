// Command gen trims the AWS service models shipped with botocore to the input
// constraints Warden validates, and writes them as JSON for apimodel to embed.
//
//	go run ./apimodel/gen /usr/share/python3-botocore-data-or-dist-packages/botocore/data > apimodel/models.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

type shape struct {
	Type      string                            `json:"type"`
	Required  []string                          `json:"required"`
	Members   map[string]struct{ Shape string } `json:"members"`
	Member    *struct{ Shape string }           `json:"member"`
	Min       *float64                          `json:"min"`
	Max       *float64                          `json:"max"`
	Pattern   string                            `json:"pattern"`
	Enum      []string                          `json:"enum"`
	Sensitive bool                              `json:"sensitive"`
}

type service struct {
	Operations map[string]struct {
		Input *struct{ Shape string } `json:"input"`
	} `json:"operations"`
	Shapes map[string]shape `json:"shapes"`
}

// Field is the output: one constraint tree per input member.
type Field struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Required  bool     `json:"required,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	Enum      []string `json:"enum,omitempty"`
	Sensitive bool     `json:"sensitive,omitempty"`
	Members   []Field  `json:"members,omitempty"` // structure members, or the list element as one member
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen BOTOCORE_DATA_DIR")
		os.Exit(2)
	}
	out := map[string]map[string][]Field{}
	for name, dir := range map[string]string{"iam": "iam/2010-05-08", "sts": "sts/2011-06-15"} {
		data, err := os.ReadFile(filepath.Join(os.Args[1], dir, "service-2.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var s service
		if err := json.Unmarshal(data, &s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Members that became optional after Debian's botocore was cut, as
		// the current SDK model says: IAM now fetches an OIDC provider's
		// thumbprint itself, and UpdateSAMLProvider may change only keys.
		for shapeName, member := range map[string]string{"CreateOpenIDConnectProviderRequest": "ThumbprintList",
			"UpdateSAMLProviderRequest": "SAMLMetadataDocument"} {
			if sh, ok := s.Shapes[shapeName]; ok && name == "iam" {
				sh.Required = without(sh.Required, member)
				s.Shapes[shapeName] = sh
			}
		}
		ops := map[string][]Field{}
		for op, o := range s.Operations {
			if o.Input == nil {
				ops[op] = nil
				continue
			}
			ops[op] = members(s.Shapes, s.Shapes[o.Input.Shape], 0)
		}
		out[name] = ops
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func members(shapes map[string]shape, s shape, depth int) []Field {
	req := map[string]bool{}
	for _, r := range s.Required {
		req[r] = true
	}
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	var fs []Field
	for _, n := range names {
		f := field(shapes, n, s.Members[n].Shape, depth)
		f.Required = req[n]
		fs = append(fs, f)
	}
	return fs
}

func field(shapes map[string]shape, name, shapeName string, depth int) Field {
	sh := shapes[shapeName]
	f := Field{Name: name, Type: sh.Type, Min: sh.Min, Max: sh.Max, Pattern: sh.Pattern, Enum: sh.Enum, Sensitive: sh.Sensitive}
	if depth > 4 {
		return f
	}
	switch sh.Type {
	case "structure":
		f.Members = members(shapes, sh, depth+1)
	case "list":
		f.Members = []Field{field(shapes, "member", sh.Member.Shape, depth+1)}
	}
	return f
}

func without(names []string, drop string) []string {
	var out []string
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}
