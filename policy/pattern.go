package policy

import (
	"strings"

	"github.com/warden-iam/warden/arn"
)

// A template is a policy string that may contain policy variables
// (${aws:username}, ${aws:PrincipalTag/team, 'none'}) and escapes (${*},
// ${?}, ${$}). Variables are only recognised in documents of Version
// 2012-10-17; in 2008-10-17 documents the same text is literal.
//
// A template without variables keeps just raw. Otherwise pieces lists the
// literal, wildcard and variable parts in order. Substituted values are
// always literal text: a '*' inside a user name never acts as a wildcard.
type template struct {
	raw    string
	pieces []piece
	nvars  int
}

type pieceKind uint8

const (
	pieceLit pieceKind = iota
	pieceStar
	pieceQuest
	pieceVar
)

type piece struct {
	kind   pieceKind
	text   string // literal text, or the default of a variable
	key    string // lower-cased context key of a variable
	hasDef bool
	vi     int // index of a variable among the template's variables
}

// maxInlineVars is how many variables one template resolves without
// allocating; longer templates still work, on the heap.
const maxInlineVars = 8

// parseTemplate reads s. With vars false (2008-10-17) the whole string is
// literal apart from wildcards. With glob false, '*' and '?' are literal too
// (StringEquals and friends). It returns *Error for an unterminated or empty
// variable.
func parseTemplate(s string, vars, glob bool) (template, error) {
	if !vars || !strings.Contains(s, "${") {
		return template{raw: s}, nil
	}
	var t template
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.pieces = append(t.pieces, piece{kind: pieceLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return template{}, errVariable("Policy variable " + s[i:] + " is missing its closing brace.")
			}
			body := strings.TrimSpace(s[i+2 : i+2+end])
			i += end + 3
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			p, err := parseVariable(body)
			if err != nil {
				return template{}, err
			}
			flush()
			p.vi = t.nvars
			t.pieces = append(t.pieces, p)
			t.nvars++
			continue
		}
		if glob && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				t.pieces = append(t.pieces, piece{kind: pieceStar})
			} else {
				t.pieces = append(t.pieces, piece{kind: pieceQuest})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	t.raw = s
	if t.nvars == 0 {
		// Only escapes, such as ${$}: a plain string does, unless an
		// escaped wildcard must stay literal.
		return t.simplify(glob), nil
	}
	return t, nil
}

// simplify turns a variable-free template back into a raw string when that
// reads the same.
func (t template) simplify(glob bool) template {
	var b strings.Builder
	for _, p := range t.pieces {
		switch p.kind {
		case pieceLit:
			if glob && strings.ContainsAny(p.text, "*?") {
				return t // an escaped wildcard: only pieces can say "literal"
			}
			b.WriteString(p.text)
		case pieceStar:
			b.WriteByte('*')
		case pieceQuest:
			b.WriteByte('?')
		}
	}
	return template{raw: b.String()}
}

// parseVariable reads the inside of ${...}: a key and an optional default in
// single quotes, in which two single quotes stand for one.
func parseVariable(body string) (piece, error) {
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '${}") {
		return piece{}, errVariable("Policy variable ${" + body + "} is not valid.")
	}
	p := piece{kind: pieceVar, key: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return piece{}, errVariable("Policy variable ${" + body + "} has a default value that is not in single quotes.")
		}
		inner := def[1 : len(def)-1]
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			if inner[i] == '\'' {
				if i+1 < len(inner) && inner[i+1] == '\'' {
					i++
				} else {
					return piece{}, errVariable("Policy variable ${" + body + "} has a default value with an unescaped quote.")
				}
			}
			b.WriteByte(inner[i])
		}
		p.text, p.hasDef = b.String(), true
	}
	return p, nil
}

// resolve looks up the variables of t in ctx, in order, into dst. ok is false
// when a variable has neither a single value nor a default: such a template
// matches nothing.
func (t *template) resolve(ctx *Context, dst []string) (vals []string, ok bool) {
	if cap(dst) < t.nvars {
		dst = make([]string, 0, t.nvars)
	}
	vals = dst[:0]
	for i := range t.pieces {
		p := &t.pieces[i]
		if p.kind != pieceVar {
			continue
		}
		// A multi-valued key cannot be substituted; it counts as missing.
		if v, found := ctx.lookup(p.key); found && len(v) == 1 {
			vals = append(vals, v[0])
		} else if p.hasDef {
			vals = append(vals, p.text)
		} else {
			return nil, false
		}
	}
	return vals, true
}

