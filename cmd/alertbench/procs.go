package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gdyouth/youthvoice/cmd/internal/benchproc"
)

// metrics fetches the instance's /metrics exposition.
func metrics(ctx context.Context, in *benchproc.Process) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// /metrics is served once the listener is up; the sender starts a
	// moment earlier, so retry briefly.
	var last error
	for range 20 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil {
				return string(b), nil
			}
			err = fmt.Errorf("GET %s/metrics: %s", in.URL, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return "", last
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", last
}

// depsCPU is the CPU used so far by the local MariaDB and Redis servers,
// by component ("mariadbd", "redis-server"); absent when not local.
func depsCPU(pids map[string][]int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, ps := range pids {
		key := name
		if key == "mysqld" {
			key = "mariadbd"
		}
		for _, p := range ps {
			out[key] += benchproc.ProcCPU(p)
		}
	}
	return out
}
