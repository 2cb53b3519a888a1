package menu_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/service/menu"
)

const publicURL = "https://wx.example.org"

func defaultMenu(t *testing.T) *menu.Menu {
	t.Helper()
	m, err := menu.Parse(config.DefaultMenu, publicURL)
	if err != nil {
		t.Fatalf("config/menu.json does not parse: %v", err)
	}
	return m
}

func TestDefaultMenuLayout(t *testing.T) {
	m := defaultMenu(t)
	type leaf struct{ name, typ, target string }
	want := []struct {
		name string
		subs []leaf
	}{
		{"青年之声", []leaf{
			{"主页", "view", publicURL + "/h5/home"},
			{"我要提问", "view", publicURL + "/h5/ask"},
			{"我的提问", "view", publicURL + "/h5/questions/mine"},
		}},
		{"青年之家", []leaf{
			{"预约服务", "view", publicURL + "/h5/bookings/new"},
			{"我的预约", "view", publicURL + "/h5/bookings/mine"},
			{"附近站点", "view", publicURL + "/h5/stations"},
		}},
		{"帮助", []leaf{
			{"操作说明", "click", "HELP_GUIDE"},
			{"联系我们", "click", "HELP_CONTACT"},
		}},
	}
	got := m.Buttons()
	if len(got) != len(want) {
		t.Fatalf("%d top-level buttons, want %d", len(got), len(want))
	}
	for i, w := range want {
		b := got[i]
		if b.Name != w.name || b.Type != "" || b.URL != "" || b.Key != "" {
			t.Errorf("button %d = %+v, want a sub-menu named %s", i, b, w.name)
		}
		if len(b.SubButtons) != len(w.subs) {
			t.Fatalf("%s has %d sub-buttons, want %d", w.name, len(b.SubButtons), len(w.subs))
		}
		for j, ws := range w.subs {
			sb := b.SubButtons[j]
			target := sb.URL
			if ws.typ == "click" {
				target = sb.Key
			}
			if sb.Name != ws.name || sb.Type != ws.typ || target != ws.target {
				t.Errorf("%s/%d = {%s %s %s %s}, want %+v", w.name, j, sb.Name, sb.Type, sb.URL, sb.Key, ws)
			}
		}
	}
	// The form WeChat receives: sub-menus carry no type.
	raw, _ := json.Marshal(map[string]any{"button": got})
	if strings.Contains(string(raw), `"path"`) || strings.Contains(string(raw), `"reply"`) {
		t.Errorf("menu/create body leaks local fields: %s", raw)
	}
}

func TestDefaultMenuRendersLinksUnderPublicURL(t *testing.T) {
	for _, base := range []string{"https://wx.example.org", "https://wx.example.org/", "http://localhost:8080"} {
		m, err := menu.Parse(config.DefaultMenu, base)
		if err != nil {
			t.Fatalf("Parse with %q: %v", base, err)
		}
		home := strings.TrimRight(base, "/") + "/h5/home"
		if got := m.Buttons()[0].SubButtons[0].URL; got != home {
			t.Errorf("主页 link with public URL %q = %q, want %q", base, got, home)
		}
		if !strings.Contains(m.Welcome(), `href="`+home+`"`) {
			t.Errorf("welcome does not link to %s: %s", home, m.Welcome())
		}
		guide, ok := m.ClickReply("HELP_GUIDE")
		if !ok || !strings.Contains(guide, home) || strings.Contains(guide, "{{") {
			t.Errorf("HELP_GUIDE reply = %q (%v), want a rendered link to %s", guide, ok, home)
		}
		contact, ok := m.ClickReply("HELP_CONTACT")
		if !ok || !strings.Contains(contact, "020-87185614") || !strings.Contains(contact, strings.TrimRight(base, "/")+"/h5/ask") {
			t.Errorf("HELP_CONTACT reply = %q", contact)
		}
	}
	m := defaultMenu(t)
	if _, ok := m.ClickReply("NO_SUCH_KEY"); ok {
		t.Error("ClickReply found an unknown key")
	}
	if !strings.HasPrefix(m.Welcome(), "欢迎关注广东青年之声") {
		t.Errorf("welcome = %q", m.Welcome())
	}
}

