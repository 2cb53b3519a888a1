package web_test

// Tests of the kit through the whole stack: CSRF, session cookies and
// expiry, the redirect guard and the static assets.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/session"
)

// TestOAuthStateAndSessionExpire needs a clock the store obeys, so it runs
// on the in-process store only.
func TestOAuthStateAndSessionExpire(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 24, 9, 0, 0, 0, time.UTC))
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, clk), webtest.Opts{Clock: clk})

	c := s.Browser(webtest.UAWeChat)
	st := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
	clk.Advance(11 * time.Minute) // states live 10 minutes
	code := webtest.Fake().IssueCode(s.AppID, "oEXPIRED000000000000000001")
	r := c.Get("/h5/oauth/callback?code=" + code + "&state=" + st)
	webtest.WantStatus(t, r, http.StatusBadRequest)
	webtest.WantBody(t, r, "微信授权已过期或无效", `href="/h5/oauth/start?next=%2Fh5%2Fhome"`)

	// A session idle longer than its lifetime is gone.
	s.Activate("idleUser01", "secret123", webtest.CodeSZU, "")
	p := s.Browser(webtest.UAPlain)
	login := p.Post("/h5/login", url.Values{"account": {"idleUser01"}, "password": {"secret123"}, "next": {"/h5/home"}})
	webtest.WantRedirect(t, login, http.StatusSeeOther, "/h5/home")
	webtest.WantStatus(t, p.Get("/h5/home"), http.StatusOK)
	clk.Advance(session.DefaultIdle + time.Minute)
	webtest.WantRedirect(t, p.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
}

