package policy

import (
	"strconv"
	"strings"
)

// statement is the compiled form of a Statement.
type statement struct {
	effect       Effect
	actions      []string // lower case; the Action or NotAction patterns
	notAction    bool
	resources    []arnPattern
	notResource  bool
	anyResource  bool // no Resource element (trust policies), or "Resource": "*"
	principal    *principalMatcher
	notPrincipal bool
	conditions   []condition
}

func compileStatement(s *Statement, vars bool) (statement, error) {
	cs := statement{effect: s.Effect}
	acts := s.Action
	if s.NotAction != nil {
		acts, cs.notAction = s.NotAction, true
	}
	cs.actions = make([]string, len(acts))
	for i, a := range acts {
		cs.actions[i] = strings.ToLower(a)
	}
	res := s.Resource
	if s.NotResource != nil {
		res, cs.notResource = s.NotResource, true
	}
	if res == nil {
		cs.anyResource = true
	}
	for _, r := range res {
		p, err := parseARNPattern(r, vars)
		if err != nil {
			return statement{}, err
		}
		if !p.wellFormed() {
			return statement{}, errorf("Resource " + r + " must be in ARN format or " + strconv.Quote("*") + ".")
		}
		if p.any && !cs.notResource {
			cs.anyResource = true
		}
		cs.resources = append(cs.resources, p)
	}
	pr := s.Principal
	if s.NotPrincipal != nil {
		pr, cs.notPrincipal = s.NotPrincipal, true
	}
	if pr != nil {
		m, err := compilePrincipals(pr)
		if err != nil {
			return statement{}, err
		}
		cs.principal = &m
	}
	for _, c := range s.Condition {
		cc, err := compileCondition(c, vars)
		if err != nil {
			return statement{}, err
		}
		cs.conditions = append(cs.conditions, cc)
	}
	return cs, nil
}

// Named is a policy with the name it is reported under: a managed policy's
// ARN or name, or an inline policy's name.
type Named struct {
	Name   string
	Policy *Policy
}

// Set is a compiled set of policies, indexed by action so that evaluation
// only looks at statements that can match. A Set is immutable and safe for
// concurrent use.
type Set struct {
	names []string
	stmts []setStatement
	// always lists the statements every request must look at: those with
	// NotAction or the action "*".
	always []ref
	nodes  []trieNode // nodes[0] is the root of the action trie
}

type setStatement struct {
	*statement
	policy int32
	index  int32
	sid    string
}

// ref points at one action pattern of one statement; pat is -1 for a
// NotAction statement.
type ref struct {
	stmt  int32
	pat   int32
	exact bool
}

// trieNode is a node of a byte trie over lower-cased action patterns, keyed
// by the literal text before the first wildcard.
type trieNode struct {
	edges  []trieEdge
	prefix []ref // patterns whose literal part ends here, then a wildcard
	exact  []ref // patterns without wildcards that end here
}

type trieEdge struct {
	b    byte
	next int32
}

// Compile builds a Set from policies, in order; Match.Policy indexes this
// order. Nil policies are skipped but keep their index.
func Compile(policies ...Named) *Set {
	s := &Set{names: make([]string, len(policies)), nodes: []trieNode{{}}}
	for pi, np := range policies {
		s.names[pi] = np.Name
		if np.Policy == nil {
			continue
		}
		for si := range np.Policy.compiled {
			cs := &np.Policy.compiled[si]
			id := int32(len(s.stmts))
			s.stmts = append(s.stmts, setStatement{
				statement: cs,
				policy:    int32(pi),
				index:     int32(si),
				sid:       np.Policy.statements[si].Sid,
			})
			if cs.notAction {
				s.always = append(s.always, ref{stmt: id, pat: -1})
				continue
			}
			for ai, a := range cs.actions {
				s.insert(a, ref{stmt: id, pat: int32(ai)})
			}
		}
	}
	return s
}

func (s *Set) insert(pattern string, r ref) {
	lit := pattern
	wild := false
	if i := strings.IndexAny(pattern, "*?"); i >= 0 {
		lit, wild = pattern[:i], true
	}
	if lit == "" {
		s.always = append(s.always, r)
		return
	}
	n := int32(0)
	for i := 0; i < len(lit); i++ {
		next := int32(-1)
		for _, e := range s.nodes[n].edges {
			if e.b == lit[i] {
				next = e.next
				break
			}
		}
		if next < 0 {
			next = int32(len(s.nodes))
			s.nodes = append(s.nodes, trieNode{})
			s.nodes[n].edges = append(s.nodes[n].edges, trieEdge{b: lit[i], next: next})
		}
		n = next
	}
	if wild {
		s.nodes[n].prefix = append(s.nodes[n].prefix, r)
	} else {
		r.exact = true
		s.nodes[n].exact = append(s.nodes[n].exact, r)
	}
}

// Len is the number of statements in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.stmts)
}