func TestTextReplyKeywords(t *testing.T) {
	m := defaultMenu(t)
	help := m.TextReply("帮助")
	def := m.TextReply("今天天气怎么样")
	if help == def {
		t.Fatal("帮助 got the default reply")
	}
	if !strings.Contains(help, "回复以下关键词") || strings.Contains(help, "{{") {
		t.Fatalf("帮助 reply = %q", help)
	}
	if !strings.Contains(def, "收到你的消息") || !strings.Contains(def, publicURL+"/h5/home") {
		t.Fatalf("default reply = %q", def)
	}
	for _, in := range []string{"帮助", "HELP", "help", " Help ", "\tHeLp\n", "?", "？", "使用说明"} {
		if got := m.TextReply(in); got != help {
			t.Errorf("TextReply(%q) = %q, want the help reply", in, got)
		}
	}
	for _, in := range []string{"", "   ", "帮助我", "helpme", "随便说点"} {
		if got := m.TextReply(in); got != def {
			t.Errorf("TextReply(%q) = %q, want the default reply", in, got)
		}
	}
	if got := m.TextReply("激活"); !strings.Contains(got, "激活绑定") {
		t.Errorf("TextReply(激活) = %q", got)
	}
	if got := m.TextReply("预约"); !strings.Contains(got, publicURL+"/h5/bookings/new") {
		t.Errorf("TextReply(预约) = %q", got)
	}
}

func TestTextReplyContainsMatch(t *testing.T) {
	m, err := menu.Parse([]byte(`{
		"button": [{"type": "click", "name": "a", "key": "K", "reply": "r"}],
		"welcome": "w", "default_reply": "d",
		"keywords": [
			{"words": ["Exact"], "reply": "exact"},
			{"words": ["退订", " VIP "], "match": "contains", "reply": "unsub"}
		]}`), publicURL)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"exact": "exact", "exactly": "d", "我想退订了": "unsub", "退订": "unsub", "订阅": "d",
		"取消Vip会员": "unsub", "vi p": "d",
	} {
		if got := m.TextReply(in); got != want {
			t.Errorf("TextReply(%q) = %q, want %q", in, got, want)
		}
	}
}

// valid is a minimal menu file; each case breaks one thing.
func valid() map[string]any {
	return map[string]any{
		"button": []any{
			map[string]any{"name": "青年之声", "sub_button": []any{
				map[string]any{"type": "view", "name": "主页", "path": "/h5/home"},
				map[string]any{"type": "click", "name": "帮助", "key": "HELP", "reply": "帮助内容"},
			}},
		},
		"welcome":       "欢迎",
		"default_reply": "收到",
	}
}

func subs(f map[string]any) []any {
	return f["button"].([]any)[0].(map[string]any)["sub_button"].([]any)
}

func sub(f map[string]any, i int) map[string]any { return subs(f)[i].(map[string]any) }

