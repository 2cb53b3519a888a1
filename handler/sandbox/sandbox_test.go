package sandbox_test

// Tests of the sandbox: the embedded default's stand-in for WeChat itself
// (test identities, a phone that follows the account and chats through the
// real signed callback, the OAuth consent step and the template inbox).

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/handler/internal/webtest"
	"github.com/gdyouth/youthvoice/handler/sandbox"
	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// newIdentity creates a sandbox identity through the console and returns
// its openid.
func newIdentity(c *webtest.Client, nickname string) string {
	c.T.Helper()
	r := c.Post("/sandbox/identities", url.Values{"nickname": {nickname}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/sandbox/phone?openid=") {
		c.T.Fatalf("create identity: HTTP %d to %q\n%s", r.Status, r.Location, r.Body)
	}
	u, _ := url.Parse(r.Location)
	openid := u.Query().Get("openid")
	if !strings.HasPrefix(openid, "oSBX") || len(openid) != 28 {
		c.T.Fatalf("identity openid %q", openid)
	}
	return openid
}

// phoneSend posts a phone action (关注, a menu tap, a message).
func phoneSend(c *webtest.Client, openid string, form url.Values) *webtest.Resp {
	c.T.Helper()
	f := url.Values{"openid": {openid}}
	for k, v := range form {
		f[k] = v
	}
	return c.Post("/sandbox/phone/send", f)
}

func TestSandboxFollowAndWelcome(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)

		console := c.Get("/sandbox")
		webtest.WantStatus(t, console, http.StatusOK)
		webtest.WantBody(t, console, "沙箱控制台", "还没有测试身份", `id="create-identity"`, "沙箱模式 · 未连接真实微信")

		openid := newIdentity(c, "小明")
		raw, err := os.ReadFile(filepath.Join(s.DataDir, "sandbox_identities.json"))
		if err != nil || !strings.Contains(string(raw), openid) || !strings.Contains(string(raw), "小明") {
			t.Fatalf("identity not saved: %v %s", err, raw)
		}
		webtest.WantBody(t, c.Get("/sandbox"), "小明", "/sandbox/phone?openid="+openid, "/sandbox/inbox?openid="+openid)

		phone := c.Get("/sandbox/phone?openid=" + openid)
		webtest.WantStatus(t, phone, http.StatusOK)
		if ck := phone.Cookie("yv_sbx_wx"); ck == nil || ck.Value != "1" || !ck.HttpOnly {
			t.Fatalf("the phone page did not mark the browser as inside WeChat: %+v", ck)
		}
		webtest.WantBody(t, phone, "小明", openid, "点击「关注」开始", `id="follow"`, `data-menu="主页"`, `<summary>青年之声</summary>`)

		// 关注: a signed subscribe event goes to the real callback; the
		// welcome reply shows on the phone.
		webtest.WantRedirect(t, phoneSend(c, openid, url.Values{"action": {"subscribe"}}), http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(openid))
		phone = c.Get("/sandbox/phone?openid=" + openid)
		webtest.WantBody(t, phone, "关注了公众号", "欢迎关注广东青年之声！", "点右上角「激活」", `<a href="/h5/home">立即进入主页</a>`)
		if strings.Contains(phone.Body, "推送失败") {
			t.Fatalf("push failed:\n%s", phone.Body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			var f model.Follower
			err := db.Conn(context.Background()).Where("openid = ?", openid).Take(&f).Error
			if err == nil && f.Subscribed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no subscribed follower row for %s: %v", openid, err)
			}
			time.Sleep(10 * time.Millisecond)
		}

		// The welcome link leads into the activation flow.
		m := regexp.MustCompile(`<div class="bubble reply">[\s\S]*?<a href="([^"]+)">立即进入主页</a>`).FindStringSubmatch(phone.Body)
		if m == nil {
			t.Fatalf("no link in the welcome reply:\n%s", phone.Body)
		}
		home := c.Get(m[1])
		if home.Status != http.StatusFound || !strings.HasPrefix(home.Location, web.SandboxOAuthPath+"?") {
			t.Fatalf("welcome link %s: HTTP %d to %q, want sandbox OAuth", m[1], home.Status, home.Location)
		}
		authorize := c.Get(home.Location)
		webtest.WantStatus(t, authorize, http.StatusOK)
		webtest.WantBody(t, authorize, "微信授权（沙箱）", "小明", `data-openid="`+openid+`"`)
		q, _ := url.Parse(home.Location)
		cb := c.Post(web.SandboxOAuthPath, url.Values{"openid": {openid},
			"redirect_uri": {q.Query().Get("redirect_uri")}, "state": {q.Query().Get("state")}})
		if cb.Status != http.StatusFound || !strings.HasPrefix(cb.Location, "/h5/oauth/callback?code=") {
			t.Fatalf("authorize: HTTP %d to %q", cb.Status, cb.Location)
		}
		webtest.WantRedirect(t, c.Get(cb.Location), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		webtest.WantBody(t, c.Get("/h5/activate?next=%2Fh5%2Fhome"), "选择入口", `data-entry="gaoxiao"`)

		// 青年之声 → 主页 (a VIEW button) opens the page.
		var viewURL string
		for _, b := range regexp.MustCompile(`name="key" value="([^"]+)"`).FindAllStringSubmatch(phone.Body, -1) {
			if strings.HasSuffix(b[1], "/h5/home") {
				viewURL = b[1]
			}
		}
		if viewURL != s.PublicURL+"/h5/home" {
			t.Fatalf("主页 button links to %q, want %s/h5/home", viewURL, s.PublicURL)
		}
		webtest.WantRedirect(t, phoneSend(c, openid, url.Values{"action": {"view"}, "key": {viewURL}}), http.StatusSeeOther, "/h5/home")
		// A link that is not one of our pages is not followed (the form's
		// key is the client's to choose: no open redirect).
		for _, external := range []string{"https://evil.example/phish", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
			webtest.WantRedirect(t, phoneSend(c, openid, url.Values{"action": {"view"}, "key": {external}}),
				http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(openid))
		}
		webtest.WantBody(t, c.Get("/sandbox/phone?openid="+openid), "沙盒只打开本站页面，不打开站外链接：https://evil.example/phish")

		// Messages and clicks get their replies.
		phoneSend(c, openid, url.Values{"action": {"text"}, "text": {"帮助"}})
		phoneSend(c, openid, url.Values{"action": {"click"}, "key": {"HELP_CONTACT"}})
		phone = c.Get("/sandbox/phone?openid=" + openid)
		webtest.WantBody(t, phone, `<div class="bubble me">帮助</div>`, "回复以下关键词获取指引", "点击菜单 HELP_CONTACT", "020-87185614")

		// 取消关注 is recorded and gets no reply.
		phoneSend(c, openid, url.Values{"action": {"unsubscribe"}})
		webtest.WantBody(t, c.Get("/sandbox/phone?openid="+openid), "取消关注了公众号")

		webtest.WantStatus(t, phoneSend(c, "oSBXnosuchidentity0000000000", url.Values{"action": {"subscribe"}}), http.StatusNotFound)
		webtest.WantStatus(t, phoneSend(c, openid, url.Values{"action": {"dance"}}), http.StatusBadRequest)
		webtest.WantStatus(t, c.Get("/sandbox/phone?openid=nosuch"), http.StatusNotFound)
	})
}

