package openloop

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRunCountsOutcomesAndChargesStalls(t *testing.T) {
	var n int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++ // one worker: no race
		switch {
		case n == 1:
			time.Sleep(100 * time.Millisecond)
		case r.URL.Query().Get("fail") == "1":
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(r.URL.Query().Get("say")))
	}))
	defer srv.Close()
	r := Run(context.Background(), Options{Rate: 200, Duration: 500 * time.Millisecond, Workers: 1},
		func(ctx context.Context, i int, _ *rand.Rand) (*http.Request, Check, error) {
			url := srv.URL + "/?say=ok"
			switch i % 10 {
			case 3:
				url = srv.URL + "/?fail=1"
			case 7:
				url = srv.URL + "/?say=bad"
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			return req, func(_ *http.Response, body []byte) error {
				if string(body) != "ok" {
					return errors.New("said " + string(body))
				}
				return nil
			}, err
		})
	if r.Sent != 100 || r.OK != 80 || r.Non2xx != 10 || r.Bad != 10 || r.Errors != 0 || r.Failed() != 20 {
		t.Fatalf("sent %d ok %d non2xx %d bad %d errors %d", r.Sent, r.OK, r.Non2xx, r.Bad, r.Errors)
	}
	// The ~20 requests due during the first one's 100 ms queue behind it;
	// open-loop accounting charges them the wait.
	if slow := r.Latencies[len(r.Latencies)-10]; slow < 40*time.Millisecond {
		t.Fatalf("10th slowest latency %s: the stall was not charged to the queued requests", slow)
	}
	if r.Percentile(50) > r.Percentile(99) || r.Percentile(99) > r.Max() {
		t.Fatalf("percentiles out of order: %s %s %s", r.Percentile(50), r.Percentile(99), r.Max())
	}
}
