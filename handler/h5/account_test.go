package h5_test

// Tests of the H5 pages (/h5): the activate-and-bind flow of the notice's
// 附件2 as a user meets it, through the real router, with WeChat's API
// played by one wxfake server for the whole test binary.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
)

func countUsers(t *testing.T, db *model.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Conn(context.Background()).Model(&model.User{}).Count(&n).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

// --- a browser ---------------------------------------------------------------

// --- reading pages -------------------------------------------------------------

// --- tests -----------------------------------------------------------------------

func TestH5HomeSendsVisitorsToSignIn(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		sandbox := webtest.New(t, db, store, webtest.Opts{})

		t.Run("plain browser goes to the login page", func(t *testing.T) {
			r := sandbox.Browser(webtest.UAPlain).Get("/h5/home")
			webtest.WantRedirect(t, r, http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
			login := sandbox.Browser(webtest.UAPlain).Get(r.Location)
			webtest.WantStatus(t, login, http.StatusOK)
			webtest.WantBody(t, login, `id="login-submit"`, `name="next" value="/h5/home"`, "激活新账号")
		})

		t.Run("WeChat goes through sandbox OAuth", func(t *testing.T) {
			r := sandbox.Browser(webtest.UAWeChat).Get("/h5/home")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, web.SandboxOAuthPath+"?") {
				t.Fatalf("HTTP %d to %q, want 302 to %s", r.Status, r.Location, web.SandboxOAuthPath)
			}
			u, _ := url.Parse(r.Location)
			q := u.Query()
			if q.Get("appid") != sandbox.AppID || q.Get("scope") != "snsapi_base" || q.Get("redirect_uri") != "/h5/oauth/callback" || len(q.Get("state")) < 16 {
				t.Fatalf("authorize query %v", q)
			}
		})

		t.Run("the sandbox phone's cookie counts as WeChat", func(t *testing.T) {
			c := sandbox.Browser(webtest.UAPlain)
			c.Cookies["yv_sbx_wx"] = "1"
			r := c.Get("/h5/home")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, web.SandboxOAuthPath+"?") {
				t.Fatalf("HTTP %d to %q, want 302 to sandbox OAuth", r.Status, r.Location)
			}
		})

		realMode := webtest.New(t, db, store, webtest.Opts{Real: true, PublicURL: "https://yv.example.org"})
		t.Run("WeChat goes to WeChat's authorize page in real mode", func(t *testing.T) {
			c := realMode.Browser(webtest.UAWeChat)
			r := c.Get("/h5/home")
			want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + realMode.AppID +
				"&redirect_uri=" + url.QueryEscape("https://yv.example.org/h5/oauth/callback") +
				"&response_type=code&scope=snsapi_base&state="
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, want) || !strings.HasSuffix(r.Location, "#wechat_redirect") {
				t.Fatalf("HTTP %d to\n%q\nwant 302 to\n%q…#wechat_redirect", r.Status, r.Location, want)
			}
			state := webtest.StateOf(t, r)
			// The state comes back with WeChat's code, in the same browser,
			// and is accepted.
			code := webtest.Fake().IssueCode(realMode.AppID, "oREALUSER0000000000000001")
			cb := c.Get("/h5/oauth/callback?code=" + code + "&state=" + url.QueryEscape(state))
			webtest.WantRedirect(t, cb, http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		})

		t.Run("an authorization begun in another browser signs nobody in", func(t *testing.T) {
			// An attacker begins WeChat authorization in their browser, gets a
			// code for their own WeChat and sends the victim the callback link.
			// Followed, it would sign the victim's browser in as the
			// attacker's WeChat, and the victim's next login would bind the
			// victim's account to it.
			realMode.Activate("victim01", "victim123", webtest.CodeSZU, "")
			attacker := realMode.Browser(webtest.UAWeChat)
			var link string
			for _, ua := range []string{webtest.UAPlain, webtest.UAWeChat} {
				state := webtest.StateOf(t, attacker.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
				link = "/h5/oauth/callback?code=" + webtest.Fake().IssueCode(realMode.AppID, "oATTACKER000000000000000001") + "&state=" + url.QueryEscape(state)
				victim := realMode.Browser(ua)
				r := victim.Get(link)
				webtest.WantStatus(t, r, http.StatusBadRequest)
				webtest.WantBody(t, r, "授权不是在当前浏览器中发起的", "重试")
				if _, ok := victim.Cookies["yv_sess"]; ok {
					t.Fatalf("%s: the link opened a session", ua)
				}
				webtest.WantRedirect(t, victim.Post("/h5/login", url.Values{"account": {"victim01"}, "password": {"victim123"}, "next": {"/h5/home"}}),
					http.StatusSeeOther, "/h5/home")
			}
			if got := webtest.OpenIDOf(realMode.UserByAccount("victim01")); got != "" {
				t.Fatalf("victim01 bound to %q", got)
			}
			// The attacker's state was spent by the refused attempt.
			r := attacker.Get(link)
			webtest.WantStatus(t, r, http.StatusBadRequest)
			webtest.WantBody(t, r, "授权已过期或已使用")
		})

		t.Run("the sandbox cookie means nothing in real mode", func(t *testing.T) {
			c := realMode.Browser(webtest.UAPlain)
			c.Cookies["yv_sbx_wx"] = "1"
			webtest.WantRedirect(t, c.Get("/h5/home"), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
		})

		t.Run("menu pages not built yet need a user too", func(t *testing.T) {
			webtest.WantRedirect(t, sandbox.Browser(webtest.UAPlain).Get("/h5/ask"), http.StatusFound, "/h5/login?next=%2Fh5%2Fask")
		})
	})
}