func TestSandboxOAuthAuthorize(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAWeChat)
		first := newIdentity(c, "甲")
		second := newIdentity(c, "乙")

		start := c.Get("/h5/oauth/start?next=%2Fh5%2Fsettings")
		state := webtest.StateOf(t, start)
		page := c.Get(start.Location)
		webtest.WantStatus(t, page, http.StatusOK)
		webtest.WantBody(t, page, "甲", "乙", `data-openid="`+first+`"`, `data-openid="`+second+`"`, `id="oauth-new"`,
			`name="state" value="`+state+`"`, `name="redirect_uri" value="/h5/oauth/callback"`)

		// Picking an identity issues a code for it.
		r := c.Post(web.SandboxOAuthPath, url.Values{"openid": {second}, "redirect_uri": {"/h5/oauth/callback"}, "state": {state}})
		if r.Status != http.StatusFound {
			t.Fatalf("authorize: HTTP %d\n%s", r.Status, r.Body)
		}
		loc, _ := url.Parse(r.Location)
		if loc.Path != "/h5/oauth/callback" || loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
			t.Fatalf("authorize redirects to %q", r.Location)
		}
		openid, err := s.WX.OAuthOpenID(context.Background(), loc.Query().Get("code"))
		if err != nil || openid != second {
			t.Fatalf("the code is for %q (%v), want %s", openid, err, second)
		}

		// A new identity can be made on the spot.
		st2 := webtest.StateOf(t, c.Get("/h5/oauth/start?next=%2Fh5%2Fhome"))
		r = c.Post(web.SandboxOAuthPath, url.Values{"nickname": {"丙"}, "redirect_uri": {"/h5/oauth/callback"}, "state": {st2}})
		webtest.WantStatus(t, r, http.StatusFound)
		webtest.WantRedirect(t, c.Get(r.Location), http.StatusFound, "/h5/activate?next=%2Fh5%2Fhome")
		webtest.WantBody(t, c.Get("/sandbox"), "丙")

		// Bad requests.
		bad := c.Get(web.SandboxOAuthPath + "?appid=wxwrong&redirect_uri=%2Fh5%2Foauth%2Fcallback&state=x")
		webtest.WantStatus(t, bad, http.StatusBadRequest)
		webtest.WantBody(t, bad, "授权参数无效")
		webtest.WantStatus(t, c.Get(web.SandboxOAuthPath+"?appid="+s.AppID+"&redirect_uri=https%3A%2F%2Fevil.com%2F&state=x"), http.StatusBadRequest)
		for _, redirect := range []string{"https://evil.com/h5/", "//evil.com/h5/", "/sandbox"} {
			webtest.WantStatus(t, c.Post(web.SandboxOAuthPath, url.Values{"openid": {first}, "redirect_uri": {redirect}, "state": {"x"}}), http.StatusBadRequest)
		}
		nf := c.Post(web.SandboxOAuthPath, url.Values{"openid": {"oSBXnosuch"}, "redirect_uri": {"/h5/oauth/callback"}, "state": {"x"}})
		webtest.WantStatus(t, nf, http.StatusNotFound)
		webtest.WantBody(t, nf, "测试身份不存在")
		webtest.WantStatus(t, c.Post("/sandbox/identities", url.Values{"nickname": {strings.Repeat("长", 21)}}), http.StatusBadRequest)
		webtest.WantStatus(t, c.Do(http.MethodPost, "/sandbox/identities", strings.NewReader("nickname=x"),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}), http.StatusForbidden)
	})
}

