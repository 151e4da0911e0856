package validate

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// span finds the n-th occurrence of text in doc and returns the positions
// Access Analyzer gives for it, computed independently of lines: the text
// before it is converted to UTF-16 as a whole.
func span(t *testing.T, doc, text string, n int) Span {
	t.Helper()
	off := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(doc[off+1:], text)
		if j < 0 {
			t.Fatalf("%q not found %d times", text, n+1)
		}
		off += 1 + j
	}
	pos := func(b int) Position {
		before := doc[:b]
		line := strings.Count(before, "\n") + 1
		lineStart := strings.LastIndexByte(before, '\n') + 1
		return Position{Line: line, Column: len(utf16.Encode([]rune(before[lineStart:]))), Offset: len(utf16.Encode([]rune(before)))}
	}
	return Span{Start: pos(off), End: pos(off + len(text))}
}

func find(t *testing.T, fs []Finding, code string) Finding {
	t.Helper()
	for _, f := range fs {
		if f.IssueCode == code {
			return f
		}
	}
	t.Fatalf("no %s among %v", code, fs)
	return Finding{}
}

func TestLocations(t *testing.T) {
	// CRLF line ends, tabs, and characters outside ASCII (é is one UTF-16
	// unit in two bytes, the emoji two units in four bytes) before the
	// places findings point at.
	doc := "{\r\n\t\"Version\": \"2012-10-17\",\r\n" +
		"\t\"Statement\": [{\"Sid\": \"caf\u00e9\U0001F600\", \"Effect\": \"Allow\",\r\n" +
		"\t\t\"Action\": [\"s3:GetObject\", \"s3:Nope\"],\r\n" +
		"\t\t\"Resource\": \"arn:aws:s3:::b\u00e9/*\",\r\n" +
		"\t\t\"Condition\": {\"Bool\": {\"aws:SecureTransport\": \"oui\"}, \"StringEquals\": {\"aws:Nope\": \"x\"}}}]\r\n}"
	fs := Policy([]byte(doc), 1)

	tests := []struct {
		code, text string
		path       string
	}{
		{"UNSUPPORTED_SID", "\"caf\u00e9\U0001F600\"", "Statement[0].Sid"},
		{"INVALID_ACTION", `"s3:Nope"`, "Statement[0].Action[1]"},
		{"TYPE_MISMATCH_BOOLEAN", `"oui"`, "Statement[0].Condition.Bool.aws:SecureTransport"},
		{"INVALID_GLOBAL_CONDITION_KEY", `"aws:Nope"`, `Statement[0].Condition.StringEquals."aws:Nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := find(t, fs, tt.code)
			loc := f.Locations[0]
			if want := span(t, doc, tt.text, 0); loc.Span != want {
				t.Errorf("span = %+v, want %+v", loc.Span, want)
			}
			if got := strings.SplitN(loc.String(), " ", 2)[1]; got != tt.path {
				t.Errorf("path = %s, want %s", got, tt.path)
			}
		})
	}
	// By hand, once: the action is on line 4 after two tabs and
	// `"Action": ["s3:GetObject", `.
	f := find(t, fs, "INVALID_ACTION")
	if s := f.Locations[0].Span; s.Start.Line != 4 || s.Start.Column != 29 || s.End.Column != 38 {
		t.Errorf("INVALID_ACTION at %+v", s)
	}
}

func TestSyntaxErrorLocation(t *testing.T) {
	tests := []struct {
		doc        string
		line, col  int
		offset     int
		whatInText string
	}{
		{"{\n  \"Version\": \"2012-10-17\"\n  \"Statement\": []\n}", 3, 2, 30, "missing comma"},
		{`{"Statement": [}`, 1, 15, 15, "bad close"},
		{`{"Statement": {`, 1, 15, 15, "end of input"},
		{`{} {}`, 1, 3, 3, "trailing data"},
		{"", 1, 0, 0, "empty"},
		{"{\"Sid\": \"\u00e9\", x}", 1, 13, 13, "after a two-byte character"},
	}
	for _, tt := range tests {
		t.Run(tt.whatInText, func(t *testing.T) {
			fs := Policy([]byte(tt.doc), 1)
			if len(fs) != 1 || fs[0].IssueCode != "JSON_SYNTAX_ERROR" {
				t.Fatalf("findings %v", fs)
			}
			s := fs[0].Locations[0].Span.Start
			if s.Line != tt.line || s.Column != tt.col || s.Offset != tt.offset {
				t.Errorf("at %+v, want %d:%d offset %d", s, tt.line, tt.col, tt.offset)
			}
			if !strings.Contains(fs[0].FindingDetails, "line "+strconv.Itoa(tt.line)+" column "+strconv.Itoa(tt.col)) {
				t.Errorf("details %q", fs[0].FindingDetails)
			}
		})
	}
}

func TestSubstringLocation(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${}/x"}}`
	f := find(t, Policy([]byte(doc), 1), "EMPTY_VARIABLE")
	loc := f.Locations[0]
	last := loc.Path[len(loc.Path)-1]
	if last.Substring == nil || last.Substring.Start != 15 || last.Substring.Length != 3 {
		t.Fatalf("path %v", loc.Path)
	}
	if want := span(t, doc, "${}", 0); loc.Span != want {
		t.Errorf("span %+v, want %+v", loc.Span, want)
	}
}
