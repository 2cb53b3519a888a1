package h5_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/kv"
)

// The asker's login name "xiaoming2026" is never shown to the classmates,
// the cadre or the station staff who see the question and the booking,
// on a page or in the API: they see 某某同学 until the student chooses a
// display name, then that name.
func TestOthersNeverSeeTheAccountName(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s, clk := stationStack(t, db, store)
		admin := s.Member("padm", webtest.CodeSZU, model.RoleUniversityAdm)
		staff := s.Member("pstf", webtest.CodeSZU, model.RoleStudent)
		cadre := s.Member("pcad", webtest.CodeSZU, model.RoleCadre)
		mate := s.Member("pmat", webtest.CodeSZU, model.RoleStudent)
		openStation(s, admin, 0)
		addMember(s, admin, staff, model.CategoryLead, time.Wednesday)
		const openid = "oXIAOMING2026000000000000001"
		me := webtest.Person{User: s.Activate("xiaoming2026", "secret123", webtest.CodeSZU, openid), OpenID: openid}
		mine := s.Phone(me)

		var q struct {
			ID        uint64 `json:"id"`
			AskerName string `json:"asker_name"`
		}
		webtest.WantData(t, mine.API(http.MethodPost, "/api/v1/questions", map[string]any{"title": "补考报名在哪里"}), http.StatusCreated, &q)
		if q.AskerName != model.DefaultDisplayName {
			t.Fatalf("asker_name = %q, want the default %s", q.AskerName, model.DefaultDisplayName)
		}
		qid := strconv.FormatUint(q.ID, 10)
		cadreC, mateC, staffC := s.Phone(cadre), s.Phone(mate), s.Phone(staff)
		webtest.WantStatus(t, cadreC.API(http.MethodPost, "/api/v1/questions/"+qid+"/answers", map[string]string{"body": "教务系统里报名"}), http.StatusCreated)
		webtest.WantStatus(t, mine.API(http.MethodPost, "/api/v1/questions/"+qid+"/followups", map[string]string{"body": "哪个菜单？"}), http.StatusCreated)
		booking := bookOn(t, mine, url.Values{"service": {"学业辅导"}, "slot": {slotValue(clk.Now().Add(time.Hour))},
			"phone": {"13912345678"}, "description": {"想咨询补考"}})
		bid := strings.TrimPrefix(booking, "/h5/bookings/")

		views := func(want string) {
			t.Helper()
			type view struct {
				who  string
				c    *webtest.Client
				path string
				api  bool
			}
			var vs []view
			for _, v := range []struct {
				who string
				c   *webtest.Client
			}{{"classmate", mateC}, {"cadre", cadreC}, {"station staff", staffC}} {
				vs = append(vs,
					view{v.who, v.c, "/h5/questions/" + qid, false},
					view{v.who, v.c, "/h5/boards/u-" + webtest.CodeSZU, false},
					view{v.who, v.c, "/api/v1/questions/" + qid, true},
					view{v.who, v.c, "/api/v1/boards/u-" + webtest.CodeSZU + "/questions", true})
			}
			vs = append(vs,
				view{"station staff", staffC, booking, false},
				view{"station staff", staffC, "/h5/station", false},
				view{"station staff", staffC, "/api/v1/bookings/" + bid, true},
				view{"station staff", staffC, "/api/v1/stations/" + webtest.CodeSZU + "/bookings", true})
			for _, v := range vs {
				var r *webtest.Resp
				if v.api {
					r = v.c.API(http.MethodGet, v.path, nil)
				} else {
					r = v.c.Get(v.path)
				}
				if r.Status != http.StatusOK {
					t.Fatalf("%s GET %s: HTTP %d\n%s", v.who, v.path, r.Status, r.Body)
				}
				if strings.Contains(strings.ToLower(r.Body), "xiaoming2026") {
					t.Errorf("%s sees the account name at %s", v.who, v.path)
				}
				if !strings.Contains(r.Body, want) {
					t.Errorf("%s does not see %q at %s", v.who, want, v.path)
				}
			}
		}
		views(model.DefaultDisplayName)

		// The student chooses a name in 设置; everyone sees it from then on.
		r := mine.Post("/h5/settings/display-name", url.Values{"display_name": {"  小明同学 "}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/settings?notice=display_name")
		r = mine.Get("/h5/settings?notice=display_name")
		webtest.WantBody(t, r, "显示名称已保存", `id="display-name">小明同学<`, "xiaoming2026") // one's own account is shown to oneself
		// Board pages are cached for up to 2 s (question.pageCache), names
		// included: a new name shows there within that.
		time.Sleep(2100 * time.Millisecond)
		views("小明同学")

		// The alert the station got and the cadre's new-question alert
		// carry no account name either.
		s.Deliver()
		for _, p := range []webtest.Person{staff, cadre, admin} {
			for _, m := range webtest.Inbox(t, p.OpenID) {
				for k, v := range m.Data {
					if strings.Contains(strings.ToLower(v.Value), "xiaoming2026") {
						t.Errorf("alert %s to %s shows the account name in %s", m.TemplateID, p.User.Account, k)
					}
				}
			}
		}
	})
}