func TestCSRF(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		s.Activate("csrfUser01", "secret123", webtest.CodeSZU, "")
		form := url.Values{"account": {"csrfUser01"}, "password": {"secret123"}, "next": {"/h5/home"}}

		for name, tok := range map[string]string{"no token": "", "wrong token": strings.Repeat("A", 43)} {
			t.Run("page, "+name, func(t *testing.T) {
				c := s.Browser(webtest.UAPlain)
				c.CSRF()
				f := url.Values{"_csrf": {tok}}
				for k, v := range form {
					f[k] = v
				}
				r := c.Post("/h5/login", f)
				webtest.WantStatus(t, r, http.StatusForbidden)
				webtest.WantBody(t, r, "页面已过期或请求来源无效，请刷新页面后重试", "<html")
				if r.Cookie("yv_sess") != nil {
					t.Fatal("a rejected login set a session")
				}
			})
			t.Run("API, "+name, func(t *testing.T) {
				c := s.Browser("")
				c.CSRF()
				h := http.Header{"Content-Type": {"application/json"}}
				if tok != "" {
					h.Set("X-CSRF-Token", tok)
				}
				r := c.Do(http.MethodPost, "/api/v1/session", strings.NewReader(`{"account":"csrfUser01","password":"secret123"}`), h)
				webtest.WantStatus(t, r, http.StatusForbidden)
				var e web.ErrorBody
				r.Decode(t, &e)
				if e.Code != "csrf" || !strings.Contains(e.Message, "请刷新页面后重试") {
					t.Fatalf("API CSRF error %+v", e)
				}
			})
		}

		t.Run("no CSRF cookie at all", func(t *testing.T) {
			c := s.Browser(webtest.UAPlain)
			r := c.Do(http.MethodPost, "/h5/logout", strings.NewReader("_csrf="), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
			webtest.WantStatus(t, r, http.StatusForbidden)
		})

		t.Run("a token from another browser", func(t *testing.T) {
			other := s.Browser(webtest.UAPlain).CSRF()
			c := s.Browser(webtest.UAPlain)
			c.CSRF()
			f := url.Values{"_csrf": {other}}
			for k, v := range form {
				f[k] = v
			}
			webtest.WantStatus(t, c.Post("/h5/login", f), http.StatusForbidden)
		})

		t.Run("the page's token is accepted", func(t *testing.T) {
			c := s.Browser(webtest.UAPlain)
			page := c.Get("/h5/login?next=%2Fh5%2Fhome")
			f := url.Values{"_csrf": {webtest.PageCSRF(t, page)}}
			for k, v := range form {
				f[k] = v
			}
			webtest.WantRedirect(t, c.Post("/h5/login", f), http.StatusSeeOther, "/h5/home")
		})

		t.Run("the header is accepted", func(t *testing.T) {
			c := s.Browser("")
			h := http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {c.CSRF()}}
			r := c.Do(http.MethodPost, "/api/v1/session", strings.NewReader(`{"account":"csrfUser01","password":"secret123"}`), h)
			webtest.WantStatus(t, r, http.StatusOK)
			// A form post may carry the header too.
			p := s.Browser(webtest.UAPlain)
			hf := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": {p.CSRF()}}
			webtest.WantRedirect(t, p.Do(http.MethodPost, "/h5/login", strings.NewReader(form.Encode()), hf), http.StatusSeeOther, "/h5/home")
		})

		// Signed in, the token is the session's: a cookie and header pair
		// of the attacker's choosing (a planted cookie) does not pass, and
		// the token of before the login stops working at login.
		t.Run("bound to the session and rotated at login", func(t *testing.T) {
			c := s.Browser(webtest.UAPlain)
			before := c.CSRF()
			webtest.WantRedirect(t, c.Post("/h5/login", form), http.StatusSeeOther, "/h5/home")
			after := c.CSRF()
			if after == "" || after == before {
				t.Fatalf("token after login %q, before %q: want a new one", after, before)
			}
			for _, v := range c.Cookies {
				if v == after {
					t.Fatal("the session's token is also a cookie")
				}
			}
			planted := strings.Repeat("P", 43)
			c.Cookies["yv_csrf"] = planted
			for name, tok := range map[string]string{"planted pair": planted, "token of before the login": before} {
				r := c.Do(http.MethodPost, "/h5/logout", strings.NewReader(url.Values{"_csrf": {tok}}.Encode()),
					http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
				webtest.WantStatus(t, r, http.StatusForbidden)
				h := http.Header{"X-CSRF-Token": {tok}}
				webtest.WantStatus(t, c.Do(http.MethodDelete, "/api/v1/session", nil, h), http.StatusForbidden)
				if webtest.WantStatus(t, c.Get("/h5/home"), http.StatusOK); t.Failed() {
					t.Fatalf("%s signed the user out", name)
				}
			}
			webtest.WantRedirect(t, c.Post("/h5/logout", url.Values{"_csrf": {after}}), http.StatusSeeOther, "/h5/login")
		})

		t.Run("GET needs no token", func(t *testing.T) {
			webtest.WantStatus(t, s.Browser(webtest.UAPlain).Get("/h5/login"), http.StatusOK)
		})
	})
}

