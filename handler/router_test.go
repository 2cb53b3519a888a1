package handler_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/handler"
)

type clientIPRoute struct{}

func (clientIPRoute) Register(r gin.IRouter) {
	r.GET("/ip", func(c *gin.Context) { c.String(http.StatusOK, c.ClientIP()) })
}

// The client address comes from X-Forwarded-For only when a trusted proxy
// sent it; a proxy left out of YV_TRUSTED_PROXIES is reported once, since
// every client then shares the proxy's address (and its login throttle).
func TestRouterClientIPAndUntrustedProxyWarning(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r, err := handler.NewRouter(log, prometheus.NewRegistry(), []string{"172.30.0.10"}, clientIPRoute{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(remote, xff string) string {
		req := httptest.NewRequest(http.MethodGet, "/ip", nil)
		req.RemoteAddr = remote + ":40000"
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Body.String()
	}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"trusted proxy", "172.30.0.10", "203.0.113.5", "203.0.113.5"},
		{"direct client", "198.51.100.7", "", "198.51.100.7"},
		{"untrusted proxy", "172.18.0.6", "203.0.113.6", "172.18.0.6"},
		{"untrusted proxy again", "172.18.0.6", "203.0.113.7", "172.18.0.6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := get(tc.remote, tc.xff); got != tc.want {
				t.Fatalf("client IP %q, want %q", got, tc.want)
			}
		})
	}
	if n := strings.Count(logs.String(), "not in YV_TRUSTED_PROXIES"); n != 1 {
		t.Fatalf("untrusted-proxy warning logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "remote=172.18.0.6") {
		t.Fatalf("warning does not name the proxy:\n%s", logs.String())
	}
}