func TestSandboxInbox(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)
		openid := newIdentity(c, "收件人")
		other := newIdentity(c, "旁人")

		empty := c.Get("/sandbox/inbox?openid=" + openid)
		webtest.WantStatus(t, empty, http.StatusOK)
		webtest.WantBody(t, empty, "收件人 收到的模板消息", "还没有模板消息")

		id, err := s.WX.SendTemplate(context.Background(), wxapi.Template{
			ToUser: openid, TemplateID: "TPL_ANSWERED", URL: s.PublicURL + "/h5/questions/mine",
			Data: map[string]string{"first": "你的提问有了新回复", "keyword1": "如何预约青年之家？"},
		})
		if err != nil || id == 0 {
			t.Fatalf("SendTemplate: %d, %v", id, err)
		}
		inbox := c.Get("/sandbox/inbox?openid=" + openid)
		webtest.WantStatus(t, inbox, http.StatusOK)
		webtest.WantBody(t, inbox, "TPL_ANSWERED", "你的提问有了新回复", "如何预约青年之家？", `href="/h5/questions/mine"`, "详情 ›")
		if strings.Contains(inbox.Body, "还没有模板消息") {
			t.Fatal("the inbox still says it is empty")
		}
		webtest.WantBody(t, c.Get("/sandbox/inbox?openid="+other), "还没有模板消息")

		var out struct {
			Data []struct {
				ToUser     string `json:"touser"`
				TemplateID string `json:"template_id"`
				URL        string `json:"url"`
				MsgID      int64
			}
		}
		c.Get("/sandbox/inbox.json?openid="+openid).Decode(t, &out)
		if len(out.Data) != 1 || out.Data[0].TemplateID != "TPL_ANSWERED" || out.Data[0].MsgID != id || out.Data[0].ToUser != openid {
			t.Fatalf("inbox.json %+v", out.Data)
		}
		webtest.WantStatus(t, c.Get("/sandbox/inbox?openid=oSBXnosuch"), http.StatusNotFound)
	})
}