func TestOAuthCallback(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		ctx := context.Background()

		t.Run("unbound WeChat is sent to activation with next", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			r := c.OAuth("oUNBOUND000000000000000001", "/h5/settings")
			webtest.WantRedirect(t, r, http.StatusFound, "/h5/activate?next=%2Fh5%2Fsettings")
			sessCookie := r.Cookie("yv_sess")
			if sessCookie == nil {
				t.Fatal("no session cookie after OAuth")
			}
			sess, err := s.Sessions.Get(ctx, sessCookie.Value)
			if err != nil || sess.OpenID != "oUNBOUND000000000000000001" || sess.UserID != 0 {
				t.Fatalf("session %+v, %v; want the openid and no user", sess, err)
			}
			// The entry page is shown, not another OAuth round.
			entries := c.Get(r.Location)
			webtest.WantStatus(t, entries, http.StatusOK)
			webtest.WantBody(t, entries, `data-entry="gaoxiao"`, `href="/h5/activate/gaoxiao?next=%2fh5%2fsettings"`)
		})

		t.Run("bound WeChat goes straight to next", func(t *testing.T) {
			u := s.Activate("boundUser01", "secret123", webtest.CodeSZU, "oBOUND00000000000000000001")
			c := s.Browser(webtest.UAWeChat)
			r := c.OAuth("oBOUND00000000000000000001", "/h5/settings")
			webtest.WantRedirect(t, r, http.StatusFound, "/h5/settings")
			sess, err := s.Sessions.Get(ctx, r.Cookie("yv_sess").Value)
			if err != nil || sess.UserID != u.ID {
				t.Fatalf("session %+v, %v; want user %d", sess, err, u.ID)
			}
			page := c.Get("/h5/settings")
			webtest.WantStatus(t, page, http.StatusOK)
			webtest.WantBody(t, page, "boundUser01", "深圳大学", "已绑定")
		})

		retry := func(t *testing.T, r *webtest.Resp, next string) {
			t.Helper()
			webtest.WantStatus(t, r, http.StatusBadRequest)
			webtest.WantBody(t, r, "授权失败", `href="/h5/oauth/start?next=`+url.QueryEscape(next), "重试")
			if r.Cookie("yv_sess") != nil {
				t.Fatalf("a failed authorization set a session cookie")
			}
		}

		t.Run("a reused code is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			code := webtest.Fake().IssueCode(s.AppID, "oREUSE000000000000000000001")
			st1 := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			webtest.WantStatus(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st1), http.StatusFound)
			st2 := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fsettings"))
			r := c.Get("/h5/oauth/callback?code=" + code + "&state=" + st2)
			retry(t, r, "/h5/settings")
			webtest.WantBody(t, r, "微信授权码无效或已使用")
		})

		t.Run("an unknown code is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			st := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			retry(t, c.Get("/h5/oauth/callback?code=nosuchcode&state="+st), "/h5/home")
		})

		t.Run("a missing code is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			st := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			retry(t, c.Get("/h5/oauth/callback?state="+st), "/h5/home")
		})

		t.Run("a code of another app is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			st := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			code := webtest.Fake().IssueCode("wxsomeotherapp0000", "oOTHERAPP00000000000000001")
			retry(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st), "/h5/home")
		})

		t.Run("a wrong state is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			code := webtest.Fake().IssueCode(s.AppID, "oWRONGSTATE0000000000000001")
			r := c.Get("/h5/oauth/callback?code=" + code + "&state=forgedstate0000000000000000000000")
			retry(t, r, "/h5/home")
			webtest.WantBody(t, r, "微信授权已过期或无效")
			retry(t, c.Get("/h5/oauth/callback?code="+code), "/h5/home")
			retry(t, c.Get("/h5/oauth/callback?code="+code+"&state="+strings.Repeat("x", 100)), "/h5/home")
		})

		t.Run("a used state is refused", func(t *testing.T) {
			c := s.Browser(webtest.UAWeChat)
			st := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
			code := webtest.Fake().IssueCode(s.AppID, "oUSEDSTATE00000000000000001")
			webtest.WantStatus(t, c.Get("/h5/oauth/callback?code="+code+"&state="+st), http.StatusFound)
			code2 := webtest.Fake().IssueCode(s.AppID, "oUSEDSTATE00000000000000001")
			retry(t, s.Browser(webtest.UAWeChat).Get("/h5/oauth/callback?code="+code2+"&state="+st), "/h5/home")
		})

		t.Run("the retry link starts over", func(t *testing.T) {
			r := s.Browser(webtest.UAWeChat).Get("/h5/oauth/start?next=%2Fh5%2Fhome")
			if r.Status != http.StatusFound || !strings.HasPrefix(r.Location, web.SandboxOAuthPath) {
				t.Fatalf("retry: HTTP %d to %q", r.Status, r.Location)
			}
		})
	})
}

func TestActivateEntriesPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, c.OAuth("oENTRIES00000000000000000001", "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		r := c.Get("/h5/activate?next=%2Fh5%2Fhome")
		webtest.WantStatus(t, r, http.StatusOK)
		webtest.WantBody(t, r, "选择入口", ">高校<", ">地市<", "暂未开放", `data-entry="gaoxiao"`)
		if strings.Contains(r.Body, `data-entry="dishi"`) {
			t.Fatal("a disabled entry is a link")
		}

		disabled := c.Get("/h5/activate/dishi")
		webtest.WantStatus(t, disabled, http.StatusBadRequest)
		webtest.WantBody(t, disabled, "「地市」入口暂未开放")
		webtest.WantStatus(t, c.Get("/h5/activate/nosuchentry"), http.StatusNotFound)

		// In WeChat without an authorized session the entry page first
		// identifies the WeChat.
		fresh := s.Browser(webtest.UAWeChat).Get("/h5/activate?next=%2Fh5%2Fhome")
		if fresh.Status != http.StatusFound || !strings.HasPrefix(fresh.Location, web.SandboxOAuthPath) {
			t.Fatalf("entry page without OAuth: HTTP %d to %q", fresh.Status, fresh.Location)
		}
		form := s.Browser(webtest.UAWeChat).Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome")
		if form.Status != http.StatusFound || !strings.HasPrefix(form.Location, web.SandboxOAuthPath) {
			t.Fatalf("form without OAuth: HTTP %d to %q", form.Status, form.Location)
		}
	})
}

