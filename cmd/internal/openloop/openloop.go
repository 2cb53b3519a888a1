// Package openloop sends HTTP requests at a fixed rate, open loop, for the
// benches under cmd/ (wxbench, scalebench).
//
// Debian has no wrk2, so the fixed-rate run is Go: request i is due at
// start + i/rate whatever happened to earlier ones, and its latency is
// measured from that due time, not from when a worker got round to it (no
// coordinated omission: a stall shows up in the latencies of every request
// that should have been sent during it).
package openloop

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options of a run. Workers bounds the requests in flight (and the
// connections); Timeout bounds one request (5 s when 0); Grace bounds the
// whole run to Duration+Grace (0: no bound beyond the count): requests
// still queued then are not sent and count as Unsent.
type Options struct {
	Rate     int
	Duration time.Duration
	Workers  int
	Timeout  time.Duration
	Grace    time.Duration
}

// Check judges a 2xx response; a non-nil error counts it as bad.
type Check func(resp *http.Response, body []byte) error

// Next builds request i and how to judge its response (nil: any 2xx is
// fine). rng is the worker's own.
type Next func(ctx context.Context, i int, rng *rand.Rand) (*http.Request, Check, error)

// Result of a run.
type Result struct {
	Sent      int
	OK        int // 2xx that passed the check
	Non2xx    int
	Bad       int // 2xx that failed the check
	Errors    int // transport errors and timeouts
	Unsent    int // still queued when the run's time was up (Grace)
	Elapsed   time.Duration
	Latencies []time.Duration // of every completed request, sorted
	FirstErr  string
}

// Percentile is the p-th percentile latency (0 with no request).
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.Latencies)))
	if i >= len(r.Latencies) {
		i = len(r.Latencies) - 1
	}
	return r.Latencies[i]
}

// Max is the slowest latency.
func (r Result) Max() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[len(r.Latencies)-1]
}

// Failed is how many requests did not succeed.
func (r Result) Failed() int { return r.Non2xx + r.Bad + r.Errors + r.Unsent }

// Run sends o.Rate requests per second for o.Duration, built by next, and
// stops by itself: at most Rate×Duration requests, and none after ctx is
// done.
func Run(ctx context.Context, o Options, next Next) Result {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Workers < 1 {
		o.Workers = 1
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        o.Workers,
		MaxIdleConnsPerHost: o.Workers,
		MaxConnsPerHost:     o.Workers,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	total := int(float64(o.Rate) * o.Duration.Seconds())
	interval := time.Second / time.Duration(max(o.Rate, 1))
	start := time.Now().Add(20 * time.Millisecond)
	var stopAt time.Time // zero: no bound
	if o.Grace > 0 {
		stopAt = start.Add(o.Duration + o.Grace)
	}

	due := make(chan int, total)
	dispatched := 0 // read after the workers are done (due is closed first)
	go func() {
		defer close(due)
		for i := 0; i < total; i++ {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			due <- i
			dispatched++
		}
	}()

	type workerResult struct {
		lat                             []time.Duration
		ok, non2xx, bad, errors, unsent int
		firstErr                        string
	}
	results := make([]workerResult, o.Workers)
	var wg sync.WaitGroup
	for w := range o.Workers {
		wg.Add(1)
		go func(res *workerResult) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(RandUint64(), RandUint64())) //nolint:gosec // load shape, not a secret
			note := func(msg string) {
				if res.firstErr == "" {
					res.firstErr = msg
				}
			}
			for i := range due {
				at := start.Add(time.Duration(i) * interval)
				if !stopAt.IsZero() && time.Now().After(stopAt) {
					res.unsent++
					continue
				}
				req, check, err := next(ctx, i, rng)
				if err != nil {
					res.errors++
					note(err.Error())
					continue
				}
				resp, err := client.Do(req)
				if err != nil {
					res.errors++
					note(err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				lat := time.Since(at)
				switch {
				case err != nil:
					res.errors++
					note(err.Error())
					continue
				case resp.StatusCode < 200 || resp.StatusCode > 299:
					res.non2xx++
					note(resp.Status + ": " + string(body[:min(len(body), 300)]))
				case check != nil:
					if err := check(resp, body); err != nil {
						res.bad++
						note(err.Error())
					} else {
						res.ok++
					}
				default:
					res.ok++
				}
				res.lat = append(res.lat, lat)
			}
		}(&results[w])
	}
	wg.Wait()

	out := Result{Sent: dispatched, Elapsed: time.Since(start)}
	for _, r := range results {
		out.Latencies = append(out.Latencies, r.lat...)
		out.OK += r.ok
		out.Non2xx += r.non2xx
		out.Bad += r.bad
		out.Errors += r.errors
		out.Unsent += r.unsent
		if out.FirstErr == "" {
			out.FirstErr = r.firstErr
		}
	}
	slices.Sort(out.Latencies)
	return out
}

// RandUint64 is a random number from the system's generator.
func RandUint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
