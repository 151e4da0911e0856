package policy

import (
	"strings"

	"github.com/warden-iam/warden/arn"
)

// arnPattern is a compiled Resource/NotResource entry or ArnLike value: the
// ARN sections of the pattern, matched section by section as arn.Match does.
type arnPattern struct {
	any  bool // the pattern "*"
	n    int  // number of sections
	secs [6]section
	// keyed, keySvc and keyRes are the resource index key: see setIndexKey.
	keyed          bool
	keySvc, keyRes string
}

// section is one ARN section of a pattern, sorted at compile time into the
// cheapest way to match it.
type section struct {
	kind sectionKind
	lit  string   // the literal, or the prefix before a trailing '*'
	t    template // for sectionGlob and sectionTemplate
}

type sectionKind uint8

const (
	sectionAny      sectionKind = iota // "*"
	sectionLiteral                     // no wildcard: equality
	sectionPrefix                      // literal followed by one '*'
	sectionGlob                        // other wildcards
	sectionTemplate                    // contains policy variables or escapes
)

func newSection(t template) section {
	if t.pieces != nil {
		return section{kind: sectionTemplate, t: t}
	}
	raw := t.raw
	switch i := strings.IndexAny(raw, "*?"); {
	case raw == "*":
		return section{kind: sectionAny}
	case i < 0:
		return section{kind: sectionLiteral, lit: raw}
	case i == len(raw)-1 && raw[i] == '*':
		return section{kind: sectionPrefix, lit: raw[:i]}
	}
	return section{kind: sectionGlob, t: t}
}

func (s *section) match(ctx *Context, v string) bool {
	switch s.kind {
	case sectionAny:
		return true
	case sectionLiteral:
		return v == s.lit
	case sectionPrefix:
		return strings.HasPrefix(v, s.lit)
	}
	return s.t.like(ctx, v)
}

// empty reports whether the section is the empty literal.
func (s *section) empty() bool { return s.kind == sectionLiteral && s.lit == "" }

// arnValue is a request ARN cut into sections once per evaluation.
type arnValue struct {
	s    string
	secs [6]string
	n    int
}

func newARNValue(s string) arnValue {
	v := arnValue{s: s}
	v.n = arn.Split(s, v.secs[:])
	return v
}

// parseARNPattern compiles s; vars enables policy variables (2012-10-17).
func parseARNPattern(s string, vars bool) (arnPattern, error) {
	if s == "*" {
		return arnPattern{any: true, n: 1}, nil
	}
	t, err := parseTemplate(s, vars, true)
	if err != nil {
		return arnPattern{}, err
	}
	var p arnPattern
	if t.pieces == nil {
		// t.raw, not s: escapes such as ${$} are already resolved in it.
		var secs [6]string
		p.n = arn.Split(t.raw, secs[:])
		for i := 0; i < p.n; i++ {
			p.secs[i] = newSection(template{raw: secs[i]})
		}
		p.setIndexKey()
		return p, nil
	}
	// Cut the pieces at the first five literal colons; a colon inside a
	// variable's name or value never separates sections.
	var cur []piece
	finish := func() {
		sec := template{pieces: cur}
		for i := range sec.pieces {
			if sec.pieces[i].kind == pieceVar {
				sec.pieces[i].vi = sec.nvars
				sec.nvars++
			}
		}
		if sec.nvars == 0 {
			sec = sec.simplify(true)
		}
		p.secs[p.n] = newSection(sec)
		p.n++
		cur = nil
	}
	for _, pc := range t.pieces {
		if pc.kind != pieceLit || p.n == 5 {
			cur = append(cur, pc)
			continue
		}
		text := pc.text
		for p.n < 5 {
			i := strings.IndexByte(text, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				cur = append(cur, piece{kind: pieceLit, text: text[:i]})
			}
			finish()
			text = text[i+1:]
		}
		if text != "" {
			cur = append(cur, piece{kind: pieceLit, text: text})
		}
	}
	finish()
	p.setIndexKey()
	return p, nil
}

// matchOrder checks the most selective sections first: the resource, then
// the service and account.
var matchOrder = [6]int{5, 2, 4, 3, 1, 0}

// match reports whether v matches the pattern.
func (p *arnPattern) match(ctx *Context, v *arnValue) bool {
	if p.any {
		return true
	}
	if p.n == 6 && v.n == 6 {
		for _, i := range matchOrder {
			if !p.secs[i].match(ctx, v.secs[i]) {
				return false
			}
		}
		return true
	}
	var buf [6]string
	if arn.Split(v.s, buf[:p.n]) != p.n {
		return false
	}
	for i := 0; i < p.n; i++ {
		if !p.secs[i].match(ctx, buf[i]) {
			return false
		}
	}
	return true
}