func TestActivateNewUserThroughForm(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		const openid = "oNEWUSER000000000000000001"
		c := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, c.OAuth(openid, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		form := c.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fhome")
		webtest.WantStatus(t, form, http.StatusOK)
		webtest.WantBody(t, form, "高校激活", `id="activate-submit"`, `id="university-search"`, "深圳大学（深圳市）", `name="mode" value="new"`)
		tok := webtest.PageCSRF(t, form)

		f := webtest.ActivationForm("Student2026", "pass2026", "pass2026", webtest.CodeSZU, "/h5/home")
		f.Set("_csrf", tok)
		r := c.Post("/h5/activate/gaoxiao", f)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/home?notice=activated")

		home := c.Get(r.Location)
		webtest.WantStatus(t, home, http.StatusOK)
		webtest.WantBody(t, home, "激活成功", `id="profile-name">Student2026<`, "深圳大学 · 深圳市", "青年学生")

		u := s.UserByAccount("student2026")
		if webtest.OpenIDOf(u) != openid || u.EntryKey != "gaoxiao" || u.ActivatedAt == nil || u.BoundAt == nil {
			t.Fatalf("stored user %+v: want bound to %s, entry gaoxiao, activated", u, openid)
		}
		// The WeChat now signs in by itself.
		again := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, again.OAuth(openid, "/h5/home"), http.StatusFound, "/h5/home")
		webtest.WantBody(t, again.Get("/h5/home"), "Student2026")

		// A name, when given, is what the home page greets.
		c2 := s.Browser(webtest.UAWeChat)
		c2.OAuth("oNEWUSER000000000000000002", "/h5/home")
		f = webtest.ActivationForm("named2026", "pass2026", "pass2026", webtest.CodeSCUT, "/h5/settings")
		f.Set("name", "李青")
		webtest.WantRedirect(t, c2.Post("/h5/activate/gaoxiao", f), http.StatusSeeOther, "/h5/settings")
		webtest.WantBody(t, c2.Get("/h5/home"), `id="profile-name">李青<`, "华南理工大学 · 广州市", "账号 named2026")

		// Outside WeChat the account is created without a binding.
		p := s.Browser(webtest.UAPlain)
		entryPage := p.Get("/h5/activate/gaoxiao")
		webtest.WantStatus(t, entryPage, http.StatusOK)
		webtest.WantBody(t, entryPage, "当前不在微信中打开")
		webtest.WantRedirect(t, p.Post("/h5/activate/gaoxiao", webtest.ActivationForm("desktop2026", "pass2026", "pass2026", webtest.CodeSZU, "")),
			http.StatusSeeOther, "/h5/home?notice=activated")
		if u := s.UserByAccount("desktop2026"); u.OpenID != nil {
			t.Fatalf("a desktop activation bound WeChat %s", *u.OpenID)
		}
		webtest.WantBody(t, p.Get("/h5/home"), "desktop2026")
	})
}

func TestActivateFormErrorsKeepInput(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		s.Activate("takenAcct1", "secret123", webtest.CodeSZU, "")

		c := s.Browser(webtest.UAWeChat)
		c.OAuth("oFORMERRORS000000000000001", "/h5/home")

		cases := []struct {
			name, acct, password, confirm, uni string
			status                             int
			field, msg                         string
		}{
			{"five characters", "abc12", "pass2026", "pass2026", webtest.CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"symbols", "abc_12!", "pass2026", "pass2026", webtest.CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"Chinese", "青年之声账号", "pass2026", "pass2026", webtest.CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
			{"empty account", "", "pass2026", "pass2026", webtest.CodeSZU, 400, "account", "请输入账号"},
			{"short password", "goodacct1", "pw1", "pw1", webtest.CodeSZU, 400, "password", "密码须为 6–32 位英文字母或数字"},
			{"password with symbols", "goodacct1", "pass-2026", "pass-2026", webtest.CodeSZU, 400, "password", "密码须为 6–32 位英文字母或数字"},
			{"confirm differs", "goodacct1", "pass2026", "pass2027", webtest.CodeSZU, 400, "confirm", "两次输入的密码不一致"},
			{"no university", "goodacct1", "pass2026", "pass2026", "", 400, "university", "请选择学校"},
			{"unknown university", "goodacct1", "pass2026", "pass2026", "9999999999", 400, "university", "所选学校不存在，请重新选择"},
			{"taken account", "takenAcct1", "pass2026", "pass2026", webtest.CodeSCUT, 409, "account", "账号已被占用"},
			{"taken account in other case", "TAKENACCT1", "pass2026", "pass2026", webtest.CodeSCUT, 409, "account", "账号已被占用"},
			{"too long", strings.Repeat("a", 65), "pass2026", "pass2026", webtest.CodeSZU, 400, "account", "账号须为 6–32 位英文字母或数字"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := c.Post("/h5/activate/gaoxiao", webtest.ActivationForm(tc.acct, tc.password, tc.confirm, tc.uni, "/h5/home"))
				webtest.WantStatus(t, r, tc.status)
				webtest.WantBody(t, r, `id="form-error"`, tc.msg, `id="activate-submit"`)
				if tc.field != "" {
					if got := webtest.FieldError(r.Body, tc.field); got != tc.msg {
						t.Fatalf("error next to %s: %q, want %q\n%s", tc.field, got, tc.msg, r.Body)
					}
				}
				// What the user typed is kept …
				if v, _ := webtest.InputValue(r.Body, "account"); v != tc.acct {
					t.Fatalf("account field shows %q, want what was typed (%q)", v, tc.acct)
				}
				if got := webtest.SelectedUniversity(r.Body); got != tc.uni && tc.uni != "9999999999" {
					t.Fatalf("selected university %q, want %q", got, tc.uni)
				}
				// … except the passwords.
				for _, id := range []string{"password", "confirm"} {
					if v, ok := webtest.InputValue(r.Body, id); !ok || v != "" {
						t.Fatalf("%s field: present %v, value %q; want an empty field", id, ok, v)
					}
				}
				if len(tc.password) >= 6 && strings.Contains(r.Body, tc.password) {
					t.Fatalf("the page echoes the password")
				}
				webtest.WantBody(t, r, `name="next" value="/h5/home"`, `name="mode" value="new"`)
			})
		}
		if n := countUsers(t, s.DB); n != 1 {
			t.Fatalf("%d users after only failed activations, want 1", n)
		}
	})
}

