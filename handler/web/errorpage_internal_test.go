package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// The error page offers 重试 only where repeating the request can help
// (the server failed or was busy); a page that does not exist or a
// refusal offers 返回: to the page the user came from, or 主页.
func TestErrorPageRetryOrBack(t *testing.T) {
	k := &Kit{log: slog.New(slog.NewTextHandler(io.Discard, nil)), assets: assetVersions()}
	k.buffers.New = func() any { return new(bytes.Buffer) }
	var err error
	if k.errorPage, err = k.Templates(kitFS, "templates", nil); err != nil {
		t.Fatal(err)
	}
	page := func(status int, referer, retry string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodGet, "http://yv.example/h5/questions/404", nil)
		if referer != "" {
			c.Request.Header.Set("Referer", referer)
		}
		if retry == "self" {
			retry = c.Request.URL.RequestURI()
		}
		k.ErrorPage(c, status, "出错了", "问题不存在", retry)
		if rec.Code != status {
			t.Fatalf("HTTP %d, want %d", rec.Code, status)
		}
		return rec.Body.String()
	}
	has := func(body string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("the page lacks %q:\n%s", w, body)
			}
		}
	}
	hasNot := func(body string, not ...string) {
		t.Helper()
		for _, w := range not {
			if strings.Contains(body, w) {
				t.Errorf("the page has %q:\n%s", w, body)
			}
		}
	}
	// Not found, opened from a board: 返回 leads back to the board.
	b := page(http.StatusNotFound, "http://yv.example/h5/boards/u-4144010590?unanswered=1", "self")
	has(b, `id="error-back"`, `href="/h5/boards/u-4144010590?unanswered=1"`, ">返回</a>", `id="error-home"`, "返回主页")
	hasNot(b, "重试", `id="error-retry"`)
	// Opened with no page before it (a link in a chat): 返回 is 主页,
	// offered once.
	b = page(http.StatusNotFound, "", "")
	has(b, `id="error-back" data-back`, `href="/h5/home"`, ">返回</a>")
	hasNot(b, "重试", `id="error-home"`)
	// From another site: never sent back there.
	b = page(http.StatusForbidden, "https://evil.example/h5/x", "self")
	has(b, `id="error-back"`, `href="/h5/home"`)
	hasNot(b, "evil.example", "重试")
	// The server failed, or is busy: 重试 the same page.
	for _, st := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		b = page(st, "http://yv.example/h5/boards", "self")
		has(b, `id="error-retry"`, `href="/h5/questions/404"`, ">重试</a>", "返回主页")
		hasNot(b, `id="error-back"`)
	}
	// A retry elsewhere chosen by the caller (starting WeChat
	// authorisation again) stays 重试 whatever the status.
	b = page(http.StatusBadRequest, "", "/h5/oauth/start?next=%2Fh5%2Fhome")
	has(b, ">重试</a>", `href="/h5/oauth/start?next=%2Fh5%2Fhome"`)
}
