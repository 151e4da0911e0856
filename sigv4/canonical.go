package sigv4

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// scratch holds the buffers one signature computation needs. It is pooled so
// that a verification with a warm KeyCache allocates nothing.
type scratch struct {
	canon  []byte  // canonical request
	msg    []byte  // 64 bytes reserved for the HMAC pad, then the message
	query  []byte  // re-encoded query names and values
	params []param // spans of query
	date   [len(amzDateLayout)]byte
}

// param locates one query parameter in scratch.query: name q[k0:k1], value q[k1:v1].
type param struct{ k0, k1, v1 int }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{canon: make([]byte, 0, 1024), msg: make([]byte, 0, 256)}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(b *scratch) {
	// An outsized request should not pin its buffers in the pool.
	if cap(b.canon) > 64<<10 || cap(b.query) > 64<<10 || cap(b.params) > 4096 {
		return
	}
	scratchPool.Put(b)
}

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is in RFC 3986's unreserved set, the only bytes
// SigV4 leaves unescaped.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func appendEscaped(dst []byte, c byte) []byte {
	if unreserved(c) {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

func escape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		b = appendEscaped(b, s[i])
	}
	return string(b)
}

// appendCanonicalURI appends the canonical URI of u. Services other than S3
// encode each path segment twice; the path as sent on the wire is already encoded
// once, so it is encoded once more here ('%' becomes "%25"), keeping the slashes.
func appendCanonicalURI(dst []byte, u *url.URL) []byte {
	p := u.EscapedPath()
	if p == "" {
		return append(dst, '/')
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			dst = append(dst, '/')
		} else {
			dst = appendEscaped(dst, p[i])
		}
	}
	return dst
}

// appendCanonicalQuery appends the canonical form of a raw query string: every
// name and value decoded ('+' is a space, as in url.ParseQuery) and re-encoded
// with the unreserved set, sorted by name and then by value. With skipSignature
// the X-Amz-Signature parameter is left out, as presigned URLs require. It
// reports false when raw is not validly escaped.
func (b *scratch) appendCanonicalQuery(dst []byte, raw string, skipSignature bool) ([]byte, bool) {
	if raw == "" {
		return dst, true
	}
	q, ps := b.query[:0], b.params[:0]
	ok := true
	for raw != "" && ok {
		var seg string
		seg, raw, _ = strings.Cut(raw, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		k0 := len(q)
		if q, ok = appendRecoded(q, k); !ok {
			break
		}
		k1 := len(q)
		if skipSignature && string(q[k0:k1]) == "X-Amz-Signature" {
			q = q[:k0]
			continue
		}
		q, ok = appendRecoded(q, v)
		ps = append(ps, param{k0, k1, len(q)})
	}
	b.query, b.params = q, ps
	if !ok {
		return dst, false
	}
	slices.SortFunc(ps, func(x, y param) int {
		if c := bytes.Compare(q[x.k0:x.k1], q[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(q[x.k1:x.v1], q[y.k1:y.v1])
	})
	for i, p := range ps {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, q[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, q[p.k1:p.v1]...)
	}
	return dst, true
}

// appendRecoded decodes one query component and appends its SigV4 encoding.
func appendRecoded(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(s) {
				return dst, false
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return dst, false
			}
			c = hi<<4 | lo
			i += 2
		}
		dst = appendEscaped(dst, c)
	}
	return dst, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in the
// order the client listed them.
func appendCanonicalHeaders(dst []byte, r *http.Request, names []string) []byte {
	for _, name := range names {
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = appendHeaderValues(dst, r, name)
		dst = append(dst, '\n')
	}
	return dst
}

// appendHeaderValues appends the trimmed values of the named header joined by
// commas. Go's server moves Host out of the header map into r.Host, and a request
// built in process may carry its length only in r.ContentLength.
func appendHeaderValues(dst []byte, r *http.Request, name string) []byte {
	vals := lookupHeader(r.Header, name)
	if len(vals) == 0 {
		switch name {
		case "host":
			return appendTrimmed(dst, requestHost(r))
		case "content-length":
			if r.ContentLength > 0 {
				return strconv.AppendInt(dst, r.ContentLength, 10)
			}
		}
		return dst
	}
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// lookupHeader finds a header by its lower-case name without allocating: it
// looks up the canonical MIME form first and falls back to a case-insensitive
// scan for keys set directly in the map.
func lookupHeader(h http.Header, name string) []string {
	if len(h) == 0 {
		return nil
	}
	var kb [64]byte
	if len(name) <= len(kb) {
		k := kb[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(k)]; ok {
			return v
		}
	}
	for k, v := range h {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendTrimmed appends v without leading and trailing blanks and with runs of
// spaces collapsed to one, as SigV4 canonical header values require.
func appendTrimmed(dst []byte, v string) []byte {
	i, j := 0, len(v)
	for i < j && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	for j > i && (v[j-1] == ' ' || v[j-1] == '\t') {
		j--
	}
	v = v[i:j]
	if !strings.Contains(v, "  ") {
		return append(dst, v...)
	}
	space := false
	for i = 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}
