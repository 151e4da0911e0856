package policy

import ()

// statement is the compiled form of a Statement.
type statement struct {
	effect       Effect
	actions      []actionPattern // the Action or NotAction patterns
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
	cs.actions = make([]actionPattern, len(acts))
	for i, a := range acts {
		cs.actions[i] = newActionPattern(a)
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

// Set is a compiled set of policies, indexed by action and resource so that
// evaluation only looks at statements that can match. A Set is immutable and
// safe for concurrent use.
type Set struct {
	names []string
	stmts []setStatement
	// always lists the statements every request must look at: those with
	// NotAction or the action "*".
	always  refList
	actions actionTrie
}

type setStatement struct {
	*statement
	policy int32
	index  int32
	sid    string
}

// Compile builds a Set from policies, in order; Match.Policy indexes this
// order. Nil policies are skipped but keep their index.
func Compile(policies ...Named) *Set {
	s := &Set{names: make([]string, len(policies)), actions: actionTrie{nodes: []actionNode{{}}}}
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
				s.always.refs = append(s.always.refs, ref{stmt: id, pat: -1, res: -1})
				continue
			}
			for ai := range cs.actions {
				s.insert(&cs.actions[ai], ref{stmt: id, pat: int32(ai), res: -1})
			}
		}
	}
	s.always.finish(s.stmts)
	for i := range s.actions.nodes {
		s.actions.nodes[i].prefix.finish(s.stmts)
		s.actions.nodes[i].exact.finish(s.stmts)
	}
	return s
}

func (s *Set) insert(p *actionPattern, r ref) {
	r.proven = p.kind != actionGlob
	lit := p.literal()
	if lit == "" {
		s.always.refs = append(s.always.refs, r)
		return
	}
	n := &s.actions.nodes[s.actions.path(lit)]
	if p.kind == actionExact {
		n.exact.refs = append(n.exact.refs, r)
	} else {
		n.prefix.refs = append(n.prefix.refs, r)
	}
}

// Len is the number of statements in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.stmts)
}