func TestSandboxOnlyInSandboxMode(t *testing.T) {
	s := webtest.New(t, dbtest.SQLite(t), kvtest.Memory(t, nil), webtest.Opts{Real: true, PublicURL: "https://yv.example.org"})
	c := s.Browser(webtest.UAPlain)
	for _, p := range []string{"/sandbox", "/sandbox/phone?openid=x", web.SandboxOAuthPath, sandbox.APIPrefix + "/cgi-bin/token"} {
		webtest.WantStatus(t, c.Get(p), http.StatusNotFound)
	}
	if strings.Contains(c.Get("/h5/login").Body, "沙箱模式") {
		t.Fatal("real mode shows the sandbox banner")
	}
}

// The inbox reads as the person's WeChat would: each field under its
// meaning from the alert-kind registry (提问标题, not thing1) in the
// template's order, the time in Beijing time; and /sandbox/inbox opens
// the identity chosen last again.
func TestSandboxInboxLabelsTimeAndIdentity(t *testing.T) {
	webtest.Each(t, func(t *testing.T, db *model.DB, store kv.Store) {
		s := webtest.New(t, db, store, webtest.Opts{})
		c := s.Browser(webtest.UAPlain)
		openid := newIdentity(c, "收件人")
		other := newIdentity(c, "旁人")
		_, err := s.WX.SendTemplate(context.Background(), wxapi.Template{
			ToUser: openid, TemplateID: notify.SandboxPrefix + alertkind.Answered.Key(), URL: s.PublicURL + "/h5/questions/mine",
			Data: map[string]string{"time3": "2026-05-07 15:04", "thing1": "如何预约青年之家？", "thing2": "王老师", "remark": "点击查看"},
		})
		if err != nil {
			t.Fatal(err)
		}
		inbox := c.Get("/sandbox/inbox?openid=" + openid)
		webtest.WantStatus(t, inbox, http.StatusOK)
		webtest.WantBody(t, inbox, "提问已答复",
			`<dt>提问标题 <small class="tips">thing1</small></dt><dd>如何预约青年之家？</dd>`+
				`<dt>答复人 <small class="tips">thing2</small></dt><dd>王老师</dd>`+
				`<dt>答复时间 <small class="tips">time3</small></dt><dd>2026-05-07 15:04</dd>`+
				`<dt>remark</dt><dd>点击查看</dd>`)
		var out struct{ Data []struct{ At time.Time } }
		c.Get("/sandbox/inbox.json?openid="+openid).Decode(t, &out)
		if len(out.Data) != 1 {
			t.Fatalf("inbox.json: %+v", out.Data)
		}
		webtest.WantBody(t, inbox, `<time class="received">`+out.Data[0].At.In(clock.Beijing).Format("2006-01-02 15:04:05")+"（北京时间）</time>")

		// Reopened without naming anyone: the identity chosen last.
		again := c.Get("/sandbox/inbox")
		webtest.WantStatus(t, again, http.StatusOK)
		webtest.WantBody(t, again, "收件人 收到的模板消息", "如何预约青年之家？", `<option value="`+openid+`" selected>收件人</option>`)
		webtest.WantBody(t, c.Get("/sandbox/inbox?openid="+other), "旁人 收到的模板消息")
		webtest.WantBody(t, c.Get("/sandbox/inbox"), "旁人 收到的模板消息", `<option value="`+other+`" selected>旁人</option>`)
		// The phone's identity counts as chosen too.
		webtest.WantStatus(t, c.Get("/sandbox/phone?openid="+openid), http.StatusOK)
		webtest.WantBody(t, c.Get("/sandbox/inbox"), "收件人 收到的模板消息")
		// A browser that never chose one is sent to the console to pick.
		webtest.WantRedirect(t, s.Browser(webtest.UAPlain).Get("/sandbox/inbox"), http.StatusFound, "/sandbox")
	})
}
