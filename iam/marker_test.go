package iam

import "testing"

// FuzzOpenMarker feeds openMarker untrusted markers: it never panics, what
// it accepts names a key that seals to a marker naming the same key, and an
// accepted marker does not open for another listing.
func FuzzOpenMarker(f *testing.F) {
	for _, seed := range []string{"", "%%%", "Y2Fyb2w", "AAAAAAAAAAA", sealMarker("bob", "ListUsers", "123456789012", ""),
		sealMarker("Lpolicy", "ListPolicies", "123456789012", "All\x00\x00false\x00")} {
		f.Add(seed, "ListUsers", "123456789012", "")
	}
	f.Fuzz(func(t *testing.T, marker, action, account, pathPrefix string) {
		key, ok := openMarker(marker, action, account, pathPrefix)
		if !ok {
			return
		}
		if k, ok := openMarker(sealMarker(key, action, account, pathPrefix), action, account, pathPrefix); !ok || k != key {
			t.Errorf("openMarker accepted %q for key %q, but that key's own marker opens to %q, %v", marker, key, k, ok)
		}
		if _, ok := openMarker(marker, action+"x", account, pathPrefix); ok {
			t.Errorf("marker %q opens for another action", marker)
		}
	})
}