// 设置 → 显示名称, 导出我的数据 and 注销账号 as pages: errors at the field
// in Chinese with the input kept, a rate-limited export explained on a
// page, and 注销 confirmed by typing it, refused to a cadre, then the
// person is signed out for good.
func TestSettingsPrivacyPages(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		stu := s.Member("sprv", webtest.CodeSZU, model.RoleStudent)
		cad := s.Member("scad", webtest.CodeSZU, model.RoleCadre)
		c := s.Phone(stu)

		r := c.Get("/h5/settings")
		webtest.WantBody(t, r, `id="display-name">`+model.DefaultDisplayName+"<", "不要填写手机号", `href="/h5/settings/export"`, `href="/h5/settings/close"`)
		r = c.Post("/h5/settings/display-name", url.Values{"display_name": {"小明13800138000"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "display_name"); !strings.Contains(got, "手机号") {
			t.Fatalf("field error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "display_name"); v != "小明13800138000" {
			t.Fatalf("input shows %q after the error", v)
		}

		r = c.Get("/h5/settings/export")
		webtest.WantStatus(t, r, http.StatusOK)
		if r.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(r.Body, "PK") {
			t.Fatalf("export: %s %q", r.Header.Get("Content-Type"), r.Body[:min(40, len(r.Body))])
		}
		r = c.Get("/h5/settings/export")
		webtest.WantStatus(t, r, http.StatusTooManyRequests)
		webtest.WantBody(t, r, "每分钟只能导出一次")

		r = c.Get("/h5/settings/close")
		webtest.WantBody(t, r, "注销后无法恢复", "已注销用户", "统计数据不变", `id="confirm"`)
		r = c.Post("/h5/settings/close", url.Values{"confirm": {"确定"}})
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "confirm"); !strings.Contains(got, "注销") {
			t.Fatalf("confirm error %q", got)
		}
		r = s.Phone(cad).Post("/h5/settings/close", url.Values{"confirm": {"注销"}})
		webtest.WantStatus(t, r, http.StatusConflict)
		webtest.WantBody(t, r, "团学干部", "交接")

		r = c.Post("/h5/settings/close", url.Values{"confirm": {"注销"}})
		webtest.WantRedirect(t, r, http.StatusSeeOther, "/h5/login?notice=closed")
		webtest.WantBody(t, c.Get("/h5/login?notice=closed"), "账号已注销")
		if r := c.Get("/h5/settings"); r.Status == http.StatusOK {
			t.Fatal("still signed in after 注销")
		}
		// The WeChat comes back as a stranger: 主页 asks to activate.
		r = s.Browser(webtest.UAWeChat).OAuth(stu.OpenID, "/h5/home")
		if u, err := s.Accounts.UserByOpenID(context.Background(), stu.OpenID); err == nil {
			t.Fatalf("the WeChat still finds account %d (%d → %s)", u.ID, r.Status, r.Location)
		}
	})
}

// Activation takes an optional display name with a hint; a bad one is
// refused at the field and the rest of the form is kept.
func TestActivationDisplayName(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)
		r := c.Get("/h5/activate/gaoxiao")
		webtest.WantBody(t, r, `name="display_name"`, "其他同学和老师看到的名字", "默认「某某同学」")
		f := webtest.ActivationForm("dispname01", "secret123", "secret123", webtest.CodeSZU, "")
		f.Set("display_name", "代考找我")
		r = c.Post("/h5/activate/gaoxiao", f)
		webtest.WantStatus(t, r, http.StatusBadRequest)
		if got := webtest.FieldError(r.Body, "display_name"); !strings.Contains(got, "不适宜") {
			t.Fatalf("field error %q", got)
		}
		if v, _ := webtest.InputValue(r.Body, "account"); v != "dispname01" {
			t.Fatalf("account input %q after the error", v)
		}
		f.Set("display_name", "阿明")
		r = c.Post("/h5/activate/gaoxiao", f)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("activate: HTTP %d\n%s", r.Status, r.Body)
		}
		if u := s.UserByAccount("dispname01"); u.DisplayName() != "阿明" {
			t.Fatalf("display name %q", u.DisplayName())
		}
	})
}
