package awsquery

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// recorder is a ResponseWriter that keeps what a handler sends and the size
// of its largest write.
type recorder struct {
	header   http.Header
	status   int
	body     strings.Builder
	writes   int
	largest  int
	failFrom int // writes from this one on fail (0: never)
}

func (r *recorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.writes++
	if r.failFrom > 0 && r.writes >= r.failFrom {
		return 0, errors.New("connection reset by peer")
	}
	r.largest = max(r.largest, len(p))
	r.body.WriteString(p2s(p))
	return len(p), nil
}

func p2s(p []byte) string { return string(p) }

// items is a result of n elements whose encoding fails at element fail
// (never when fail is 0).
type items struct {
	n, fail int
}

var errEncoding = errors.New("cannot encode this item")

func (it items) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for i := 1; i <= it.n; i++ {
		if i == it.fail {
			return errEncoding
		}
		if err := e.EncodeElement(strings.Repeat("x", 100), xml.StartElement{Name: xml.Name{Local: "member"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func testHandler() *Handler {
	return &Handler{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// TestResultIsStreamed: a large result leaves in writes of at most the
// buffer's size, and is the whole, well-formed document.
func TestResultIsStreamed(t *testing.T) {
	h := testHandler()
	w := &recorder{}
	c := &call{requestID: "req-1", service: "iam", action: "ListThings"}
	status, code, aborted := h.writeResult(context.Background(), w, c, items{n: 20000})
	if status != http.StatusOK || code != "" || aborted {
		t.Fatalf("status %d, code %q, aborted %v", status, code, aborted)
	}
	if w.largest > responseBuffer || w.writes < 2 {
		t.Errorf("%d writes, the largest %d bytes: want pieces of at most %d", w.writes, w.largest, responseBuffer)
	}
	body := w.body.String()
	if len(body) < 20000*100 {
		t.Fatalf("body of %d bytes", len(body))
	}
	var doc struct {
		XMLName xml.Name `xml:"ListThingsResponse"`
		Members []string `xml:"ListThingsResult>member"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil || len(doc.Members) != 20000 || doc.ID != "req-1" {
		t.Fatalf("document: %v, %d members, request ID %q", err, len(doc.Members), doc.ID)
	}
	if ct := w.header.Get("Content-Type"); ct != "text/xml" || w.header.Get("x-amzn-RequestId") != "req-1" {
		t.Errorf("headers %v", w.header)
	}
}

// TestErrorBeforeFirstByte: an encoding failure while nothing has been sent
// is still answered with a proper <ErrorResponse> and a 500.
func TestErrorBeforeFirstByte(t *testing.T) {
	h := testHandler()
	w := &recorder{}
	c := &call{requestID: "req-2", service: "iam", action: "ListThings"}
	status, code, aborted := h.writeResult(context.Background(), w, c, items{n: 10, fail: 5})
	if status != http.StatusInternalServerError || code != "InternalFailure" || aborted {
		t.Fatalf("status %d, code %q, aborted %v", status, code, aborted)
	}
	if w.status != http.StatusInternalServerError {
		t.Errorf("sent status %d", w.status)
	}
	var doc struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Code    string   `xml:"Error>Code"`
		Type    string   `xml:"Error>Type"`
		ID      string   `xml:"RequestId"`
	}
	if err := xml.Unmarshal([]byte(w.body.String()), &doc); err != nil || doc.Code != "InternalFailure" || doc.Type != "Receiver" || doc.ID != "req-2" {
		t.Fatalf("body %q: %v, %+v", w.body.String(), err, doc)
	}
	if strings.Contains(w.body.String(), "member") {
		t.Errorf("part of the result leaked into the error: %q", w.body.String())
	}
}

// TestErrorAfterFirstByte: once part of the result is out, a failure can
// only cut the response, which writeResult reports (ServeHTTP then aborts
// the connection).
func TestErrorAfterFirstByte(t *testing.T) {
	h := testHandler()
	for name, tc := range map[string]struct {
		w      *recorder
		result items
	}{
		"encoding fails":    {&recorder{}, items{n: 5000, fail: 4000}},
		"the client leaves": {&recorder{failFrom: 2}, items{n: 5000}},
	} {
		t.Run(name, func(t *testing.T) {
			c := &call{requestID: "req-3", service: "iam", action: "ListThings"}
			_, _, aborted := h.writeResult(context.Background(), tc.w, c, tc.result)
			if !aborted {
				t.Fatal("a failure after the first byte was not reported as a cut")
			}
			if tc.w.status != http.StatusOK || strings.Contains(tc.w.body.String(), "ErrorResponse") {
				t.Errorf("status %d; an error document was appended to a started response", tc.w.status)
			}
		})
	}
}
