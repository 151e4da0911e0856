package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
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
	// Both go through `warden serve` (an explicit flag keeps the tracking
	// server off startServer's wardentest path), so they differ in
	// tracking alone.
	onArgs := append([]string{"--event-history=true", "--access-advisor=true"}, strings.Fields(os.Getenv("WARDEN_LOAD_ON_ARGS"))...)
	on, off := storeKinds(t, onArgs...), storeKinds(t, "--event-history=false", "--access-advisor=false")
	for name := range on {
		t.Run(name, func(t *testing.T) {
			// Labelled, so that a CPU profile of this test tells the two
			// servers apart: go tool pprof -tagfocus=server=on ...
			var sOn, sOff *server
			pprof.Do(context.Background(), pprof.Labels("server", "on"), func(context.Context) { sOn = on[name](t) })
			pprof.Do(context.Background(), pprof.Labels("server", "off"), func(context.Context) { sOff = off[name](t) })
			keysOn, keysOff := usersInGroup(t, sOn, "load", 32), usersInGroup(t, sOff, "load", 32)
			for _, conns := range []int{8, 32} {
				var rateOn, rateOff, cpuOn, cpuOff float64
				var ratios []float64
				runOn := func() loadResult {
					before := eventsWritten(t, sOn)
					r := loadGetUser(t, sOn, keysOn, conns, phase, nil)
					// Drain: the phase's events are written (or counted as
					// dropped) before the next phase starts. The recorder
					// writes at least every second: poll its counters until
					// they reach the phase's requests, or stand still for
					// two seconds (a server recording nothing, as when
					// WARDEN_LOAD_ON_ARGS turns it off).
					want := before + r.rate*phase.Seconds()
					poll := time.NewTicker(10 * time.Millisecond)
					last, since := eventsWritten(t, sOn), time.Now()
					for last < want && time.Since(since) < 2*time.Second {
						<-poll.C
						if n := eventsWritten(t, sOn); n != last {
							last, since = n, time.Now()
						}
					}
					poll.Stop()
					return r
				}
				for i := range rounds {
					// Which goes first alternates, so that neither always
					// follows the other.
					var a, b loadResult
					if i%2 == 0 {
						a = runOn()
						b = loadGetUser(t, sOff, keysOff, conns, phase, nil)
					} else {
						b = loadGetUser(t, sOff, keysOff, conns, phase, nil)
						a = runOn()
					}
					rateOn, cpuOn, rateOff, cpuOff = rateOn+a.rate, cpuOn+a.cpu, rateOff+b.rate, cpuOff+b.cpu
					ratios = append(ratios, 100*a.rate/b.rate)
				}
				slices.Sort(ratios)
				n := float64(rounds)
				t.Logf("%s, %2d connections, %d rounds of %v: tracking on %6.0f req/s, %3.0f µs CPU/req | off %6.0f req/s, %3.0f µs CPU/req | on/off %.1f %% (CPU %.1f %%); rounds' on/off min %.0f, median %.0f, max %.0f %%",
					name, conns, rounds, phase, rateOn/n, cpuOn/n, rateOff/n, cpuOff/n, 100*rateOn/rateOff, 100*cpuOff/cpuOn,
					ratios[0], ratios[len(ratios)/2], ratios[len(ratios)-1])
			}
		})
	}
}
