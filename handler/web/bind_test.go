package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

// tooLargeMsg is what a refused body is told.
const tooLargeMsg = "提交的内容过大（不能超过 64 KiB），请删减后重试"

// padJSON is a login body of exactly n bytes: the credentials and a field
// no handler reads, padded.
func padJSON(t *testing.T, n int) string {
	t.Helper()
	head := `{"account":"bodycap01","password":"secret123","pad":"`
	if n < len(head)+2 {
		t.Fatalf("padJSON(%d): too short", n)
	}
	return head + strings.Repeat("x", n-len(head)-2) + `"}`
}

// padForm is the login form of exactly n bytes, padded the same way.
func padForm(t *testing.T, csrf string, n int) string {
	t.Helper()
	head := url.Values{"_csrf": {csrf}, "account": {"bodycap01"}, "password": {"secret123"}, "next": {"/h5/home"}}.Encode() + "&pad="
	if n < len(head) {
		t.Fatalf("padForm(%d): too short", n)
	}
	return head + strings.Repeat("x", n-len(head))
}

// chunked hides a body's length, so that it is sent without
// Content-Length.
func chunked(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }

// Every route of the pages, the API and the sandbox refuses a body over
// web.MaxBody with 413 and a Chinese message before it is read, whether
// it announces its length or is sent chunked: the JSON envelope under
// /api (including /api/v1/session and activation, which need no login),
// the error page elsewhere. A body at the cap still works. (The WeChat
// callback has its own cap, wechat.MaxBody.)
func TestBodyOverCapIs413(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	s.Activate("bodycap01", "secret123", webtest.CodeSZU, "")

	api := func(t *testing.T, path string, body io.Reader) *webtest.Resp {
		t.Helper()
		c := s.Browser("")
		return c.Do(http.MethodPost, path, body, http.Header{"Content-Type": {"application/json"}, "X-CSRF-Token": {c.CSRF()}})
	}
	wantTooLarge := func(t *testing.T, r *webtest.Resp) {
		t.Helper()
		e := webtest.WantAPIError(t, r, http.StatusRequestEntityTooLarge, "body_too_large", "")
		if e.Message != tooLargeMsg {
			t.Fatalf("%s: message %q, want %q", r.URL, e.Message, tooLargeMsg)
		}
		if r.Cookie("yv_sess") != nil {
			t.Fatalf("%s: a refused body opened a session", r.URL)
		}
	}
	over := padJSON(t, web.MaxBody+1)
	for _, path := range []string{"/api/v1/session", "/api/v1/entries/gaoxiao/activate", "/api/v1/questions", "/api/v1/bookings/1/respond"} {
		t.Run("API "+path, func(t *testing.T) {
			wantTooLarge(t, api(t, path, strings.NewReader(over)))
			wantTooLarge(t, api(t, path, chunked(over)))
		})
	}
	t.Run("API, 8 MiB", func(t *testing.T) {
		wantTooLarge(t, api(t, "/api/v1/session", strings.NewReader(padJSON(t, 8<<20))))
	})
	t.Run("API at the cap", func(t *testing.T) {
		webtest.WantStatus(t, api(t, "/api/v1/session", strings.NewReader(padJSON(t, web.MaxBody))), http.StatusOK)
		webtest.WantStatus(t, api(t, "/api/v1/session", chunked(padJSON(t, web.MaxBody))), http.StatusOK)
	})

	form := func(t *testing.T, n int, body func(string) io.Reader) *webtest.Resp {
		t.Helper()
		c := s.Browser(webtest.UAPlain)
		return c.Do(http.MethodPost, "/h5/login", body(padForm(t, c.CSRF(), n)),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	}
	for name, body := range map[string]func(string) io.Reader{
		"with Content-Length": func(s string) io.Reader { return strings.NewReader(s) },
		"chunked":             chunked,
	} {
		t.Run("page form "+name, func(t *testing.T) {
			r := form(t, web.MaxBody+1, body)
			webtest.WantStatus(t, r, http.StatusRequestEntityTooLarge)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Fatalf("Content-Type %q, want the error page", ct)
			}
			webtest.WantBody(t, r, `id="error-message"`, tooLargeMsg)
			if r.Cookie("yv_sess") != nil {
				t.Fatal("a refused form signed in")
			}
			webtest.WantRedirect(t, form(t, web.MaxBody, body), http.StatusSeeOther, "/h5/home")
		})
	}

	// The sandbox's pages and its fake WeChat API too.
	for _, path := range []string{"/sandbox/identities", "/sandbox/wxapi/cgi-bin/message/template/send"} {
		t.Run("sandbox "+path, func(t *testing.T) {
			c := s.Browser(webtest.UAPlain)
			r := c.Do(http.MethodPost, path, strings.NewReader(padForm(t, c.CSRF(), web.MaxBody+1)),
				http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			webtest.WantStatus(t, r, http.StatusRequestEntityTooLarge)
			webtest.WantBody(t, r, tooLargeMsg)
		})
	}
}
