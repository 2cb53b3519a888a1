package wxfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type reply struct {
	ErrCode     int    `json:"errcode"`
	ErrMsg      string `json:"errmsg"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	OpenID      string `json:"openid"`
	MsgID       int64  `json:"msgid"`
}

func do(t *testing.T, s *Server, method, target, body string) reply {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d", method, target, rec.Code)
	}
	var r reply
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%s %s: %v in %s", method, target, err, rec.Body)
	}
	return r
}

func stable(t *testing.T, s *Server, appID, secret string, force bool) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": appID, "secret": secret, "force_refresh": force})
	return do(t, s, http.MethodPost, "/cgi-bin/stable_token", string(b))
}

func send(t *testing.T, s *Server, token string) reply {
	t.Helper()
	return do(t, s, http.MethodPost, "/cgi-bin/message/template/send?access_token="+url.QueryEscape(token),
		`{"touser":"o1","template_id":"T1","data":{"first":{"value":"v"}}}`)
}

func TestTokenSecretMismatch(t *testing.T) {
	s := New()
	s.AddApp("wxa", "right")

	if r := stable(t, s, "wxa", "wrong", false); r.ErrCode != 40125 || r.AccessToken != "" {
		t.Fatalf("wrong secret: %+v, want errcode 40125 and no token", r)
	}
	if r := do(t, s, http.MethodGet, "/cgi-bin/token?grant_type=client_credential&appid=wxa&secret=wrong", ""); r.ErrCode != 40125 {
		t.Fatalf("wrong secret on /cgi-bin/token: %+v, want 40125", r)
	}
	if n := s.TokensIssued("wxa"); n != 0 {
		t.Fatalf("TokensIssued = %d after refused requests", n)
	}
	r := stable(t, s, "wxa", "right", false)
	if r.ErrCode != 0 || !strings.HasPrefix(r.AccessToken, "FAKE_") || r.ExpiresIn != 7200 {
		t.Fatalf("right secret: %+v", r)
	}
	// An app first seen on a token request pins the secret it came with.
	stable(t, s, "wxb", "first", false)
	if r := stable(t, s, "wxb", "second", false); r.ErrCode != 40125 {
		t.Fatalf("auto-registered app with another secret: %+v, want 40125", r)
	}
	if r := stable(t, s, "", "", false); r.ErrCode != 40125 {
		t.Fatalf("empty appid: %+v, want 40125", r)
	}
	if r := do(t, s, http.MethodPost, "/cgi-bin/stable_token", "not json"); r.ErrCode != 47001 {
		t.Fatalf("malformed body: %+v, want 47001", r)
	}
}

func TestStableTokenReuseAndForceRefresh(t *testing.T) {
	s := New()
	s.AddApp("wxa", "sec")
	a := stable(t, s, "wxa", "sec", false)
	b := stable(t, s, "wxa", "sec", false)
	if a.AccessToken != b.AccessToken || s.TokensIssued("wxa") != 1 {
		t.Fatalf("normal mode gave %q then %q (%d issued); want the same token", a.AccessToken, b.AccessToken, s.TokensIssued("wxa"))
	}
	c := stable(t, s, "wxa", "sec", true)
	if c.AccessToken == a.AccessToken || s.TokensIssued("wxa") != 2 {
		t.Fatalf("force_refresh kept the token")
	}
	if r := send(t, s, a.AccessToken); r.ErrCode != 42001 {
		t.Fatalf("send with the replaced token: %+v, want 42001", r)
	}
	if r := send(t, s, c.AccessToken); r.ErrCode != 0 || r.MsgID == 0 {
		t.Fatalf("send with the current token: %+v", r)
	}
	if r := send(t, s, "garbage"); r.ErrCode != 40001 {
		t.Fatalf("send with an unknown token: %+v, want 40001", r)
	}
	s.InvalidateTokens("wxa")
	if r := send(t, s, c.AccessToken); r.ErrCode != 42001 {
		t.Fatalf("send after InvalidateTokens: %+v, want 42001", r)
	}
	if d := stable(t, s, "wxa", "sec", false); d.AccessToken == c.AccessToken || s.TokensIssued("wxa") != 3 {
		t.Fatalf("token after InvalidateTokens = %q, want a new one", d.AccessToken)
	}
}

func TestFailNextOrdering(t *testing.T) {
	s := New()
	s.AddApp("wxa", "sec")
	tok := stable(t, s, "wxa", "sec", false).AccessToken
	const path = "/cgi-bin/message/template/send"
	s.FailNext(path, 45009, 43004)
	s.FailNext(path, -1)
	s.FailNext("/cgi-bin/menu/create", 40016)

	var got []int
	for range 4 {
		got = append(got, send(t, s, tok).ErrCode)
	}
	want := []int{45009, 43004, -1, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("errcodes = %v, want %v (in queue order, then success)", got, want)
		}
	}
	calls := s.CallsTo(path)
	if len(calls) != 4 {
		t.Fatalf("CallsTo recorded %d calls, want 4", len(calls))
	}
	for i, c := range calls {
		if c.ErrCode != want[i] || c.AppID != "wxa" || c.Token != tok {
			t.Fatalf("call %d = %+v", i, c)
		}
	}
	// The menu path kept its own queue.
	r := do(t, s, http.MethodPost, "/cgi-bin/menu/create?access_token="+tok, `{"button":[{"type":"click","name":"a","key":"k"}]}`)
	if r.ErrCode != 40016 || s.Menu("wxa") != nil {
		t.Fatalf("menu create: %+v, want the injected 40016 and no menu stored", r)
	}
	r = do(t, s, http.MethodPost, "/cgi-bin/menu/create?access_token="+tok, `{"button":[{"type":"click","name":"a","key":"k"}]}`)
	if r.ErrCode != 0 || !strings.Contains(string(s.Menu("wxa")), `"key":"k"`) {
		t.Fatalf("menu create: %+v, menu %s", r, s.Menu("wxa"))
	}
	// Injected token errors apply to the token endpoint as well.
	s.FailNext("/cgi-bin/stable_token", -1)
	if r := stable(t, s, "wxa", "sec", false); r.ErrCode != -1 || r.AccessToken != "" {
		t.Fatalf("injected stable_token failure: %+v", r)
	}
}

func TestTemplateRecorded(t *testing.T) {
	s := New()
	var mu sync.Mutex
	var got []TemplateCall
	s.OnTemplate = func(tc TemplateCall) { mu.Lock(); got = append(got, tc); mu.Unlock() }
	s.AddApp("wxa", "sec")
	tok := stable(t, s, "wxa", "sec", false).AccessToken
	r := do(t, s, http.MethodPost, "/cgi-bin/message/template/send?access_token="+tok,
		`{"touser":"o1","template_id":"T1","url":"https://x/y","client_msg_id":"c1","data":{"first":{"value":"你好"}}}`)
	if r.ErrCode != 0 || r.MsgID == 0 {
		t.Fatalf("send: %+v", r)
	}
	if len(got) != 1 || got[0].ToUser != "o1" || got[0].TemplateID != "T1" || got[0].URL != "https://x/y" ||
		got[0].ClientMsgID != "c1" || got[0].Data["first"] != "你好" || got[0].MsgID != r.MsgID || got[0].AppID != "wxa" {
		t.Fatalf("recorded %+v", got)
	}
	if r := do(t, s, http.MethodPost, "/cgi-bin/message/template/send?access_token="+tok, `{"data":{}}`); r.ErrCode != 47003 {
		t.Fatalf("template without touser: %+v, want 47003", r)
	}
}

func TestIssueCodeExpiry(t *testing.T) {
	s := New()
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s.AddApp("wxa", "sec")
	exchange := func(code string) reply {
		return do(t, s, http.MethodGet, "/sns/oauth2/access_token?appid=wxa&secret=sec&code="+code+"&grant_type=authorization_code", "")
	}

	fresh := s.IssueCode("wxa", "oFresh")
	stale := s.IssueCode("wxa", "oStale")
	advance(4*time.Minute + 59*time.Second)
	if r := exchange(fresh); r.ErrCode != 0 || r.OpenID != "oFresh" {
		t.Fatalf("code just under 5 minutes old: %+v, want openid oFresh", r)
	}
	if r := exchange(fresh); r.ErrCode != 40163 {
		t.Fatalf("reused code: %+v, want 40163", r)
	}
	advance(2 * time.Second)
	if r := exchange(stale); r.ErrCode != 40029 || r.OpenID != "" {
		t.Fatalf("code over 5 minutes old: %+v, want 40029", r)
	}
	if r := exchange("unknown"); r.ErrCode != 40029 {
		t.Fatalf("unknown code: %+v, want 40029", r)
	}
	other := s.IssueCode("wxother", "oX")
	if r := exchange(other); r.ErrCode != 40029 {
		t.Fatalf("code of another app: %+v, want 40029", r)
	}
	code := s.IssueCode("wxa", "oY")
	if r := do(t, s, http.MethodGet, "/sns/oauth2/access_token?appid=wxa&secret=bad&code="+code, ""); r.ErrCode != 40125 {
		t.Fatalf("exchange with a wrong secret: %+v, want 40125", r)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	rec := httptest.NewRecorder()
	New().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cgi-bin/nope", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown path: HTTP %d, want 404", rec.Code)
	}
}

// TestConcurrentCallsAreAllRecorded: the fake serves the public sandbox,
// so malformed and valid requests arrive together; each is logged once
// (run with -race: the malformed-body branch appended to the log unlocked).
func TestConcurrentCallsAreAllRecorded(t *testing.T) {
	s := New()
	s.AddApp("wxa", "sec")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				do(t, s, http.MethodPost, "/cgi-bin/stable_token", "not json")
				return
			}
			stable(t, s, "wxa", "sec", false)
		}()
	}
	wg.Wait()
	if n := len(s.Calls()); n != 16 {
		t.Fatalf("%d calls recorded, want 16", n)
	}
}

// qrcode/create answers as WeChat does: a created code without errcode
// or errmsg, the same code for the same scene, errcodes otherwise.
func TestQRCodeCreate(t *testing.T) {
	s := New()
	s.AddApp("wxq", "s")
	tok := stable(t, s, "wxq", "s", false).AccessToken
	create := func(body string) (int, string, map[string]any) {
		req := httptest.NewRequest(http.MethodPost, "/cgi-bin/qrcode/create?access_token="+url.QueryEscape(tok), strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%v in %s", err, rec.Body)
		}
		return rec.Code, rec.Body.String(), out
	}
	const limit = `{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"u-4144010590"}}}`
	_, raw, a := create(limit)
	if _, has := a["errmsg"]; has || a["ticket"] == "" || !strings.HasPrefix(a["url"].(string), "http://weixin.qq.com/q/") {
		t.Fatalf("answer %s", raw)
	}
	if _, _, b := create(limit); b["url"] != a["url"] || b["ticket"] != a["ticket"] {
		t.Fatalf("the same scene gave %v then %v", a, b)
	}
	if _, _, c := create(`{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"u-4144010561"}}}`); c["url"] == a["url"] {
		t.Fatal("another scene gave the same code")
	}
	if _, _, e := create(`{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":7}}}`); e["errcode"] != float64(40097) {
		t.Fatalf("numeric scene: %v", e)
	}
	if n := len(s.CallsTo("/cgi-bin/qrcode/create")); n != 4 {
		t.Fatalf("%d calls recorded, want 4", n)
	}
}