func TestActivateOldUserBindsWeChat(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		const first, second = "oOLDFIRST00000000000000001", "oOLDSECOND0000000000000001"
		s.Activate("veteran01", "oldpass1", webtest.CodeSZU, first)

		// The first WeChat is signed in.
		one := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, one.OAuth(first, "/h5/home"), http.StatusFound, "/h5/home")
		webtest.WantBody(t, one.Get("/h5/home"), "veteran01")

		// A second WeChat logs in to the account (老用户登录).
		two := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, two.OAuth(second, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		form := two.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome")
		webtest.WantStatus(t, form, http.StatusOK)
		webtest.WantBody(t, form, `name="mode" value="old"`, `class="tab active" id="tab-old"`, "原有账号")
		if strings.Contains(form.Body, `id="confirm"`) {
			t.Fatal("the old-user form asks to confirm the password")
		}

		wrong := two.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"veteran01"}, "password": {"wrongpass1"}, "next": {"/h5/home"}})
		webtest.WantStatus(t, wrong, http.StatusUnauthorized)
		if got := webtest.FieldError(wrong.Body, "password"); got != "账号或密码错误" {
			t.Fatalf("wrong password: field error %q\n%s", got, wrong.Body)
		}
		if v, _ := webtest.InputValue(wrong.Body, "account"); v != "veteran01" {
			t.Fatalf("account not kept: %q", v)
		}
		webtest.WantBody(t, wrong, `name="mode" value="old"`)

		ok := two.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"VETERAN01"}, "password": {"oldpass1"}, "next": {"/h5/home"}})
		webtest.WantRedirect(t, ok, http.StatusSeeOther, "/h5/home?notice=activated")
		webtest.WantBody(t, two.Get("/h5/home"), "veteran01", "深圳大学")
		if u := s.UserByAccount("veteran01"); webtest.OpenIDOf(u) != second {
			t.Fatalf("account bound to %q, want the second WeChat", webtest.OpenIDOf(u))
		}

		// One account, one WeChat: the first WeChat no longer signs in …
		r := one.Get("/h5/home")
		webtest.WantRedirect(t, r, http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		webtest.WantStatus(t, one.Get("/api/v1/me"), http.StatusUnauthorized)
		// … and its next authorization leads to activation.
		webtest.WantRedirect(t, s.Browser(webtest.UAWeChat).OAuth(first, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		// An imported account without a university picks one when activating.
		imported := model.User{Account: "import001", AccountKey: "import001", Role: model.RoleStudent, Source: "import",
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		imported.PasswordHash = s.UserByAccount("veteran01").PasswordHash // "oldpass1"
		if err := s.DB.Conn(context.Background()).Create(&imported).Error; err != nil {
			t.Fatal(err)
		}
		three := s.Browser(webtest.UAWeChat)
		three.OAuth("oOLDTHIRD00000000000000001", "/h5/home")
		need := three.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"import001"}, "password": {"oldpass1"}})
		webtest.WantStatus(t, need, http.StatusBadRequest)
		if got := webtest.FieldError(need.Body, "university"); got != "请选择学校" {
			t.Fatalf("imported account without university: %q", got)
		}
		webtest.WantRedirect(t, three.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"import001"}, "password": {"oldpass1"}, "university": {webtest.CodeSCUT}}),
			http.StatusSeeOther, "/h5/home?notice=activated")
		got := s.UserByAccount("import001")
		if webtest.OpenIDOf(got) != "oOLDTHIRD00000000000000001" || got.UniversityID == nil || got.EntryKey != "gaoxiao" || got.ActivatedAt == nil {
			t.Fatalf("imported account after activation: %+v", got)
		}
	})
}