func TestSessionCookies(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		for _, tc := range []struct {
			publicURL string
			secure    bool
		}{{"", false}, {"https://yv.example.org", true}} {
			t.Run(fmt.Sprintf("secure=%v", tc.secure), func(t *testing.T) {
				s := webtest.New(t, db, store, webtest.Opts{PublicURL: tc.publicURL})
				acct := fmt.Sprintf("cookie%v01", tc.secure)
				s.Activate(acct, "secret123", webtest.CodeSZU, "")
				sessName, csrfName := s.CookieName("yv_sess"), s.CookieName("yv_csrf")
				if tc.secure && (sessName != "__Host-yv_sess" || csrfName != "__Host-yv_csrf") {
					t.Fatalf("cookie names on https: %s %s", sessName, csrfName)
				}
				c := s.Browser(webtest.UAPlain)
				first := c.Get("/h5/login")
				csrf := first.Cookie(csrfName)
				if csrf == nil || !csrf.HttpOnly || csrf.Secure != tc.secure || csrf.SameSite != http.SameSiteLaxMode || csrf.Path != "/" || csrf.Domain != "" {
					t.Fatalf("CSRF cookie %+v", csrf)
				}
				if first.Cookie("yv_csrf") != nil && tc.secure {
					t.Fatal("an unprefixed CSRF cookie on https")
				}
				// A session id planted before login is worthless.
				c.Cookies[sessName] = "planted-session-id-000000000000000000000000"
				r := c.Post("/h5/login", url.Values{"account": {acct}, "password": {"secret123"}, "next": {"/h5/home"}})
				webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/home")
				sc := r.Cookie(sessName)
				if sc == nil {
					t.Fatal("no session cookie after login")
				}
				if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure != tc.secure || sc.Path != "/" {
					t.Fatalf("session cookie %q: HttpOnly=%v SameSite=%v Secure=%v Path=%q; want HttpOnly, Lax, Secure=%v",
						sc.Raw, sc.HttpOnly, sc.SameSite, sc.Secure, sc.Path, tc.secure)
				}
				if sc.MaxAge != int(session.DefaultIdle.Seconds()) {
					t.Fatalf("session cookie Max-Age %d, want %d", sc.MaxAge, int(session.DefaultIdle.Seconds()))
				}
				if sc.Value == "planted-session-id-000000000000000000000000" || len(sc.Value) < 40 {
					t.Fatalf("session id %q: want a fresh random id", sc.Value)
				}
				webtest.WantStatus(t, c.Get("/h5/home"), http.StatusOK)

				// Logging in again issues another id and ends the old one.
				old := sc.Value
				r = c.Post("/h5/login", url.Values{"account": {acct}, "password": {"secret123"}, "next": {"/h5/settings"}})
				webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/settings")
				if r.Cookie(sessName) == nil || r.Cookie(sessName).Value == old {
					t.Fatal("a second login kept the session id")
				}
				if _, err := s.Sessions.Get(context.Background(), old); err == nil {
					t.Fatal("the previous session still exists after a new login")
				}

				// Logout deletes the session; the old cookie no longer works.
				current := c.Cookies[sessName]
				out := c.Post("/h5/logout", nil)
				webtest.WantRedirect(t, out, http.StatusSeeOther, "/h5/login")
				if del := out.Cookie(sessName); del == nil || del.MaxAge >= 0 {
					t.Fatalf("logout did not delete the cookie: %+v", del)
				}
				replay := s.Browser(webtest.UAPlain)
				replay.Cookies[sessName] = current
				webtest.WantRedirect(t, replay.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
				webtest.WantRedirect(t, c.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
			})
		}

		t.Run("a new id after WeChat activation", func(t *testing.T) {
			s := webtest.New(t, db, store, webtest.Opts{})
			c := s.Browser(webtest.UAWeChat)
			c.OAuth("oFIXATION000000000000000001", "/h5/home")
			anon := c.Cookies["yv_sess"]
			r := c.Post("/h5/activate/gaoxiao", webtest.ActivationForm("fixation01", "pass2026", "pass2026", webtest.CodeSZU, "/h5/home"))
			webtest.WantStatus(t, r, http.StatusSeeOther)
			if c.Cookies["yv_sess"] == anon {
				t.Fatal("activation kept the pre-login session id")
			}
			if _, err := s.Sessions.Get(context.Background(), anon); err == nil {
				t.Fatal("the pre-login session still exists")
			}
		})
	})
}

