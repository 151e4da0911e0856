package servicedata

import (
	"slices"
	"strings"
)

// A tok is one element of an ARN pattern or format: a literal byte, a
// policy wildcard ('?' one byte, '*' any run) or a format variable such as
// ${BucketName}, which stands for a run of bytes of its class.
type tok struct {
	kind  tokKind
	c     byte // tokLit
	slash bool // tokVar: may contain '/'
	colon bool // tokVar: may contain ':'
}

type tokKind uint8

const (
	tokLit tokKind = iota
	tokOne
	tokStar
	tokVar
	tokVarOne // one byte of a variable: variables of the resource section are never empty
)

// section is one of the six colon-separated sections of an ARN.
type section []tok

func (s section) empty() bool { return len(s) == 0 }

// pattern is an ARN pattern of a policy, cut into its six sections.
type pattern struct{ sections [6]section }

// literalService returns the service section when it holds no wildcard.
func (p *pattern) literalService() (string, bool) {
	var b strings.Builder
	for _, t := range p.sections[2] {
		if t.kind != tokLit {
			return "", false
		}
		b.WriteByte(t.c)
	}
	return b.String(), true
}

// parsePattern reads a policy's ARN pattern. A policy variable (${aws:username})
// may stand for anything, so it reads as '*'; the escapes ${*}, ${?} and ${$}
// are literal characters. ok is false when s does not have six sections.
func parsePattern(s string) (pattern, bool) {
	var toks []tok
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				switch body {
				case "*", "?", "$":
					toks = append(toks, tok{kind: tokLit, c: body[0]})
				default:
					toks = append(toks, tok{kind: tokStar})
				}
				i += end + 2
				continue
			}
		}
		switch c {
		case '*':
			toks = append(toks, tok{kind: tokStar})
		case '?':
			toks = append(toks, tok{kind: tokOne})
		default:
			toks = append(toks, tok{kind: tokLit, c: c})
		}
	}
	var p pattern
	n := 0
	start := 0
	for i, t := range toks {
		if n < 5 && t.kind == tokLit && t.c == ':' {
			p.sections[n] = toks[start:i]
			n++
			start = i + 1
		}
	}
	if n != 5 {
		return pattern{}, false
	}
	p.sections[5] = toks[start:]
	return p, true
}

// format is a resource type's ARN format, cut into sections; service is
// its service section ("s3").
type format struct {
	sections [6]section
	service  string
}

// parseFormat reads an ARN format such as
// arn:${Partition}:s3:::${BucketName}/${ObjectName}. Which characters a
// variable may stand for is a judgement the reference does not record: a
// variable never spans the ':' that separate sections, and in the resource
// section contains ':' only when it ends the format; names contain '/' in
// many services (log groups, parameters, paths), but bucket names never.
func parseFormat(s string) format {
	var toks []tok
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				name := s[i+2 : i+2+end]
				last := i+2+end+1 == len(s)
				slash := !strings.Contains(name, "BucketName")
				toks = append(toks, tok{kind: tokVarOne, slash: slash, colon: last}, tok{kind: tokVar, slash: slash, colon: last})
				i += end + 2
				continue
			}
		}
		toks = append(toks, tok{kind: tokLit, c: s[i]})
	}
	var f format
	n, start := 0, 0
	for i, t := range toks {
		if n < 5 && t.kind == tokLit && t.c == ':' {
			f.sections[n] = toks[start:i]
			n++
			start = i + 1
		}
	}
	f.sections[n] = toks[start:]
	// Only resource names must be there; regions and accounts may be left
	// out of an ARN that otherwise fits.
	for i := 0; i < 5; i++ {
		f.sections[i] = slices.DeleteFunc(f.sections[i], func(t tok) bool { return t.kind == tokVarOne })
	}
	var b strings.Builder
	for _, t := range f.sections[2] {
		if t.kind != tokLit {
			b.Reset()
			break
		}
		b.WriteByte(t.c)
	}
	f.service = b.String()
	return f
}

// intersects reports whether some ARN fits both the format and the pattern.
func (f *format) intersects(p *pattern) bool {
	// The resource section first: it tells most formats apart.
	for _, i := range [6]int{5, 2, 4, 3, 1, 0} {
		if !intersect(p.sections[i], f.sections[i], i == 5) {
			return false
		}
	}
	return true
}

// intersect reports whether some string matches both the pattern section
// p and the format section f. It walks the product of the two automata;
// states are positions (i, j) in p and f.
func intersect(p, f section, resource bool) bool {
	if (len(p)+1)*(len(f)+1) > 1<<22 {
		return true // too long to walk: assume it fits rather than say it cannot
	}
	w := len(f) + 1
	seen := make([]bool, (len(p)+1)*w)
	stack := []int{0}
	seen[0] = true
	push := func(i, j int) {
		if k := i*w + j; !seen[k] {
			seen[k] = true
			stack = append(stack, k)
		}
	}
	allows := func(v tok, c byte) bool {
		switch c {
		case ':':
			return v.colon && resource
		case '/':
			return v.slash
		}
		return true
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := k/w, k%w
		if i == len(p) && j == len(f) {
			return true
		}
		// Moves that consume nothing: '*' matching no more, a variable
		// ending.
		if i < len(p) && p[i].kind == tokStar {
			push(i+1, j)
		}
		if j < len(f) && f[j].kind == tokVar {
			push(i, j+1)
		}
		if i == len(p) || j == len(f) {
			continue
		}
		pt, ft := p[i], f[j]
		if ft.kind == tokVarOne {
			switch pt.kind {
			case tokLit:
				if allows(ft, pt.c) {
					push(i+1, j+1)
				}
			case tokOne:
				push(i+1, j+1)
			case tokStar:
				push(i, j+1)
			}
			continue
		}
		switch {
		case pt.kind == tokLit && ft.kind == tokLit:
			if pt.c == ft.c {
				push(i+1, j+1)
			}
		case pt.kind == tokLit: // a variable takes the literal byte
			if allows(ft, pt.c) {
				push(i+1, j)
			}
		case pt.kind == tokOne && ft.kind == tokLit:
			push(i+1, j+1)
		case pt.kind == tokOne: // '?' takes a byte of the variable
			push(i+1, j)
		case pt.kind == tokStar && ft.kind == tokLit:
			push(i, j+1)
		}
	}
	return false
}
