package policy

import (
	"strings"

	"github.com/warden-iam/warden/arn"
)

// arnPattern is a compiled Resource/NotResource entry or ArnLike value: the
// ARN sections of the pattern, each a template, matched section by section
// as arn.Match does.
type arnPattern struct {
	any    bool   // the pattern "*"
	prefix string // literal text every matching value starts with
	n      int    // number of sections
	secs   [6]template
}

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
		return arnPattern{any: true, n: 1, secs: [6]template{{raw: "*"}}}, nil
	}
	t, err := parseTemplate(s, vars, true)
	if err != nil {
		return arnPattern{}, err
	}
	var p arnPattern
	if t.pieces == nil {
		var secs [6]string
		p.n = arn.Split(s, secs[:])
		for i := 0; i < p.n; i++ {
			p.secs[i] = template{raw: secs[i]}
		}
		p.prefix = s
		if i := strings.IndexAny(s, "*?"); i >= 0 {
			p.prefix = s[:i]
		}
		return p, nil
	}
	// Cut the pieces at the first five literal colons; a colon inside a
	// variable's name or value never separates sections.
	var cur []piece
	var b strings.Builder
	prefixDone := false
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
		p.secs[p.n] = sec
		p.n++
		cur = nil
	}
	for _, pc := range t.pieces {
		if !prefixDone {
			if pc.kind == pieceLit {
				b.WriteString(pc.text)
			} else {
				prefixDone = true
			}
		}
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
	p.prefix = b.String()
	return p, nil
}

// wellFormed reports whether the pattern has the six sections of an ARN and
// begins with "arn:"; policies accept no other Resource shape but "*".
func (p *arnPattern) wellFormed() bool {
	if p.any {
		return true
	}
	if p.n != 6 || p.secs[0].pieces != nil || p.secs[0].raw != "arn" {
		return false
	}
	// Partition and service may be wildcards but not empty.
	return !p.secs[1].empty() && !p.secs[2].empty() && !p.secs[5].empty()
}

func (t *template) empty() bool { return t.pieces == nil && t.raw == "" }

// match reports whether v matches the pattern.
func (p *arnPattern) match(ctx *Context, v *arnValue) bool {
	if p.any {
		return true
	}
	if !strings.HasPrefix(v.s, p.prefix) {
		return false
	}
	secs := v.secs[:v.n]
	if p.n != 6 || v.n != 6 {
		var buf [6]string
		if arn.Split(v.s, buf[:p.n]) != p.n {
			return false
		}
		secs = buf[:p.n]
		return p.matchSections(ctx, secs)
	}
	return p.matchSections(ctx, secs)
}

func (p *arnPattern) matchSections(ctx *Context, secs []string) bool {
	for i := 0; i < p.n; i++ {
		if !p.secs[i].like(ctx, secs[i]) {
			return false
		}
	}
	return true
}