// equal reports whether s equals t (case-insensitively with fold).
func (t *template) equal(ctx *Context, s string, fold bool) bool {
	if t.pieces == nil {
		if fold {
			return strings.EqualFold(t.raw, s)
		}
		return t.raw == s
	}
	var buf [maxInlineVars]string
	vals, ok := t.resolve(ctx, buf[:0])
	if !ok {
		return false
	}
	vi := 0
	for _, p := range t.pieces {
		var text string
		switch p.kind {
		case pieceVar:
			text = vals[vi]
			vi++
		case pieceLit:
			text = p.text
		case pieceStar:
			text = "*"
		case pieceQuest:
			text = "?"
		}
		if len(s) < len(text) {
			return false
		}
		if fold {
			if !strings.EqualFold(s[:len(text)], text) {
				return false
			}
		} else if s[:len(text)] != text {
			return false
		}
		s = s[len(text):]
	}
	return s == ""
}

// like reports whether s matches t with '*' and '?' wildcards,
// case-sensitively.
func (t *template) like(ctx *Context, s string) bool {
	if t.pieces == nil {
		return arn.Like(t.raw, s)
	}
	var buf [maxInlineVars]string
	vals, ok := t.resolve(ctx, buf[:0])
	if !ok {
		return false
	}
	return likePieces(t.pieces, vals, s)
}

// likePieces is the wildcard match of arn.Like over a pattern given as pieces,
// where variables are replaced by vals. A pattern position is a piece index
// and an offset inside that piece's text.
func likePieces(pieces []piece, vals []string, s string) bool {
	text := func(i int) string {
		p := &pieces[i]
		if p.kind == pieceVar {
			return vals[p.vi]
		}
		return p.text
	}
	type pos struct{ i, off int }
	// normalise moves p past exhausted literal pieces.
	normalise := func(p pos) pos {
		for p.i < len(pieces) {
			k := pieces[p.i].kind
			if (k == pieceLit || k == pieceVar) && p.off >= len(text(p.i)) {
				p.i, p.off = p.i+1, 0
				continue
			}
			break
		}
		return p
	}
	p := normalise(pos{})
	sx := 0
	star, starSx := pos{i: -1}, 0
	for p.i < len(pieces) || sx < len(s) {
		if p.i < len(pieces) {
			switch pieces[p.i].kind {
			case pieceStar:
				star, starSx = p, sx+1
				p = normalise(pos{p.i + 1, 0})
				continue
			case pieceQuest:
				if sx < len(s) {
					p = normalise(pos{p.i + 1, 0})
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == text(p.i)[p.off] {
					p = normalise(pos{p.i, p.off + 1})
					sx++
					continue
				}
			}
		}
		if star.i >= 0 && starSx <= len(s) {
			p = normalise(pos{star.i + 1, 0})
			sx = starSx
			starSx++
			continue
		}
		return false
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// actionPattern is a compiled Action or NotAction entry, sorted into the
// cheapest way to match it. Actions compare case-insensitively.
type actionPattern struct {
	kind actionKind
	s    string // lower case: the whole pattern, or the prefix before '*'
}

type actionKind uint8

const (
	actionAny    actionKind = iota // "*"
	actionExact                    // no wildcard
	actionPrefix                   // literal followed by one trailing '*'
	actionGlob                     // other wildcards
)

func newActionPattern(a string) actionPattern {
	a = strings.ToLower(a)
	switch i := strings.IndexAny(a, "*?"); {
	case a == "*":
		return actionPattern{kind: actionAny}
	case i < 0:
		return actionPattern{kind: actionExact, s: a}
	case i == len(a)-1 && a[i] == '*':
		return actionPattern{kind: actionPrefix, s: a[:i]}
	}
	return actionPattern{kind: actionGlob, s: a}
}

// literal is the text before the first wildcard; the trie indexes it.
func (p *actionPattern) literal() string {
	if p.kind == actionGlob {
		return p.s[:strings.IndexAny(p.s, "*?")]
	}
	return p.s
}

func (p *actionPattern) match(a string) bool {
	switch p.kind {
	case actionAny:
		return true
	case actionExact:
		return len(a) == len(p.s) && equalLower(a, p.s)
	case actionPrefix:
		return len(a) >= len(p.s) && equalLower(a[:len(p.s)], p.s)
	}
	return arn.LikeFold(p.s, a)
}

// equalLower reports whether s equals l, which is in lower case, under
// ASCII case folding.
func equalLower(s, l string) bool {
	for i := 0; i < len(l); i++ {
		if s[i] != l[i] && lower(s[i]) != l[i] {
			return false
		}
	}
	return true
}
