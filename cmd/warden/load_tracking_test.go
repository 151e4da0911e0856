package main

import (
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// eventsWritten reads warden_events_recorded_total + _dropped_total +
// _failed_total from s's /metrics: every event the server has finished with.
func eventsWritten(t *testing.T, s *server) float64 {
	t.Helper()
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	total := 0.0
	for _, m := range regexp.MustCompile(`(?m)^warden_events_(?:recorded|dropped|failed)_total (\S+)$`).FindAllStringSubmatch(string(body), -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		total += v
	}
	return total
}

// TestLoadTrackingCost measures what the event history and the access
// advisor cost the GetUser path at saturation: two servers on one store
// kind, one with tracking and one without, loaded in turn (on, off, on,
// off, ...) so that whatever else the machine is doing falls on both alike.
// After each phase with tracking the test waits until the server has written
// every event of that phase, so its background work is counted in its own
// phase and not in the next one. It reports throughput and process CPU per
// request; it asserts only that no request failed (figures go in the
// docs, not in assertions). WARDEN_LOAD_SECONDS sets each phase (default
// 0.5 s), WARDEN_LOAD_ROUNDS the rounds (default 2).
func TestLoadTrackingCost(t *testing.T) {
	phase := 500 * time.Millisecond
	if v := os.Getenv("WARDEN_LOAD_SECONDS"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 600 {
			t.Fatalf("WARDEN_LOAD_SECONDS=%q: want seconds in (0, 600]", v)
		}
		phase = time.Duration(f * float64(time.Second))
	}
	rounds := 2
	if v := os.Getenv("WARDEN_LOAD_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			t.Fatalf("WARDEN_LOAD_ROUNDS=%q: want 1..100", v)
		}
		rounds = n
	}
	// WARDEN_LOAD_ON_ARGS adds serve flags to the tracking server (e.g.
	// --access-advisor=false, to measure the event history alone).
	on, off := storeKinds(t, strings.Fields(os.Getenv("WARDEN_LOAD_ON_ARGS"))...), storeKinds(t, "--event-history=false", "--access-advisor=false")
	for name := range on {
		t.Run(name, func(t *testing.T) {
			sOn, sOff := on[name](t), off[name](t)
			keysOn, keysOff := usersInGroup(t, sOn, "load", 32), usersInGroup(t, sOff, "load", 32)
			for _, conns := range []int{8, 32} {
				var rateOn, rateOff, cpuOn, cpuOff float64
				for range rounds {
					before := eventsWritten(t, sOn)
					r := loadGetUser(t, sOn, keysOn, conns, phase, nil)
					// Drain: the phase's events are written (or counted as
					// dropped) before the next phase starts.
					want := before + r.rate*phase.Seconds()
					// The recorder writes at least every second: poll its
					// counters until they reach the phase's requests.
					poll := time.NewTicker(10 * time.Millisecond)
					deadline := time.Now().Add(30 * time.Second)
					for eventsWritten(t, sOn) < want {
						if time.Now().After(deadline) {
							t.Fatalf("the events of a phase were not written in 30 s (%v of %v)", eventsWritten(t, sOn)-before, want-before)
						}
						<-poll.C
					}
					poll.Stop()
					rateOn, cpuOn = rateOn+r.rate, cpuOn+r.cpu
					r = loadGetUser(t, sOff, keysOff, conns, phase, nil)
					rateOff, cpuOff = rateOff+r.rate, cpuOff+r.cpu
				}
				n := float64(rounds)
				t.Logf("%s, %2d connections, %d rounds of %v: tracking on %6.0f req/s, %3.0f µs CPU/req | off %6.0f req/s, %3.0f µs CPU/req | on/off %.1f %% (CPU %.1f %%)",
					name, conns, rounds, phase, rateOn/n, cpuOn/n, rateOff/n, cpuOff/n, 100*rateOn/rateOff, 100*cpuOff/cpuOn)
			}
		})
	}
}
