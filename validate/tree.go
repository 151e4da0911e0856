package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// node is one JSON value of the document with its place in the text. The
// standard decoder into maps would drop duplicate keys and the positions
// findings point at, so documents are read into this tree instead.
type node struct {
	kind  nodeKind
	text  string   // string value, number literal, or "true"/"false"
	keys  []string // object member names, in document order (duplicates kept)
	elems []*node  // object member values or array elements
	// keySpans are the byte offsets of each member name, quotes included.
	keySpans [][2]int
	// start and end are the byte offsets of the value, quotes included.
	start, end int
}

type nodeKind uint8

const (
	kindString nodeKind = iota + 1
	kindNumber
	kindBool
	kindNull
	kindObject
	kindArray
)

func (k nodeKind) String() string {
	switch k {
	case kindString:
		return "String"
	case kindNumber:
		return "Number"
	case kindBool:
		return "Boolean"
	case kindNull:
		return "Null"
	case kindObject:
		return "Object"
	case kindArray:
		return "Array"
	}
	return "Unknown"
}

// member returns the first value of key k in an object and its index.
func (n *node) member(k string) (*node, int) {
	if n == nil || n.kind != kindObject {
		return nil, -1
	}
	for i, key := range n.keys {
		if key == k {
			return n.elems[i], i
		}
	}
	return nil, -1
}

// maxDepth bounds nesting, as the policy parser does; real policies nest
// five levels deep at most.
const maxDepth = 32

// syntaxError is where a document stops being JSON.
type syntaxError struct {
	offset int
	what   string
}

var errDepth = errors.New("too deeply nested")

// parseTree reads doc. On a syntax error it returns the offset of the
// offending byte.
func parseTree(doc []byte) (*node, *syntaxError) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	root, err := readValue(dec, doc, 0)
	what := ""
	if err == nil {
		if _, err = dec.Token(); err == io.EOF {
			return root, nil
		}
		what = "unexpected data after the policy"
	}
	// The decoder's offsets depend on where it noticed the error; the
	// scanner behind Unmarshal counts the same way everywhere: just after
	// the first byte that cannot be JSON.
	off := len(doc)
	var se *json.SyntaxError
	var v any
	switch uerr := json.Unmarshal(doc, &v); {
	case errors.As(uerr, &se) && se.Error() != "unexpected end of JSON input":
		off = int(se.Offset) - 1
	case uerr == nil: // too deeply nested, but JSON
		off = skipSpace(doc, int(dec.InputOffset()))
		what = "more nesting than a policy can have"
	}
	if off < 0 {
		off = 0
	}
	return nil, &syntaxError{offset: off, what: what}
}

// skipSpace returns the offset of the first byte at or after i that is not
// white space or a separator.
func skipSpace(doc []byte, i int) int {
	for i < len(doc) {
		switch doc[i] {
		case ' ', '\t', '\r', '\n', ',', ':':
			i++
			continue
		}
		break
	}
	return i
}

func readValue(dec *json.Decoder, doc []byte, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	start := skipSpace(doc, int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	var n *node
	switch v := tok.(type) {
	case string:
		n = &node{kind: kindString, text: v}
	case json.Number:
		n = &node{kind: kindNumber, text: string(v)}
	case bool:
		n = &node{kind: kindBool, text: "false"}
		if v {
			n.text = "true"
		}
	case nil:
		n = &node{kind: kindNull}
	case json.Delim:
		switch v {
		case '{':
			n = &node{kind: kindObject}
			for dec.More() {
				ks := skipSpace(doc, int(dec.InputOffset()))
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				n.keys = append(n.keys, key)
				n.keySpans = append(n.keySpans, [2]int{ks, int(dec.InputOffset())})
				val, err := readValue(dec, doc, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
		case '[':
			n = &node{kind: kindArray}
			for dec.More() {
				val, err := readValue(dec, doc, depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, val)
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	}
	n.start, n.end = start, int(dec.InputOffset())
	return n, nil
}

// lines converts byte offsets into Access Analyzer positions: lines from 1,
// columns and offsets from 0, counted in UTF-16 code units as the AWS
// console's editor counts them.
type lines struct {
	doc []byte
	// starts[i] is the byte offset where line i+1 begins, units[i] its
	// offset in UTF-16 code units.
	starts, units []int
}

func newLines(doc []byte) *lines {
	l := &lines{doc: doc, starts: []int{0}, units: []int{0}}
	u := 0
	for i := 0; i < len(doc); {
		r, w := utf8.DecodeRune(doc[i:])
		i += w
		u += utf16.RuneLen(r)
		if r == '\n' {
			l.starts = append(l.starts, i)
			l.units = append(l.units, u)
		}
	}
	return l
}

// position returns the position of byte offset off.
func (l *lines) position(off int) Position {
	if off > len(l.doc) {
		off = len(l.doc)
	}
	// The last line starting at or before off.
	lo, hi := 0, len(l.starts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.starts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	col := 0
	for i := l.starts[lo]; i < off; {
		r, w := utf8.DecodeRune(l.doc[i:])
		if i+w > off {
			break
		}
		col += utf16.RuneLen(r)
		i += w
	}
	return Position{Line: lo + 1, Column: col, Offset: l.units[lo] + col}
}
