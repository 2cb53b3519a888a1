package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Debian has no wrk2, so the fixed-rate run is open-loop Go: request i is
// due at start + i/rate whatever happened to earlier ones, and its latency
// is measured from that due time, not from when a worker got round to it
// (no coordinated omission: a stall shows up in the latencies of every
// request that should have been sent during it).

type rateOptions struct {
	rate     int
	duration time.Duration
	workers  int
	senders  int
	token    string
}

type rateResult struct {
	Sent      int
	MsgIDBase int64 // request i carried MsgId MsgIDBase+i
	OKText    int   // 200 with a text reply to the sender
	Non2xx    int
	BadReply  int // 200 without the expected text reply
	Errors    int // transport errors and timeouts
	Elapsed   time.Duration
	Latencies []time.Duration // of every completed request, sorted
	FirstErr  string
}

func (r rateResult) percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.Latencies)))
	if i >= len(r.Latencies) {
		i = len(r.Latencies) - 1
	}
	return r.Latencies[i]
}

func (r rateResult) max() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[len(r.Latencies)-1]
}

// runRate sends o.rate requests per second for o.duration to baseURL.
func runRate(ctx context.Context, baseURL string, o rateOptions) rateResult {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConns:        o.workers,
		MaxIdleConnsPerHost: o.workers,
		MaxConnsPerHost:     o.workers,
		DisableCompression:  true,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}

	now := time.Now()
	sigs := signedQueries(o.token, 1000, now)
	base := newMsgIDBase()
	total := int(float64(o.rate) * o.duration.Seconds())
	interval := time.Second / time.Duration(o.rate)
	start := time.Now().Add(20 * time.Millisecond)

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
		lat                              []time.Duration
		okText, non2xx, badReply, errors int
		firstErr                         string
	}
	results := make([]workerResult, o.workers)
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Add(1)
		go func(res *workerResult) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(randUint64(), randUint64()))
			for i := range due {
				at := start.Add(time.Duration(i) * interval)
				from := senderID(rng.IntN(o.senders))
				body := textMessage(from, now.Unix(), contents[i%len(contents)], base+int64(i))
				url := baseURL + callbackPath + "?" + sigs[rng.IntN(len(sigs))]
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Content-Type", "text/xml")
				resp, err := client.Do(req)
				if err != nil {
					res.errors++
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
					continue
				}
				reply, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				lat := time.Since(at)
				switch {
				case err != nil:
					res.errors++
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
					continue
				case resp.StatusCode < 200 || resp.StatusCode > 299:
					res.non2xx++
					if res.firstErr == "" {
						res.firstErr = resp.Status + ": " + string(reply)
					}
				case resp.StatusCode != http.StatusOK || !isTextReplyTo(reply, from):
					res.badReply++
					if res.firstErr == "" {
						res.firstErr = "unexpected reply: " + string(reply)
					}
				default:
					res.okText++
				}
				res.lat = append(res.lat, lat)
			}
		}(&results[w])
	}
	wg.Wait()

	out := rateResult{Sent: dispatched, MsgIDBase: base, Elapsed: time.Since(start)}
	for _, r := range results {
		out.Latencies = append(out.Latencies, r.lat...)
		out.OKText += r.okText
		out.Non2xx += r.non2xx
		out.BadReply += r.badReply
		out.Errors += r.errors
		if out.FirstErr == "" {
			out.FirstErr = r.firstErr
		}
	}
	slices.Sort(out.Latencies)
	return out
}