// A WeChat bound to one account cannot be used to log into another: the
// form is not offered (as the entry page is not), and submitting it anyway
// is refused with what to do, leaving the other account's binding alone.
func TestBoundWeChatDoesNotTakeOverAnotherAccount(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		const mine, theirs = "oBOUNDMINE0000000000000001", "oBOUNDTHEIRS00000000000001"
		s.Activate("boundMine01", "mypass01", webtest.CodeSZU, mine)
		s.Activate("cadreOther1", "herpass1", webtest.CodeSZU, theirs)

		c := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, c.OAuth(mine, "/h5/home"), http.StatusFound, "/h5/home")
		webtest.WantRedirect(t, c.Get("/h5/activate?next=%2Fh5%2Fhome"), http.StatusFound, "/h5/home")
		webtest.WantRedirect(t, c.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome"), http.StatusFound, "/h5/home")
		webtest.WantRedirect(t, c.Get("/h5/activate/gaoxiao?next=%2Fh5%2Fask"), http.StatusFound, "/h5/ask")

		// Posting the old-user form anyway.
		r := c.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, `id="form-error"`, "该微信已绑定账号 boundMine01，请先在「设置」中解除绑定")
		// Nor a new account, nor the JSON API, nor the login page.
		webtest.WantStatus(t, c.Post("/h5/activate/gaoxiao", webtest.ActivationForm("another01", "pass2026", "pass2026", webtest.CodeSZU, "/h5/home")), http.StatusConflict)
		webtest.WantAPIError(t, c.API(http.MethodPost, "/api/v1/entries/gaoxiao/activate", map[string]string{"mode": "old", "account": "cadreOther1", "password": "herpass1"}),
			http.StatusConflict, "wechat_bound", "")
		webtest.WantStatus(t, c.Post("/h5/login", url.Values{"account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}}), http.StatusConflict)

		if got := webtest.OpenIDOf(s.UserByAccount("cadreOther1")); got != theirs {
			t.Fatalf("the other account is bound to %q, want its own WeChat", got)
		}
		if got := webtest.OpenIDOf(s.UserByAccount("boundMine01")); got != mine {
			t.Fatalf("this WeChat's account is bound to %q", got)
		}
		if n := countUsers(t, s.DB); n != 2 {
			t.Fatalf("%d users, want 2", n)
		}
		webtest.WantBody(t, c.Get("/h5/home"), "boundMine01")

		// After 设置 → 解除微信绑定 the WeChat may log into the other account
		// (which moves that account's binding here).
		settings := c.Get("/h5/settings")
		webtest.WantStatus(t, c.Post("/h5/settings/unbind", url.Values{"_csrf": {webtest.PageCSRF(t, settings)}}), http.StatusSeeOther)
		again := s.Browser(webtest.UAWeChat)
		webtest.WantRedirect(t, again.OAuth(mine, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		webtest.WantStatus(t, again.Get("/h5/activate/gaoxiao?mode=old&next=%2Fh5%2Fhome"), http.StatusOK)
		webtest.WantRedirect(t, again.Post("/h5/activate/gaoxiao", url.Values{"mode": {"old"}, "account": {"cadreOther1"}, "password": {"herpass1"}, "next": {"/h5/home"}}),
			http.StatusSeeOther, "/h5/home?notice=activated")
		if got := webtest.OpenIDOf(s.UserByAccount("cadreOther1")); got != mine {
			t.Fatalf("after unbinding, the other account is bound to %q, want this WeChat", got)
		}
	})
}

func TestLoginPage(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		s.Activate("loginUser1", "rightpass1", webtest.CodeSZU, "")
		c := s.Browser(webtest.UAPlain)

		r := c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"wrongpass1"}, "next": {"/h5/settings"}})
		webtest.WantStatus(t, r, http.StatusUnauthorized)
		webtest.WantBody(t, r, `id="form-error"`, "账号或密码错误", `name="next" value="/h5/settings"`)
		if v, _ := webtest.InputValue(r.Body, "account"); v != "loginUser1" {
			t.Fatalf("account not kept: %q", v)
		}
		if strings.Contains(r.Body, "wrongpass1") {
			t.Fatal("the login page echoes the password")
		}
		// Unknown accounts get the same answer.
		r = c.Post("/h5/login", url.Values{"account": {"nosuchuser"}, "password": {"wrongpass1"}})
		webtest.WantStatus(t, r, http.StatusUnauthorized)
		webtest.WantBody(t, r, "账号或密码错误")
		r = c.Post("/h5/login", url.Values{"account": {""}, "password": {""}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if webtest.FieldError(r.Body, "account") != "请输入账号" || webtest.FieldError(r.Body, "password") != "请输入密码" {
			t.Fatalf("empty login:\n%s", r.Body)
		}

		// Throttled after five failures, even with the right password.
		var last *webtest.Resp
		for i := 0; i < 4; i++ {
			last = c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"wrongpass1"}})
		}
		webtest.WantStatus(t, last, http.StatusTooManyRequests)
		r = c.Post("/h5/login", url.Values{"account": {"loginUser1"}, "password": {"rightpass1"}})
		webtest.WantStatus(t, r, http.StatusTooManyRequests)
		webtest.WantBody(t, r, "登录失败次数过多，请 15 分钟后再试")
		if r.Cookie("yv_sess") != nil {
			t.Fatal("a throttled login set a session")
		}

		// A signed-in visitor skips the login page. (The test client's IP is
		// throttled now, so this runs on a stack with a fresh store.)
		s.Activate("loginUser2", "rightpass2", webtest.CodeSZU, "")
		s2 := webtest.New(t, db, kvtest.Memory(t, nil), webtest.Opts{})
		p := s2.Browser(webtest.UAPlain)
		webtest.WantRedirect(t, p.Post("/h5/login", url.Values{"account": {"loginUser2"}, "password": {"rightpass2"}, "next": {"/h5/settings"}}),
			http.StatusSeeOther, "/h5/settings")
		webtest.WantRedirect(t, p.Get("/h5/login?next=%2Fh5%2Fsettings"), http.StatusFound, "/h5/settings")
	})
}

