package iam

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"github.com/warden-iam/warden"
)

// Paging a simulation. AWS evaluates every action on every resource and
// answers one EvaluationResult per action, with the per-resource answers
// inside it; it documents that IAM "might return fewer results [than
// MaxItems], even when there are more results available". Warden uses that
// freedom to bound the work of one request: a page evaluates at most
// SimulatorPairsPerPage action × resource pairs (and always at least one
// action, with all of its resources, so that its summary is whole), and the
// rest is paged with Marker.

// SimulatorPairsPerPage bounds the action × resource pairs one simulation
// page evaluates. With at most MaxSimulatorResources resources an action
// always fits on a page. See docs/limits.md for what a page costs.
const SimulatorPairsPerPage = 1000

// MaxSimulatorResources is the most ResourceArns a simulation may name: the
// most members any Query list may have (apimodel refuses more with
// ValidationError), kept here so that one action always fits on a page.
const MaxSimulatorResources = 1000

// simMarkerVersion starts every simulator marker, so that a change of format
// refuses old markers instead of misreading them.
const simMarkerVersion = 's'

// simPage is the window of actions one page evaluates: actions[start:end].
type simPage struct {
	start, end int
	page
}

// simulationPage selects the actions of this page: from the action that
// Marker names (which must have been issued for this very request), as many
// as MaxItems (default 100) allows and the pair budget holds.
func (in *simulationInput) simulationPage(resources int) (simPage, error) {
	digest := in.digest()
	start := 0
	if in.Marker != "" {
		var ok bool
		if start, ok = parseSimMarker(in.Marker, digest, len(in.ActionNames)); !ok {
			return simPage{}, warden.Errorf(warden.CodeValidationError, "Invalid Marker.")
		}
	}
	maxItems := in.MaxItems
	if maxItems <= 0 {
		maxItems = 100
	}
	fit := SimulatorPairsPerPage / max(resources, 1)
	n := min(maxItems, max(fit, 1), len(in.ActionNames)-start)
	p := simPage{start: start, end: start + n}
	if p.end < len(in.ActionNames) {
		p.page = page{IsTruncated: true, Marker: simMarker(p.end, digest)}
	}
	return p, nil
}

// simMarker is the opaque marker of the page starting at action next: the
// version, the index and a digest of the request, so that it is refused
// with another request's input.
func simMarker(next int, digest [12]byte) string {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(digest))
	b = append(b, simMarkerVersion)
	b = binary.AppendUvarint(b, uint64(next))
	b = append(b, digest[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseSimMarker reads a marker simMarker made for a request with this
// digest and n actions, returning the index of the next action.
func parseSimMarker(m string, digest [12]byte, n int) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || len(b) < 2 || b[0] != simMarkerVersion {
		return 0, false
	}
	next, k := binary.Uvarint(b[1:])
	if k <= 0 || next == 0 || next >= uint64(n) {
		return 0, false
	}
	rest := b[1+k:]
	if !bytes.Equal(rest, digest[:]) {
		return 0, false
	}
	return int(next), true
}

// digest identifies the simulation a request asks for, whatever its page:
// every input but MaxItems and Marker.
func (in *simulationInput) digest() [12]byte {
	h := sha256.New()
	field := func(s string) {
		h.Write(strconv.AppendInt(nil, int64(len(s)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	fields := func(ss []string) {
		field(strconv.Itoa(len(ss)))
		for _, s := range ss {
			field(s)
		}
	}
	field(in.PolicySourceArn)
	fields(in.PolicyInputList)
	fields(in.PermissionsBoundaryPolicyInputList)
	fields(in.ActionNames)
	fields(in.ResourceArns)
	field(in.ResourcePolicy)
	field(in.ResourceOwner)
	field(in.CallerArn)
	field(in.ResourceHandlingOption)
	field(strconv.Itoa(len(in.ContextEntries)))
	for _, e := range in.ContextEntries {
		field(e.ContextKeyName)
		field(e.ContextKeyType)
		fields(e.ContextKeyValues)
	}
	var out [12]byte
	copy(out[:], h.Sum(nil))
	return out
}
