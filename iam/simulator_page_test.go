package iam

import (
	"errors"
	"fmt"
	"testing"

	"github.com/warden-iam/warden"
)

func simInput(actions, resources int) *simulationInput {
	in := &simulationInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[]}`}}
	for i := range actions {
		in.ActionNames = append(in.ActionNames, fmt.Sprintf("s3:Op%d", i))
	}
	for i := range resources {
		in.ResourceArns = append(in.ResourceArns, fmt.Sprintf("arn:aws:s3:::b/k%d", i))
	}
	return in
}

func TestSimulationPage(t *testing.T) {
	tests := []struct {
		name               string
		actions, resources int
		maxItems           int
		wantStart, wantEnd int
		wantTruncated      bool
	}{
		{"default MaxItems", 250, 0, 0, 0, 100, true},
		{"all fit", 5, 3, 0, 0, 5, false},
		{"MaxItems", 50, 1, 10, 0, 10, true},
		{"pair budget", 1000, 1000, 1000, 0, 1, true},
		{"pair budget, some per page", 1000, 30, 1000, 0, SimulatorPairsPerPage / 30, true},
		{"one action always fits", 2, MaxSimulatorResources, 0, 0, 1, true},
		{"last action", 1, 1000, 0, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := simInput(tt.actions, tt.resources)
			in.MaxItems = tt.maxItems
			p, err := in.simulationPage(tt.resources)
			if err != nil {
				t.Fatal(err)
			}
			if p.start != tt.wantStart || p.end != tt.wantEnd || p.IsTruncated != tt.wantTruncated || (p.Marker != "") != tt.wantTruncated {
				t.Fatalf("page %+v, want [%d, %d) truncated %v", p, tt.wantStart, tt.wantEnd, tt.wantTruncated)
			}
		})
	}
}

// TestSimulationMarkersWalk: following markers visits every action once, in
// order, and each page holds at most the pair budget.
func TestSimulationMarkersWalk(t *testing.T) {
	in := simInput(301, 7)
	in.MaxItems = 1000
	next := 0
	for pages := 0; ; pages++ {
		p, err := in.simulationPage(7)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		if p.start != next || (p.end-p.start)*7 > SimulatorPairsPerPage || p.end <= p.start {
			t.Fatalf("page %d = [%d, %d), want a start at %d within the budget", pages, p.start, p.end, next)
		}
		next = p.end
		if !p.IsTruncated {
			break
		}
		in.Marker = p.Marker
	}
	if next != 301 {
		t.Fatalf("walk ended at %d of 301", next)
	}
}

func isInvalidMarker(err error) bool {
	var we *warden.Error
	return errors.As(err, &we) && we.Code == warden.CodeValidationError && we.Message == "Invalid Marker."
}

// TestSimulationMarkerRefused: a marker works only for the request it was
// issued for; forged and foreign markers are ValidationError.
func TestSimulationMarkerRefused(t *testing.T) {
	in := simInput(10, 0)
	in.MaxItems = 3
	p, err := in.simulationPage(0)
	if err != nil || !p.IsTruncated {
		t.Fatalf("%+v, %v", p, err)
	}
	digest := in.digest()
	for name, change := range map[string]func(*simulationInput){
		"other actions":   func(o *simulationInput) { o.ActionNames[9] = "s3:Other" },
		"other resources": func(o *simulationInput) { o.ResourceArns = []string{"arn:aws:s3:::b/x"} },
		"other policy":    func(o *simulationInput) { o.PolicyInputList[0] += " " },
		"other context":   func(o *simulationInput) { o.ContextEntries = []contextEntry{{ContextKeyName: "aws:username"}} },
		"other caller":    func(o *simulationInput) { o.CallerArn = "arn:aws:iam::123456789012:user/x" },
	} {
		t.Run(name, func(t *testing.T) {
			o := simInput(10, 0)
			o.MaxItems, o.Marker = 3, p.Marker
			change(o)
			if _, err := o.simulationPage(len(o.ResourceArns)); !isInvalidMarker(err) {
				t.Fatalf("got %v", err)
			}
		})
	}
	forged := map[string]string{
		"not base64":         "!!!",
		"empty payload":      "",
		"wrong version":      simMarker(3, digest)[1:],
		"index zero":         simMarker(0, digest),
		"index past the end": simMarker(10, digest),
		"huge index":         simMarker(1<<40, digest),
		"other digest":       simMarker(3, [12]byte{1}),
	}
	for name, m := range forged {
		t.Run(name, func(t *testing.T) {
			o := simInput(10, 0)
			o.Marker = m
			if m == "" {
				o.Marker = "AA"
			}
			if _, err := o.simulationPage(0); !isInvalidMarker(err) {
				t.Fatalf("marker %q: got %v", m, err)
			}
		})
	}
	// A changed MaxItems keeps the marker good.
	o := simInput(10, 0)
	o.MaxItems, o.Marker = 5, p.Marker
	if q, err := o.simulationPage(0); err != nil || q.start != 3 || q.end != 8 {
		t.Fatalf("MaxItems 5 from the marker: %+v, %v", q, err)
	}
}

// FuzzSimulationMarker: whatever a client sends as Marker, the page is
// either refused with Invalid Marker or lies within the request's actions.
func FuzzSimulationMarker(f *testing.F) {
	in := simInput(20, 2)
	for _, next := range []int{1, 5, 19} {
		f.Add(simMarker(next, in.digest()))
	}
	f.Add("AA")
	f.Add("czEAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, m string) {
		o := simInput(20, 2)
		o.Marker = m
		p, err := o.simulationPage(2)
		if err != nil {
			if !isInvalidMarker(err) {
				t.Fatalf("marker %q: %v", m, err)
			}
			return
		}
		first := 1
		if m == "" {
			first = 0 // no marker: the first page
		}
		if p.start < first || p.start >= 20 || p.end <= p.start || p.end > 20 {
			t.Fatalf("marker %q: page [%d, %d) outside the actions", m, p.start, p.end)
		}
	})
}