// A temporary code (QR_STR_SCENE) is new every time, expires after its
// expire_seconds, and ScanURL reads its scene only while it lives (and a
// permanent code's for ever).
func TestTempQRCodeScan(t *testing.T) {
	s := New()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.AddApp("wxt", "s")
	tok := stable(t, s, "wxt", "s", false).AccessToken
	create := func(body string) map[string]any {
		req := httptest.NewRequest(http.MethodPost, "/cgi-bin/qrcode/create?access_token="+url.QueryEscape(tok), strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%v in %s", err, rec.Body)
		}
		return out
	}
	const temp = `{"expire_seconds":300,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"login:abc"}}}`
	a, b := create(temp), create(temp)
	if a["url"] == b["url"] || a["expire_seconds"] != float64(300) {
		t.Fatalf("two temporary codes %v %v: want different codes living 300 s", a, b)
	}
	if app, scene, ok := s.ScanURL(a["url"].(string)); !ok || app != "wxt" || scene != "login:abc" {
		t.Fatalf("scanning a live code: %q %q %v", app, scene, ok)
	}
	perm := create(`{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"u-4144010590"}}}`)
	now = now.Add(301 * time.Second)
	if _, _, ok := s.ScanURL(a["url"].(string)); ok {
		t.Fatal("a temporary code scanned after it expired")
	}
	if _, scene, ok := s.ScanURL(perm["url"].(string)); !ok || scene != "u-4144010590" {
		t.Fatalf("a permanent code: %q %v", scene, ok)
	}
	if _, _, ok := s.ScanURL("http://weixin.qq.com/q/nothing"); ok {
		t.Fatal("an unknown URL scanned")
	}
	if e := create(`{"expire_seconds":9999999,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"x"}}}`); e["errcode"] != float64(40097) {
		t.Fatalf("expire_seconds over 30 days: %v", e)
	}
}