func TestSettingsUnbind(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		const openid = "oSETTINGS00000000000000001"
		c := s.Browser(webtest.UAWeChat)
		c.OAuth(openid, "/h5/home")
		webtest.WantStatus(t, c.Post("/h5/activate/gaoxiao", webtest.ActivationForm("settings01", "pass2026", "pass2026", webtest.CodeSZU, "/h5/settings")), http.StatusSeeOther)

		page := c.Get("/h5/settings")
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "settings01", "深圳大学", "已绑定 oSET…0001", `id="unbind"`, `id="logout"`)

		r := c.Post("/h5/settings/unbind", nil)
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/settings?notice=unbound")
		after := c.Get(r.Location)
		webtest.WantStatus(t, after, http.StatusOK)
		webtest.WantBody(t, after, "已解除微信绑定", `id="binding">未绑定<`)
		if strings.Contains(after.Body, `id="unbind"`) {
			t.Fatal("the unbind button is still offered")
		}
		if u := s.UserByAccount("settings01"); u.OpenID != nil || u.BoundAt != nil {
			t.Fatalf("still bound: %+v", u)
		}
		// Unbinding twice is refused politely.
		twice := c.Post("/h5/settings/unbind", nil)
		webtest.WantStatus(t, twice, http.StatusBadRequest)
		webtest.WantBody(t, twice, "当前账号没有绑定微信")

		// The next visit from that WeChat goes to activation.
		webtest.WantRedirect(t, s.Browser(webtest.UAWeChat).OAuth(openid, "/h5/home"), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")

		// Settings need a user.
		webtest.WantRedirect(t, s.Browser(webtest.UAPlain).Get("/h5/settings"), http.StatusFound, "/h5/login?next=%2Fh5%2Fsettings")
		// A form post cannot be replayed as a GET after login.
		webtest.WantRedirect(t, s.Browser(webtest.UAPlain).Post("/h5/settings/unbind", nil), http.StatusFound, "/h5/login?next=%2Fh5%2Fhome")
	})
}