func encode(t *testing.T, f map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidMinimalMenu(t *testing.T) {
	m, err := menu.Parse(encode(t, valid()), publicURL)
	if err != nil {
		t.Fatalf("the baseline of the validation table is invalid: %v", err)
	}
	if r, ok := m.ClickReply("HELP"); !ok || r != "帮助内容" {
		t.Fatalf("ClickReply(HELP) = %q, %v", r, ok)
	}
}

func TestValidationErrors(t *testing.T) {
	click := func(name, key string) map[string]any {
		return map[string]any{"type": "click", "name": name, "key": key, "reply": "r"}
	}
	cases := []struct {
		name   string
		raw    string               // used instead of edit when set
		edit   func(map[string]any) // breaks valid()
		expect []string             // every fragment must appear in one problem
	}{
		{name: "4 top-level buttons", edit: func(f map[string]any) {
			f["button"] = []any{click("a", "A"), click("b", "B"), click("c", "C"), click("d", "D")}
		}, expect: []string{"一级菜单", "1–3", "当前 4 个"}},
		{name: "no buttons", edit: func(f map[string]any) { f["button"] = []any{} },
			expect: []string{"一级菜单", "当前 0 个"}},
		{name: "6 sub-buttons", edit: func(f map[string]any) {
			f["button"].([]any)[0].(map[string]any)["sub_button"] = []any{
				click("1", "K1"), click("2", "K2"), click("3", "K3"), click("4", "K4"), click("5", "K5"), click("6", "K6")}
		}, expect: []string{"青年之声", "子菜单最多 5 个", "当前 6 个"}},
		{name: "top-level name over 16 bytes", edit: func(f map[string]any) {
			f["button"].([]any)[0].(map[string]any)["name"] = "广东青年之声平台" // 8 汉字 = 24 bytes
		}, expect: []string{"广东青年之声平台", "24 字节", "16 字节"}},
		{name: "empty name", edit: func(f map[string]any) { sub(f, 0)["name"] = " " },
			expect: []string{"名称不能为空"}},
		{name: "sub name over 60 bytes", edit: func(f map[string]any) {
			sub(f, 0)["name"] = strings.Repeat("青", 21) // 63 bytes
		}, expect: []string{"63 字节", "60 字节"}},
		{name: "key over 128 bytes", edit: func(f map[string]any) { sub(f, 1)["key"] = strings.Repeat("K", 129) },
			expect: []string{"key 超过 128 字节"}},
		{name: "duplicate key", edit: func(f map[string]any) {
			f["button"] = append(f["button"].([]any), click("联系", "HELP"))
		}, expect: []string{"「联系」", "key「HELP」重复"}},
		{name: "click without key", edit: func(f map[string]any) { delete(sub(f, 1), "key") },
			expect: []string{"「帮助」", "click 菜单必须设置 key"}},
		{name: "click without reply", edit: func(f map[string]any) { sub(f, 1)["reply"] = "  " },
			expect: []string{"「帮助」", "必须设置 reply"}},
		{name: "view without path or url", edit: func(f map[string]any) { delete(sub(f, 0), "path") },
			expect: []string{"「主页」", "view 菜单必须设置 path 或 url"}},
		{name: "view with both path and url", edit: func(f map[string]any) { sub(f, 0)["url"] = "https://example.com/" },
			expect: []string{"「主页」", "path 和 url 只能设置一个"}},
		{name: "bad type", edit: func(f map[string]any) { sub(f, 0)["type"] = "miniprogram" },
			expect: []string{"「主页」", `不支持的菜单类型 "miniprogram"`}},
		{name: "missing type", edit: func(f map[string]any) { delete(sub(f, 0), "type") },
			expect: []string{"「主页」", "缺少 type"}},
		{name: "relative path", edit: func(f map[string]any) { sub(f, 0)["path"] = "h5/home" },
			expect: []string{"「主页」", "path 必须以 / 开头"}},
		{name: "non-http url", edit: func(f map[string]any) {
			delete(sub(f, 0), "path")
			sub(f, 0)["url"] = "javascript:alert(1)"
		}, expect: []string{"「主页」", "不是有效的 http(s) 地址"}},
		{name: "URL over 1024 bytes", edit: func(f map[string]any) {
			delete(sub(f, 0), "path")
			sub(f, 0)["url"] = "https://example.com/" + strings.Repeat("a", 1010)
		}, expect: []string{"「主页」", "链接超过 1024 字节"}},
		{name: "path making the URL over 1024 bytes", edit: func(f map[string]any) {
			sub(f, 0)["path"] = "/" + strings.Repeat("a", 1024)
		}, expect: []string{"链接超过 1024 字节"}},
		{name: "sub-menu parent with a type", edit: func(f map[string]any) {
			f["button"].([]any)[0].(map[string]any)["type"] = "click"
		}, expect: []string{"有子菜单的一级菜单不能再设置"}},
		{name: "third level", edit: func(f map[string]any) { sub(f, 0)["sub_button"] = []any{click("x", "X")} },
			expect: []string{"子菜单不能再有子菜单"}},
		{name: "unknown JSON field", edit: func(f map[string]any) { sub(f, 0)["link"] = "/h5/home" },
			expect: []string{"JSON 格式错误", `unknown field "link"`}},
		{name: "unknown top-level field", edit: func(f map[string]any) { f["welcom"] = "typo" },
			expect: []string{"JSON 格式错误", `"welcom"`}},
		{name: "malformed JSON", raw: `{"button": [}`, expect: []string{"JSON 格式错误"}},
		{name: "trailing content", raw: `{"button":[{"type":"click","name":"a","key":"K","reply":"r"}],"welcome":"w","default_reply":"d"} {"button":[]}`,
			expect: []string{"JSON 格式错误"}},
		{name: "empty welcome", edit: func(f map[string]any) { f["welcome"] = " \n" },
			expect: []string{"welcome（关注欢迎语）不能为空"}},
		{name: "empty default reply", edit: func(f map[string]any) { delete(f, "default_reply") },
			expect: []string{"default_reply（默认回复）不能为空"}},
		{name: "bad template", edit: func(f map[string]any) { f["welcome"] = `{{url "h5"}}` },
			expect: []string{"welcome", "模板错误", "url 的参数必须以 / 开头"}},
		{name: "template loop", edit: func(f map[string]any) { f["default_reply"] = `{{range 1000000000}}长{{end}}` },
			expect: []string{"default_reply", "模板错误", "只支持 {{url"}},
		{name: "recursive template", edit: func(f map[string]any) {
			f["welcome"] = `{{define "a"}}{{template "a" .}}{{template "a" .}}{{end}}{{template "a" .}}`
		}, expect: []string{"welcome", "只支持 {{url"}},
		{name: "printf", edit: func(f map[string]any) { sub(f, 1)["reply"] = `{{printf "%0999999999d" 1}}` },
			expect: []string{"「帮助」", "只支持 {{url"}},
		{name: "url of a computed path", edit: func(f map[string]any) { f["welcome"] = `{{url (print "/h5" "/home")}}` },
			expect: []string{"welcome", "只支持 {{url"}},
		{name: "reply over 2048 bytes", edit: func(f map[string]any) { sub(f, 1)["reply"] = strings.Repeat("长", 700) },
			expect: []string{"「帮助」", "回复超过 2048 字节"}},
		{name: "keyword without words", edit: func(f map[string]any) {
			f["keywords"] = []any{map[string]any{"words": []any{}, "reply": "r"}}
		}, expect: []string{"第 1 条关键词回复", "words 不能为空"}},
		{name: "duplicate keyword", edit: func(f map[string]any) {
			f["keywords"] = []any{
				map[string]any{"words": []any{"帮助"}, "reply": "a"},
				map[string]any{"words": []any{" 帮助 "}, "reply": "b"},
			}
		}, expect: []string{"第 2 条关键词回复", "关键词「帮助」重复"}},
		{name: "bad match", edit: func(f map[string]any) {
			f["keywords"] = []any{map[string]any{"words": []any{"a"}, "match": "regex", "reply": "r"}}
		}, expect: []string{"match 只能是 exact 或 contains"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte(tc.raw)
			if tc.raw == "" {
				f := valid()
				tc.edit(f)
				raw = encode(t, f)
			}
			m, err := menu.Parse(raw, publicURL)
			if err == nil {
				t.Fatalf("Parse accepted the file (menu %+v)", m)
			}
			var ve *menu.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v is not a *menu.ValidationError", err, err)
			}
			if !strings.HasPrefix(err.Error(), "菜单配置有误") {
				t.Errorf("message %q does not start with 菜单配置有误", err)
			}
			if !problemWith(ve.Problems, tc.expect...) {
				t.Errorf("no problem mentions all of %q; got:\n%s", tc.expect, err)
			}
		})
	}
}

func problemWith(problems []string, frags ...string) bool {
	for _, p := range problems {
		all := true
		for _, f := range frags {
			if !strings.Contains(p, f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func TestValidationReportsEveryProblem(t *testing.T) {
	f := valid()
	f["button"].([]any)[0].(map[string]any)["name"] = "广东青年之声平台"
	delete(sub(f, 0), "path")
	sub(f, 1)["reply"] = ""
	f["welcome"] = ""
	_, err := menu.Parse(encode(t, f), publicURL)
	var ve *menu.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse: %v, want a ValidationError", err)
	}
	for _, want := range [][]string{
		{"16 字节"},
		{"「主页」", "path 或 url"},
		{"「帮助」", "reply"},
		{"welcome"},
	} {
		if !problemWith(ve.Problems, want...) {
			t.Errorf("missing a problem about %q in:\n%s", want, err)
		}
	}
	if len(ve.Problems) != 4 {
		t.Errorf("%d problems, want 4:\n%s", len(ve.Problems), err)
	}
	// Every problem is on its own line.
	if n := strings.Count(err.Error(), "\n  - "); n != 4 {
		t.Errorf("message lists %d problems, want 4:\n%s", n, err)
	}
}
