package policy

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// node is one JSON value of a policy document. The standard decoder into
// maps would silently drop duplicate keys and lose the order of statements'
// conditions, so documents are read into this small tree instead.
type node struct {
	kind  nodeKind
	text  string   // string value, number literal, or "true"/"false"
	keys  []string // object member names, in document order
	elems []*node  // object member values or array elements
	// start and end are the byte offsets of the value in the document.
	start, end int
}

type nodeKind uint8

const (
	nodeString nodeKind = iota + 1
	nodeNumber
	nodeBool
	nodeNull
	nodeObject
	nodeArray
)

// maxDepth bounds nesting; real policies nest five levels deep at most.
const maxDepth = 32

// readTree decodes doc into a tree. Any JSON syntax error, duplicate object
// key, excessive nesting or trailing data is reported as msgSyntax.
func readTree(doc []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := readValue(dec, doc, 0)
	if err != nil {
		return nil, errorf(msgSyntax)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf(msgSyntax)
	}
	return n, nil
}

func readValue(dec *json.Decoder, doc []byte, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errorf(msgSyntax)
	}
	// The decoder stands after the previous token; the value starts after
	// the white space and separators that follow it.
	start := int(dec.InputOffset())
	for start < len(doc) && strings.IndexByte(" \t\r\n,:", doc[start]) >= 0 {
		start++
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	n, err := readToken(dec, doc, depth, tok)
	if err != nil {
		return nil, err
	}
	n.start, n.end = start, int(dec.InputOffset())
	return n, nil
}

func readToken(dec *json.Decoder, doc []byte, depth int, tok json.Token) (*node, error) {
	switch v := tok.(type) {
	case string:
		return &node{kind: nodeString, text: v}, nil
	case json.Number:
		return &node{kind: nodeNumber, text: string(v)}, nil
	case bool:
		if v {
			return &node{kind: nodeBool, text: "true"}, nil
		}
		return &node{kind: nodeBool, text: "false"}, nil
	case nil:
		return &node{kind: nodeNull}, nil
	case json.Delim:
		switch v {
		case '{':
			n := &node{kind: nodeObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errorf(msgSyntax)
				}
				for _, k := range n.keys {
					if k == key {
						return nil, errorf(msgSyntax)
					}
				}
				val, err := readValue(dec, doc, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.elems = append(n.elems, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &node{kind: nodeArray}
			for dec.More() {
				val, err := readValue(dec, doc, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, errorf(msgSyntax)
}

// strings returns the value of a "string or list of strings" element. ok is
// false for any other shape; an empty list yields an empty, non-nil slice.
func (n *node) strings() (out []string, ok bool) {
	switch n.kind {
	case nodeString:
		return []string{n.text}, true
	case nodeArray:
		out = make([]string, 0, len(n.elems))
		for _, e := range n.elems {
			if e.kind != nodeString {
				return nil, false
			}
			out = append(out, e.text)
		}
		return out, true
	}
	return nil, false
}
