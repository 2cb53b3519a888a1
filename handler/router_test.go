package handler_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gdyouth/youthvoice/handler"
	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
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

// An unknown page, or a method a page does not take, shows the Chinese
// error page on a phone; the API and everything else keep the JSON body.
func TestUnmatchedRoutes(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAWeChat)
		cases := []struct {
			method, path string
			status       int
			page         bool
			msg          string
		}{
			{http.MethodGet, "/h5/nonexistent", http.StatusNotFound, true, "页面不存在"},
			{http.MethodGet, "/h5", http.StatusNotFound, true, "页面不存在"},
			{http.MethodPut, "/h5/home", http.StatusMethodNotAllowed, true, "不支持该请求方法"},
			{http.MethodGet, "/api/v1/nonexistent", http.StatusNotFound, false, "页面不存在"},
			{http.MethodGet, "/h5x", http.StatusNotFound, false, "页面不存在"},
		}
		for _, tc := range cases {
			t.Run(tc.method+" "+tc.path, func(t *testing.T) {
				r := c.Do(tc.method, tc.path, nil, nil)
				webtest.WantStatus(t, r, tc.status)
				ct := r.Header.Get("Content-Type")
				if tc.page {
					if !strings.HasPrefix(ct, "text/html") {
						t.Fatalf("Content-Type %q, want the HTML error page", ct)
					}
					// Nothing to retry: 返回 (主页, as no page led here).
					webtest.WantBody(t, r, `id="error-message"`, tc.msg, `id="error-back" data-back`, `href="/h5/home"`, ">返回</a>")
					webtest.WantNoBody(t, r, "重试")
					return
				}
				var body web.ErrorBody
				if err := json.Unmarshal([]byte(r.Body), &body); err != nil || body.Message != tc.msg {
					t.Fatalf("body %q (%v), want the JSON error %q", r.Body, err, tc.msg)
				}
			})
		}
	})
}

func TestAPIUnknownRoutesAreJSON(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	c := s.Browser("")
	r := c.Get("/api/v1/nosuch")
	webtest.WantStatus(t, r, http.StatusNotFound)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("404 Content-Type %q", r.Header.Get("Content-Type"))
	}
	webtest.WantStatus(t, c.API(http.MethodPut, "/api/v1/me", nil), http.StatusMethodNotAllowed)
}

type panicRoute struct{}

func (panicRoute) Register(r gin.IRouter) {
	r.GET("/panic", func(*gin.Context) { panic("boom") })
}

// The router's fallbacks and its panic recovery answer with the API's
// error envelope, {"code","message"} (fields only when there are some).
func TestRouterErrorsAreTheEnvelope(t *testing.T) {
	var logs bytes.Buffer
	r, err := handler.NewRouter(slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry(), nil, panicRoute{})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]struct {
		status int
		body   string
	}{
		"/panic":  {http.StatusInternalServerError, `{"code":"internal","message":"服务器内部错误，请稍后重试"}`},
		"/nosuch": {http.StatusNotFound, `{"code":"not_found","message":"页面不存在"}`},
	} {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != want.status || strings.TrimSpace(w.Body.String()) != want.body {
			t.Errorf("%s: HTTP %d %s, want %d %s", path, w.Code, w.Body.String(), want.status, want.body)
		}
		var e web.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" {
			t.Errorf("%s: not the envelope: %v", path, err)
		}
	}
	if !strings.Contains(logs.String(), "panic in handler") {
		t.Fatalf("the panic was not logged:\n%s", logs.String())
	}
}