// TestSafeNext: whatever next says, redirects stay on the H5 pages.
func TestSafeNext(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		s.Activate("nextUser01", "secret123", webtest.CodeSZU, "oSAFENEXT00000000000000001")
		bad := []string{
			"//evil.com", "//evil.com/h5/home", "https://evil.com", "https://evil.com/h5/home", "http:evil.com",
			"/h5/../x", "/h5/%2e%2e/x", "/h5/./../../x", "/\\evil.com", "/h5/\\evil.com", "\\\\evil.com",
			"javascript:alert(1)", "/h5/home\r\nLocation: https://evil.com", "evil.com", "/x", "/api/v1/me",
			"/h5@evil.com", "https://yv.example.org@evil.com/h5/home",
		}
		ok := []string{"/h5/home", "/h5/settings", "/h5/home?notice=loggedin"}

		// onSite checks a Location: it must resolve, on this origin, to an
		// H5 page.
		onSite := func(t *testing.T, next, loc string) {
			t.Helper()
			base, _ := url.Parse(s.URL + "/h5/login")
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatalf("next=%q: Location %q does not parse", next, loc)
			}
			abs := base.ResolveReference(u)
			if abs.Host != base.Host || !strings.HasPrefix(abs.Path, "/h5/") || strings.ContainsAny(loc, "\\\r\n") {
				t.Fatalf("next=%q redirects to %q (%s), off the H5 pages", next, loc, abs)
			}
		}
		for _, next := range append(bad, ok...) {
			want := "/h5/home"
			for _, o := range ok {
				if next == o {
					want = o
				}
			}
			t.Run(strings.NewReplacer("/", "_", "\r", "", "\n", "").Replace(next), func(t *testing.T) {
				// The login page of a signed-in visitor.
				c := s.Browser(webtest.UAPlain)
				webtest.WantRedirect(t, c.Post("/h5/login", url.Values{"account": {"nextUser01"}, "password": {"secret123"}, "next": {next}}), http.StatusSeeOther, want)
				r := c.Get("/h5/login?next=" + url.QueryEscape(next))
				onSite(t, next, r.Location)
				if r.Location != want {
					t.Fatalf("login page: %q, want %q", r.Location, want)
				}
				// Through WeChat authorization (the state remembers next).
				w := s.Browser(webtest.UAWeChat)
				cb := w.OAuth("oSAFENEXT00000000000000001", next)
				onSite(t, next, cb.Location)
				if cb.Location != want {
					t.Fatalf("OAuth: %q, want %q", cb.Location, want)
				}
				// The activation form.
				a := s.Browser(webtest.UAPlain)
				act := a.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"nextUser01"}, "password": {"secret123"}, "next": {next}})
				onSite(t, next, act.Location)
			})
		}
	})
}

// Pages link the stylesheet and script by a hash of their content, so a
// phone that cached the old ones gets the new ones with the new pages;
// such a URL is cached for a year, any other revalidated.
func TestStaticAssetsAreVersioned(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)
		page := c.Get("/h5/login")
		webtest.WantStatus(t, page, http.StatusOK)
		for _, name := range []string{"app.css", "app.js"} {
			t.Run(name, func(t *testing.T) {
				m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(name) + `\?v=([0-9a-f]+))"`).FindStringSubmatch(page.Body)
				if m == nil {
					t.Fatalf("the page does not link a versioned %s:\n%s", name, page.Body)
				}
				r := c.Get(m[1])
				webtest.WantStatus(t, r, http.StatusOK)
				sum := sha256.Sum256([]byte(r.Body))
				if !strings.HasPrefix(hex.EncodeToString(sum[:]), m[2]) || len(m[2]) < 8 {
					t.Fatalf("version %q is not the content's hash", m[2])
				}
				if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
					t.Fatalf("current version: Cache-Control %q", cc)
				}
				for _, other := range []string{"/static/" + name, "/static/" + name + "?v=0123456789ab"} {
					o := c.Get(other)
					webtest.WantStatus(t, o, http.StatusOK)
					if cc := o.Header.Get("Cache-Control"); cc != "no-cache" || o.Body != r.Body {
						t.Fatalf("%s: Cache-Control %q (want no-cache), same body %v", other, cc, o.Body == r.Body)
					}
				}
			})
		}
		webtest.WantStatus(t, c.Get("/static/nosuch.css"), http.StatusNotFound)
		// No directory listing.
		for _, dir := range []string{"/static/", "/static/.", "/static/index.html"} {
			r := c.Get(dir)
			webtest.WantStatus(t, r, http.StatusNotFound)
			if strings.Contains(r.Body, "app.css") {
				t.Fatalf("%s lists the files: %s", dir, r.Body)
			}
		}
	})
}
