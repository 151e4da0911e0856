package policy

import "strings"

// The index of a Set has two levels. The first is a byte trie over the
// lower-cased literal start of every Action pattern (the text before its
// first wildcard): walking the request's action through it reaches exactly
// the statements whose action can match. Where one trie node still lists
// many statements (say 1,000 statements that all say "s3:*"), that list
// gets a second trie keyed by the resource: the service section of the
// Resource ARN pattern and the literal start of its resource section
// ("s3" + ":" + "bucket-7/"). Walking the request's resource through it
// skips the statements whose resource cannot match.

// ref points at one statement reached through one of its patterns. pat is
// the Action pattern (-1 for a NotAction statement), proven means reaching
// the ref through the action trie already shows that pattern matches, and
// res is the Resource pattern the resource trie reached it through (-1 when
// it was not).
type ref struct {
	stmt   int32
	pat    int32
	res    int32
	proven bool
}

// refList is the statements found at one place of the action trie.
type refList struct {
	refs  []ref    // all of them, or those the resource trie cannot hold
	byRes *resTrie // the indexed rest, for long lists
}

// resIndexMin is the list length from which a resource trie pays off.
const resIndexMin = 8

type actionTrie struct {
	nodes []actionNode // nodes[0] is the root
}

type actionNode struct {
	edges  []edge
	prefix refList // patterns whose literal start ends here, then a wildcard
	exact  refList // patterns without wildcards that end here
}

type edge struct {
	b    byte
	next int32
}

// child returns the node reached from edges by b, or -1.
func child(edges []edge, b byte) int32 {
	for _, e := range edges {
		if e.b == b {
			return e.next
		}
	}
	return -1
}

// path walks key from the root, creating nodes as needed, and returns the
// last node's index.
func (t *actionTrie) path(key string) int32 {
	n := int32(0)
	for i := 0; i < len(key); i++ {
		next := child(t.nodes[n].edges, key[i])
		if next < 0 {
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, actionNode{})
			t.nodes[n].edges = append(t.nodes[n].edges, edge{b: key[i], next: next})
		}
		n = next
	}
	return n
}

// resTrie indexes statements by "service:resource-prefix".
type resTrie struct {
	nodes []resNode
}

type resNode struct {
	edges []edge
	refs  []ref
}

func (t *resTrie) add(key string, r ref) {
	if len(t.nodes) == 0 {
		t.nodes = []resNode{{}}
	}
	n := int32(0)
	for i := 0; i < len(key); i++ {
		next := child(t.nodes[n].edges, key[i])
		if next < 0 {
			next = int32(len(t.nodes))
			t.nodes = append(t.nodes, resNode{})
			t.nodes[n].edges = append(t.nodes[n].edges, edge{b: key[i], next: next})
		}
		n = next
	}
	t.nodes[n].refs = append(t.nodes[n].refs, r)
}

// setIndexKey records the key under which every ARN p matches starts: the
// service section, ':', and the literal start of the resource section. A
// pattern with a wildcard or variable in the service, or that is not a
// six-section ARN, has no key.
func (p *arnPattern) setIndexKey() {
	if p.any || p.n != 6 || p.secs[2].kind != sectionLiteral {
		return
	}
	r := &p.secs[5]
	switch r.kind {
	case sectionLiteral, sectionPrefix:
		p.keyRes = r.lit
	case sectionGlob:
		p.keyRes = r.t.raw[:strings.IndexAny(r.t.raw, "*?")]
	}
	p.keySvc, p.keyed = p.secs[2].lit, true
}

// indexable reports whether every resource a statement can match is found
// through the resource trie: it lists Resource ARNs (not NotResource, not
// "*") that all have an index key.
func (s *statement) indexable() bool {
	if s.anyResource || s.notResource || len(s.resources) == 0 {
		return false
	}
	for i := range s.resources {
		if !s.resources[i].keyed {
			return false
		}
	}
	return true
}

// finish builds the resource trie of a long list.
func (l *refList) finish(stmts []setStatement) {
	if len(l.refs) < resIndexMin {
		return
	}
	var rest []ref
	t := &resTrie{}
	for _, r := range l.refs {
		st := stmts[r.stmt].statement
		if !st.indexable() {
			rest = append(rest, r)
			continue
		}
		for i := range st.resources {
			p := &st.resources[i]
			r.res = int32(i)
			t.add(p.keySvc+":"+p.keyRes, r)
		}
	}
	if len(t.nodes) > 0 {
		l.refs, l.byRes = rest, t
	}
}

// visitList visits the statements of l that can match the request.
func (s *Set) visitList(st *evalState, l *refList) {
	for _, r := range l.refs {
		s.visit(st, r)
	}
	t := l.byRes
	if t == nil || st.res.n != 6 {
		// Indexed statements only match six-section ARNs.
		return
	}
	// Walk "service:resource" without building the string.
	n := &t.nodes[0]
	svc, res := st.res.secs[2], st.res.secs[5]
	for i := 0; i <= len(svc)+len(res); i++ {
		var b byte
		switch {
		case i < len(svc):
			b = svc[i]
		case i == len(svc):
			b = ':'
		default:
			b = res[i-len(svc)-1]
		}
		next := child(n.edges, b)
		if next < 0 {
			return
		}
		n = &t.nodes[next]
		for _, r := range n.refs {
			s.visit(st, r)
		}
	}
}

// keyMatches reports whether the resource trie reaches p for v: whether v
// starts with p's index key.
func (p *arnPattern) keyMatches(v *arnValue) bool {
	return v.n == 6 && p.keySvc == v.secs[2] && strings.HasPrefix(v.secs[5], p.keyRes)
}
