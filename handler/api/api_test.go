package api_test

// Tests of the JSON API (/api/v1): the same flow as the H5 pages, for
// clients that are not browsers, and the OpenAPI document kept honest
// against the routes actually registered.

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"

	"gopkg.in/yaml.v3"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

type apiUser struct {
	ID         uint64 `json:"id"`
	Account    string `json:"account"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	RoleName   string `json:"role_name"`
	Entry      string `json:"entry"`
	WeChat     bool   `json:"wechat_bound"`
	University *struct {
		Code, Name, City, Level, Ownership string
		Batch                              int
	} `json:"university"`
}

func TestAPISession(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser("")
		r := c.Get("/api/v1/session")
		webtest.WantStatus(t, r, http.StatusOK)
		var out struct {
			Data struct {
				CSRF   string   `json:"csrf_token"`
				WeChat bool     `json:"wechat_identified"`
				User   *apiUser `json:"user"`
			} `json:"data"`
		}
		r.Decode(t, &out)
		if len(out.Data.CSRF) < 32 || out.Data.CSRF != r.Cookie("yv_csrf").Value || out.Data.User != nil || out.Data.WeChat {
			t.Fatalf("anonymous session %+v (cookie %v)", out.Data, r.Cookie("yv_csrf"))
		}
		// The token stays the same for the browser.
		again := c.Get("/api/v1/session")
		again.Decode(t, &out)
		if out.Data.CSRF != c.Cookies["yv_csrf"] || again.Cookie("yv_csrf") != nil {
			t.Fatal("the CSRF token changed between requests")
		}

		// After WeChat authorization the session knows the WeChat.
		w := s.Browser(webtest.UAWeChat)
		w.OAuth("oAPISESSION000000000000001", "/h5/home")
		w.Get("/api/v1/session").Decode(t, &out)
		if !out.Data.WeChat || out.Data.User != nil {
			t.Fatalf("after OAuth: %+v", out.Data)
		}
	})
}

func TestAPIActivate(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		const openid = "oAPIACTIVATE00000000000001"
		c := s.Browser(webtest.UAWeChat)
		c.OAuth(openid, "/h5/home")

		body := map[string]string{"mode": "new", "account": "apiUser2026", "password": "pass2026", "confirm": "pass2026",
			"university_code": webtest.CodeSZU, "name": "张青"}
		r := c.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate", body)
		webtest.WantStatus(t, r, http.StatusOK)
		var out struct{ Data apiUser }
		r.Decode(t, &out)
		u := out.Data
		if u.Account != "apiUser2026" || u.Name != "张青" || !u.WeChat || u.Entry != "gaoxiao" || u.Role != model.RoleStudent ||
			u.RoleName != "青年学生" || u.University == nil || u.University.Name != "深圳大学" || u.University.City != "深圳市" || u.University.Batch != 1 {
			t.Fatalf("activated user %+v", u)
		}
		if strings.Contains(r.Body, "pass2026") || strings.Contains(r.Body, "$2a$") {
			t.Fatal("the response carries the password or its hash")
		}
		if r.Cookie("yv_sess") == nil {
			t.Fatal("no session after activation")
		}
		me := c.API(http.MethodGet, "/api/v1/me", nil)
		webtest.WantStatus(t, me, http.StatusOK)
		me.Decode(t, &out)
		if out.Data.Account != "apiUser2026" || !out.Data.WeChat {
			t.Fatalf("/me %+v", out.Data)
		}
		if got := s.UserByAccount("apiuser2026"); webtest.OpenIDOf(got) != openid {
			t.Fatalf("bound to %q", webtest.OpenIDOf(got))
		}
		// Sending the same activation again (a retry) is harmless.
		webtest.WantStatus(t, c.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate", body), http.StatusOK)

		other := s.Browser("")
		cases := []struct {
			name         string
			entry        string
			body         any
			status       int
			code, field  string
			wantInFields string
		}{
			{"short account", "gaoxiao", map[string]string{"mode": "new", "account": "abc12", "password": "pass2026", "confirm": "pass2026", "university_code": webtest.CodeSZU},
				400, "invalid_input", "account", "账号须为 6–32 位英文字母或数字"},
			{"no university", "gaoxiao", map[string]string{"mode": "new", "account": "goodacct1", "password": "pass2026", "confirm": "pass2026"},
				400, "invalid_input", "university", "请选择学校"},
			{"confirm differs", "gaoxiao", map[string]string{"mode": "new", "account": "goodacct1", "password": "pass2026", "confirm": "nope2026", "university_code": webtest.CodeSZU},
				400, "invalid_input", "confirm", "两次输入的密码不一致"},
			{"no mode", "gaoxiao", map[string]string{"account": "goodacct1", "password": "pass2026"},
				400, "mode", "mode", ""},
			{"not JSON", "gaoxiao", "{account:", 400, "bad_json", "", ""},
			// The account's rule (6–32 letters or digits) is the service's; the
			// binder has no length of its own.
			{"field too long", "gaoxiao", map[string]string{"mode": "new", "account": strings.Repeat("a", 65)}, 400, "invalid_input", "account", "账号须为 6–32 位英文字母或数字"},
			{"disabled entry", "dishi", map[string]string{"mode": "new"}, 400, "entry_disabled", "entry", ""},
			{"unknown entry", "nosuch", map[string]string{"mode": "new"}, 404, "entry_not_found", "", ""},
			{"taken account", "gaoxiao", map[string]string{"mode": "new", "account": "APIUSER2026", "password": "pass2026", "confirm": "pass2026", "university_code": webtest.CodeSCUT},
				409, "account_taken", "account", "账号已被占用"},
			{"wrong password", "gaoxiao", map[string]string{"mode": "old", "account": "apiUser2026", "password": "wrong2026"},
				401, "bad_credentials", "password", "账号或密码错误"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := webtest.WantAPIError(t, other.API(http.MethodPost, "/api/v1/entries/"+tc.entry+"/activate", tc.body), tc.status, tc.code, tc.field)
				if tc.wantInFields != "" && e.Fields[tc.field] != tc.wantInFields {
					t.Fatalf("fields %v, want %s: %s", e.Fields, tc.field, tc.wantInFields)
				}
			})
		}
		t.Run("CSRF", func(t *testing.T) {
			n := s.Browser("")
			n.CSRF()
			r := n.Do(http.MethodPost, "/api/v1/entries/gaoxiao/activate", strings.NewReader(`{"mode":"new"}`), http.Header{"Content-Type": {"application/json"}})
			webtest.WantAPIError(t, r, http.StatusForbidden, "csrf", "")
		})
		t.Run("throttled", func(t *testing.T) {
			n := s.Browser("")
			var last *webtest.Resp
			for i := 0; i < 6; i++ {
				last = n.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate",
					map[string]string{"mode": "old", "account": "apiUser2026", "password": "wrong2026"})
			}
			e := webtest.WantAPIError(t, last, http.StatusTooManyRequests, "login_throttled", "")
			if !strings.Contains(e.Message, "分钟后再试") {
				t.Fatalf("throttle message %q", e.Message)
			}
			webtest.WantAPIError(t, n.API(http.MethodPost, "/api/v1/session", map[string]string{"account": "apiUser2026", "password": "pass2026"}),
				http.StatusTooManyRequests, "login_throttled", "")
		})
	})
}

func TestAPIOldUserAndLogout(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		s.Activate("apiVeteran1", "oldpass1", webtest.CodeSCUT, "oAPIFIRST000000000000000001")

		w := s.Browser(webtest.UAWeChat)
		w.OAuth("oAPISECOND00000000000000001", "/h5/home")
		r := w.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate", map[string]string{"mode": "old", "account": "apiveteran1", "password": "oldpass1"})
		webtest.WantStatus(t, r, http.StatusOK)
		var out struct{ Data apiUser }
		r.Decode(t, &out)
		if out.Data.Account != "apiVeteran1" || !out.Data.WeChat || out.Data.University == nil || out.Data.University.Code != webtest.CodeSCUT {
			t.Fatalf("old user %+v", out.Data)
		}
		if got := webtest.OpenIDOf(s.UserByAccount("apiVeteran1")); got != "oAPISECOND00000000000000001" {
			t.Fatalf("bound to %q", got)
		}

		// Password login outside WeChat, then logout.
		d := s.Browser("")
		webtest.WantAPIError(t, d.API(http.MethodPost, "/api/v1/session", map[string]string{"account": "apiVeteran1", "password": "nope"}),
			http.StatusUnauthorized, "bad_credentials", "password")
		webtest.WantAPIError(t, d.API(http.MethodPost, "/api/v1/session", "[]"), http.StatusBadRequest, "bad_json", "")
		anonToken := d.CSRF()
		login := d.API(http.MethodPost, "/api/v1/session", map[string]string{"account": "apiVeteran1", "password": "oldpass1"})
		webtest.WantStatus(t, login, http.StatusOK)
		// The session's new token is in the response; the old one is spent.
		if tok := login.Header.Get("X-CSRF-Token"); tok == "" || tok == anonToken || tok != d.CSRF() {
			t.Fatalf("X-CSRF-Token after login %q (before %q, session's %q)", tok, anonToken, d.CSRF())
		}
		webtest.WantAPIError(t, d.Do(http.MethodDelete, "/api/v1/session", nil, http.Header{"X-CSRF-Token": {anonToken}}), http.StatusForbidden, "csrf", "")
		login.Decode(t, &out)
		if out.Data.Account != "apiVeteran1" || !out.Data.WeChat {
			t.Fatalf("login %+v (a password login outside WeChat keeps the binding)", out.Data)
		}
		webtest.WantStatus(t, d.API(http.MethodGet, "/api/v1/me", nil), http.StatusOK)
		sess := d.Cookies["yv_sess"]
		out204 := d.API(http.MethodDelete, "/api/v1/session", nil)
		webtest.WantStatus(t, out204, http.StatusNoContent)
		webtest.WantAPIError(t, d.API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")
		replay := s.Browser("")
		replay.Cookies["yv_sess"] = sess
		webtest.WantAPIError(t, replay.API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")
	})
}

func TestAPIMeAndUnbind(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		anon := s.Browser("")
		e := webtest.WantAPIError(t, anon.API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")
		if e.Message != "请先登录或激活账号" {
			t.Fatalf("message %q", e.Message)
		}
		// An API call never redirects to OAuth, even from WeChat.
		webtest.WantAPIError(t, s.Browser(webtest.UAWeChat).API(http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "login_required", "")
		webtest.WantAPIError(t, anon.API(http.MethodDelete, "/api/v1/me/wechat", nil), http.StatusUnauthorized, "login_required", "")

		const openid = "oAPIUNBIND0000000000000001"
		s.Activate("apiUnbind01", "pass2026", webtest.CodeSZU, openid)
		w := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, w.OAuth(openid, "/h5/home"), http.StatusFound, "/h5/home")
		before := w.Cookies["yv_sess"]
		webtest.WantStatus(t, w.API(http.MethodDelete, "/api/v1/me/wechat", nil), http.StatusNoContent)
		if w.Cookies["yv_sess"] == before {
			t.Fatal("unbinding kept the session id")
		}
		var out struct{ Data apiUser }
		me := w.API(http.MethodGet, "/api/v1/me", nil)
		webtest.WantStatus(t, me, http.StatusOK)
		me.Decode(t, &out)
		if out.Data.WeChat || out.Data.Account != "apiUnbind01" {
			t.Fatalf("after unbinding: %+v", out.Data)
		}
		webtest.WantAPIError(t, w.API(http.MethodDelete, "/api/v1/me/wechat", nil), http.StatusBadRequest, "not_bound", "")
		webtest.WantRedirect(t, s.Browser(webtest.UAWeChat).OAuth(openid, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
	})
}

func TestAPIUniversities(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser("")
		type uni struct {
			Code, Name, City, Level, Ownership string
			Batch                              int
		}
		search := func(q string) []uni {
			t.Helper()
			r := c.Get("/api/v1/universities?" + q)
			webtest.WantStatus(t, r, http.StatusOK)
			var out struct{ Data []uni }
			r.Decode(t, &out)
			return out.Data
		}

		all := search("")
		if len(all) < 150 {
			t.Fatalf("%d universities, want Guangdong's ~160", len(all))
		}
		sz := search("q=" + url.QueryEscape("深圳"))
		if len(sz) < 5 || len(sz) >= len(all) {
			t.Fatalf("深圳: %d results", len(sz))
		}
		found := false
		for _, u := range sz {
			if u.City != "深圳市" {
				t.Errorf("深圳 matched %s in %s", u.Name, u.City)
			}
			if u.Code == webtest.CodeSZU && u.Name == "深圳大学" && u.Level == "本科" && u.Ownership == "公办" && u.Batch == 1 {
				found = true
			}
		}
		if !found {
			t.Fatalf("深圳大学 not among %v", sz)
		}
		for _, u := range search("q=" + url.QueryEscape("深圳市")) {
			if u.City != "深圳市" {
				t.Errorf("深圳市 matched %s in %s", u.Name, u.City)
			}
		}
		for _, u := range search("q=" + url.QueryEscape("深圳 职业")) {
			if u.City != "深圳市" || !strings.Contains(u.Name, "职业") {
				t.Errorf("深圳 职业 matched %s (%s)", u.Name, u.City)
			}
		}
		if got := search("q=" + url.QueryEscape("华南理工")); len(got) != 1 || got[0].Code != webtest.CodeSCUT {
			t.Fatalf("华南理工: %v", got)
		}
		if got := search("q=" + webtest.CodeSZU); len(got) != 1 || got[0].Name != "深圳大学" {
			t.Fatalf("by code: %v", got)
		}
		if got := search("q=" + url.QueryEscape("深圳") + "&limit=3"); len(got) != 3 {
			t.Fatalf("limit=3: %d results", len(got))
		}
		if got := search("q=nowhere"); len(got) != 0 {
			t.Fatalf("nowhere: %v", got)
		}
		if r := c.Get("/api/v1/universities?q=nowhere"); !strings.Contains(r.Body, `"data":[]`) {
			t.Fatalf("no match should be an empty list: %s", r.Body)
		}
		webtest.WantAPIError(t, c.Get("/api/v1/universities?q="+url.QueryEscape(strings.Repeat("深", 101))), http.StatusBadRequest, "query_too_long", "q")

		entries := c.Get("/api/v1/entries")
		webtest.WantStatus(t, entries, http.StatusOK)
		var es struct {
			Data []struct {
				Key, Name, Kind string
				Enabled         bool
			}
		}
		entries.Decode(t, &es)
		if len(es.Data) != 3 || es.Data[0].Key != "gaoxiao" || !es.Data[0].Enabled || es.Data[1].Enabled {
			t.Fatalf("entries %+v", es.Data)
		}
	})
}

// TestOpenAPIListsEveryRoute keeps the published document honest: every
// route under /api/v1 is documented with its method, and the document
// describes no route that does not exist.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{})
	r := s.Browser("").Get("/api/v1/openapi.yaml")
	webtest.WantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "yaml") {
		t.Fatalf("Content-Type %q", ct)
	}
	var doc struct {
		OpenAPI string `yaml:"openapi"`
		Servers []struct {
			URL string `yaml:"url"`
		} `yaml:"servers"`
		Paths map[string]map[string]struct {
			Summary   string         `yaml:"summary"`
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("openapi.yaml does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
		t.Fatalf("openapi %q servers %v", doc.OpenAPI, doc.Servers)
	}

	registered := map[string]bool{}
	for _, rt := range s.Router.Routes() {
		p, ok := strings.CutPrefix(rt.Path, "/api/v1")
		if !ok || (p != "" && !strings.HasPrefix(p, "/")) {
			continue
		}
		// gin's :param is OpenAPI's {param}.
		segs := strings.Split(p, "/")
		for i, seg := range segs {
			if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
				segs[i] = "{" + seg[1:] + "}"
			}
		}
		registered[strings.ToLower(rt.Method)+" "+strings.Join(segs, "/")] = true
	}
	if len(registered) < 9 {
		t.Fatalf("only %d API routes found: %v", len(registered), registered)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for method, op := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
			default:
				continue // parameters, summary …
			}
			documented[method+" "+p] = true
			if op.Summary == "" || len(op.Responses) == 0 {
				t.Errorf("%s %s: no summary or responses", method, p)
			}
		}
	}
	var missing, extra []string
	for k := range registered {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.yaml: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.yaml documents routes that do not exist: %v", extra)
	}
}
