package wxapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	wxmenu "github.com/silenceper/wechat/v2/officialaccount/menu"

	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/kv/kvtest"
	"github.com/gdyouth/youthvoice/service/servicetest"
	"github.com/gdyouth/youthvoice/service/wxapi"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

// silenceper keeps its HTTP settings in package variables, so the whole
// test binary talks to one fake; each test uses its own appid.
var (
	fake    *wxfake.Server
	fakeURL string
	// before, when set, runs before the fake sees a request (a test's
	// "another instance" acting in the middle of a call).
	before atomic.Pointer[func(r *http.Request)]
	// failHTTP, when set, is a path answered 502 Bad Gateway (an egress
	// proxy's failure) instead of by the fake.
	failHTTP atomic.Pointer[string]

	templatesMu sync.Mutex
	templates   []wxfake.TemplateCall
)

const (
	pathStable   = "/cgi-bin/stable_token"
	pathTemplate = "/cgi-bin/message/template/send"
	pathMenu     = "/cgi-bin/menu/create"
	pathOAuth    = "/sns/oauth2/access_token"
)

func TestMain(m *testing.M) {
	fake = wxfake.New()
	fake.OnTemplate = func(tc wxfake.TemplateCall) {
		templatesMu.Lock()
		defer templatesMu.Unlock()
		templates = append(templates, tc)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fn := before.Load(); fn != nil {
			(*fn)(r)
		}
		if p := failHTTP.Load(); p != nil && *p == r.URL.Path {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	fakeURL = srv.URL
	wxapi.Configure(srv.URL, 5*time.Second)
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

var appSeq atomic.Int64

// newApp registers a fresh appid with the fake.
func newApp(t *testing.T) wxapi.Credentials {
	t.Helper()
	n := appSeq.Add(1)
	cred := wxapi.Credentials{
		AppID:  fmt.Sprintf("wxtest%012d", n),
		Secret: fmt.Sprintf("secret-%d", n),
		Token:  "tok",
	}
	fake.AddApp(cred.AppID, cred.Secret)
	return cred
}

func newClient(t *testing.T, cred wxapi.Credentials, store kv.Store) *wxapi.Client {
	t.Helper()
	c, err := wxapi.New(cred, store, servicetest.DiscardLog())
	if err != nil {
		t.Fatalf("wxapi.New: %v", err)
	}
	return c
}

// tokenKey is where silenceper's stable-token handle caches the token.
func tokenKey(appID string) string {
	return fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyOfficialAccountPrefix, appID)
}

// mark returns a function listing the calls to path made since mark.
func mark() func(path string) []wxfake.Call {
	n := len(fake.Calls())
	return func(path string) []wxfake.Call {
		var out []wxfake.Call
		for _, c := range fake.Calls()[n:] {
			if c.Path == path {
				out = append(out, c)
			}
		}
		return out
	}
}

func stableCallsFor(calls []wxfake.Call, appID string) int {
	n := 0
	for _, c := range calls {
		if c.AppID == appID {
			n++
		}
	}
	return n
}

// eachShared runs fn per backend with two stores that share keys, as
// two service instances sharing one Redis do.
func eachShared(t *testing.T, fn func(t *testing.T, a, b kv.Store)) {
	servicetest.Each(t, func(t *testing.T, be *servicetest.Backend) {
		fn(t, be.KV(), be.Peer(t))
	})
}

func sendOne(t *testing.T, c *wxapi.Client) (int64, error) {
	t.Helper()
	return c.SendTemplate(context.Background(), wxapi.Template{
		ToUser: "openid-1", TemplateID: "TPL_REPLY", Data: map[string]string{"first": "你好"},
	})
}

func TestAccessTokenStableEndpointCachedInKV(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, store kv.Store) {
		cred := newApp(t)
		calls := mark()
		c := newClient(t, cred, store)
		ctx := context.Background()

		tok, err := c.AccessToken(ctx)
		if err != nil {
			t.Fatalf("AccessToken: %v", err)
		}
		if !strings.HasPrefix(tok, "FAKE_") {
			t.Fatalf("token %q was not issued by the fake", tok)
		}
		if n := stableCallsFor(calls(pathStable), cred.AppID); n != 1 {
			t.Fatalf("stable_token called %d times, want 1", n)
		}
		if n := len(calls("/cgi-bin/token")); n != 0 {
			t.Fatalf("the non-stable /cgi-bin/token endpoint was called %d times", n)
		}
		cached, err := store.Get(ctx, tokenKey(cred.AppID))
		if err != nil || cached != tok {
			t.Fatalf("kv holds %q (%v), want the token %q", cached, err, tok)
		}
		ttl, err := store.TTL(ctx, tokenKey(cred.AppID))
		if err != nil || ttl <= time.Hour || ttl > 7200*time.Second {
			t.Fatalf("cached token TTL = %v (%v), want under WeChat's 7200 s and well over an hour", ttl, err)
		}

		again, err := c.AccessToken(ctx)
		if err != nil || again != tok {
			t.Fatalf("second AccessToken = %q, %v; want the cached %q", again, err, tok)
		}
		if n := stableCallsFor(calls(pathStable), cred.AppID); n != 1 {
			t.Fatalf("stable_token called %d times after a cache hit, want 1", n)
		}
	})
}

func TestTwoInstancesShareOneToken(t *testing.T) {
	eachShared(t, func(t *testing.T, a, b kv.Store) {
		cred := newApp(t)
		calls := mark()
		ca, cb := newClient(t, cred, a), newClient(t, cred, b)

		if _, err := sendOne(t, ca); err != nil {
			t.Fatalf("instance A send: %v", err)
		}
		if _, err := sendOne(t, cb); err != nil {
			t.Fatalf("instance B send: %v", err)
		}
		ta, _ := ca.AccessToken(context.Background())
		tb, _ := cb.AccessToken(context.Background())
		if ta != tb {
			t.Fatalf("instances use different tokens %q and %q", ta, tb)
		}
		if n := fake.TokensIssued(cred.AppID); n != 1 {
			t.Fatalf("TokensIssued = %d, want 1 for two instances sharing a store", n)
		}
		if n := stableCallsFor(calls(pathStable), cred.AppID); n != 1 {
			t.Fatalf("stable_token called %d times, want 1", n)
		}
	})
}

func TestTwoInstancesConcurrentlyGetOneToken(t *testing.T) {
	eachShared(t, func(t *testing.T, a, b kv.Store) {
		cred := newApp(t)
		clients := []*wxapi.Client{newClient(t, cred, a), newClient(t, cred, b)}
		var wg sync.WaitGroup
		errs := make(chan error, 10)
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := clients[i%2].SendTemplate(context.Background(), wxapi.Template{ToUser: "o", TemplateID: "T"})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("send: %v", err)
			}
		}
		if n := fake.TokensIssued(cred.AppID); n != 1 {
			t.Fatalf("TokensIssued = %d, want 1", n)
		}
	})
}

func TestRejectedTokenIsDroppedAndRetriedOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int
	}{{"40001", wxapi.CodeInvalidToken}, {"42001", wxapi.CodeTokenExpired}} {
		t.Run(tc.name, func(t *testing.T) {
			eachShared(t, func(t *testing.T, a, b kv.Store) {
				cred := newApp(t)
				ctx := context.Background()
				c := newClient(t, cred, a)
				if _, err := c.AccessToken(ctx); err != nil {
					t.Fatal(err)
				}
				calls := mark()
				fake.FailNext(pathTemplate, tc.code)

				msgID, err := sendOne(t, c)
				if err != nil {
					t.Fatalf("send after one %d: %v (want success after a retry)", tc.code, err)
				}
				if msgID == 0 {
					t.Fatal("no msgid after the retry")
				}
				sends := calls(pathTemplate)
				if len(sends) != 2 || sends[0].ErrCode != tc.code || sends[1].ErrCode != 0 {
					t.Fatalf("template calls = %+v, want one %d then one success", sends, tc.code)
				}
				// The failing token was dropped, so a token was fetched again.
				if n := stableCallsFor(calls(pathStable), cred.AppID); n != 1 {
					t.Fatalf("stable_token called %d times during the retry, want 1", n)
				}
				cached, err := b.Get(ctx, tokenKey(cred.AppID))
				if err != nil || cached != sends[1].Token {
					t.Fatalf("kv holds %q (%v), want the token the retry used %q", cached, err, sends[1].Token)
				}
			})
		})
	}
}

func TestInvalidatedTokenIsReplaced(t *testing.T) {
	eachShared(t, func(t *testing.T, a, b kv.Store) {
		cred := newApp(t)
		ctx := context.Background()
		c := newClient(t, cred, a)
		old, err := c.AccessToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fake.InvalidateTokens(cred.AppID)
		calls := mark()

		if _, err := sendOne(t, c); err != nil {
			t.Fatalf("send with a revoked token: %v (want a retry with a new token)", err)
		}
		sends := calls(pathTemplate)
		if len(sends) != 2 {
			t.Fatalf("template calls = %d, want 2 (one failure, one retry)", len(sends))
		}
		if code := sends[0].ErrCode; code != wxapi.CodeInvalidToken && code != wxapi.CodeTokenExpired {
			t.Fatalf("first call errcode %d, want a token error", code)
		}
		if sends[0].Token != old || sends[1].Token == old || sends[1].ErrCode != 0 {
			t.Fatalf("calls used %q (%d) then %q (%d); want old %q then a new token",
				sends[0].Token, sends[0].ErrCode, sends[1].Token, sends[1].ErrCode, old)
		}
		if n := fake.TokensIssued(cred.AppID); n != 2 {
			t.Fatalf("TokensIssued = %d, want 2", n)
		}
		cached, _ := b.Get(ctx, tokenKey(cred.AppID))
		if cached != sends[1].Token {
			t.Fatalf("shared kv holds %q, want the new token %q", cached, sends[1].Token)
		}
	})
}

// Another instance refreshes the token while this one's call is in
// flight with the old token: the newer token must survive.
func TestNewerTokenFromAnotherInstanceIsKept(t *testing.T) {
	eachShared(t, func(t *testing.T, a, b kv.Store) {
		cred := newApp(t)
		ctx := context.Background()
		c := newClient(t, cred, a)
		old, err := c.AccessToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var newer string
		var once sync.Once
		hook := func(r *http.Request) {
			if r.URL.Path != pathTemplate || r.URL.Query().Get("access_token") != old {
				return
			}
			once.Do(func() {
				// "Another instance" sees the token revoked, fetches a new
				// one and stores it, before WeChat answers this call.
				fake.InvalidateTokens(cred.AppID)
				other := newClient(t, cred, b)
				if err := b.Del(ctx, tokenKey(cred.AppID)); err != nil {
					t.Error(err)
				}
				tok, err := other.AccessToken(ctx)
				if err != nil {
					t.Error(err)
				}
				newer = tok
			})
		}
		before.Store(&hook)
		defer before.Store(nil)
		calls := mark()

		if _, err := sendOne(t, c); err != nil {
			t.Fatalf("send: %v", err)
		}
		before.Store(nil)
		if newer == "" || newer == old {
			t.Fatalf("the other instance did not get a new token (%q)", newer)
		}
		cached, err := b.Get(ctx, tokenKey(cred.AppID))
		if err != nil || cached != newer {
			t.Fatalf("kv holds %q (%v); the newer token %q set by another instance was deleted", cached, err, newer)
		}
		sends := calls(pathTemplate)
		if len(sends) != 2 || sends[1].Token != newer || sends[1].ErrCode != 0 {
			t.Fatalf("template calls = %+v, want a retry with the newer token", sends)
		}
		if n := fake.TokensIssued(cred.AppID); n != 2 {
			t.Fatalf("TokensIssued = %d, want 2 (no extra fetch by this instance)", n)
		}
		// Only the other instance fetched a token: this one found the
		// newer token still cached and reused it.
		if n := stableCallsFor(calls(pathStable), cred.AppID); n != 1 {
			t.Fatalf("stable_token called %d times, want 1 (by the other instance only)", n)
		}
	})
}

func TestPersistentInvalidTokenFailsAfterOneRetry(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	calls := mark()
	fake.FailNext(pathTemplate, wxapi.CodeInvalidToken, wxapi.CodeInvalidToken)
	t.Cleanup(func() {
		if t.Failed() {
			drain(t)
		}
	})

	_, err := sendOne(t, c)
	if err == nil {
		t.Fatal("send succeeded despite two 40001 answers")
	}
	if code, ok := wxapi.ErrCode(err); !ok || code != wxapi.CodeInvalidToken {
		t.Fatalf("ErrCode(%v) = %d, %v; want 40001", err, code, ok)
	}
	if n := len(calls(pathTemplate)); n != 2 {
		t.Fatalf("template send called %d times, want 2 (one retry only)", n)
	}
}

// drain consumes injected failures a failed test left queued, so the
// other tests do not fail with it.
func drain(t *testing.T) {
	c := newClient(t, newApp(t), kvtest.Memory(t, nil))
	for range 3 {
		if _, err := sendOne(t, c); err == nil {
			return
		}
	}
}

func TestSendTemplateRecordsMessage(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	tpl := wxapi.Template{
		ToUser:      "oUser123",
		TemplateID:  "TPL_ANSWERED",
		URL:         "https://wx.example.org/h5/questions/42",
		ClientMsgID: "q42-answer",
		Data:        map[string]string{"first": "你的提问有新回复 😀", "keyword1": "团学干部"},
	}
	msgID, err := c.SendTemplate(context.Background(), tpl)
	if err != nil {
		t.Fatalf("SendTemplate: %v", err)
	}
	if msgID <= 0 {
		t.Fatalf("msgid = %d, want WeChat's id", msgID)
	}
	templatesMu.Lock()
	var got *wxfake.TemplateCall
	for i := range templates {
		if templates[i].AppID == cred.AppID {
			got = &templates[i]
		}
	}
	templatesMu.Unlock()
	if got == nil {
		t.Fatal("the fake recorded no template message for this app")
	}
	if got.MsgID != msgID || got.ToUser != tpl.ToUser || got.TemplateID != tpl.TemplateID ||
		got.URL != tpl.URL || got.ClientMsgID != tpl.ClientMsgID {
		t.Fatalf("fake recorded %+v, want %+v with msgid %d", *got, tpl, msgID)
	}
	if len(got.Data) != 2 || got.Data["first"] != tpl.Data["first"] || got.Data["keyword1"] != "团学干部" {
		t.Fatalf("fake recorded data %v, want %v", got.Data, tpl.Data)
	}
}

func TestSendTemplateErrorsCarryErrCode(t *testing.T) {
	for _, code := range []int{wxapi.CodeNotFollowing, wxapi.CodeQuotaExceeded} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			cred := newApp(t)
			c := newClient(t, cred, kvtest.Memory(t, nil))
			calls := mark()
			fake.FailNext(pathTemplate, code)
			_, err := sendOne(t, c)
			if err == nil {
				t.Fatalf("send succeeded despite errcode %d", code)
			}
			if got, ok := wxapi.ErrCode(err); !ok || got != code {
				t.Fatalf("ErrCode(%v) = %d, %v; want %d", err, got, ok, code)
			}
			var we *wxapi.Error
			if !errors.As(err, &we) || we.API != "message/template/send" {
				t.Fatalf("error %v is not a *wxapi.Error for message/template/send", err)
			}
			if n := len(calls(pathTemplate)); n != 1 {
				t.Fatalf("template send called %d times; errcode %d must not be retried", n, code)
			}
		})
	}
}

func TestOAuthOpenID(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	ctx := context.Background()
	code := fake.IssueCode(cred.AppID, "oStudent1")

	openID, err := c.OAuthOpenID(ctx, code)
	if err != nil || openID != "oStudent1" {
		t.Fatalf("OAuthOpenID = %q, %v; want oStudent1", openID, err)
	}
	_, err = c.OAuthOpenID(ctx, code)
	if got, ok := wxapi.ErrCode(err); !ok || got != wxapi.CodeOAuthCodeUsed {
		t.Fatalf("reused code: err %v (errcode %d), want 40163", err, got)
	}
	_, err = c.OAuthOpenID(ctx, "no-such-code")
	if got, ok := wxapi.ErrCode(err); !ok || got != wxapi.CodeInvalidOAuthCode {
		t.Fatalf("unknown code: err %v (errcode %d), want 40029", err, got)
	}
	// A code issued for another account is not valid here.
	other := newApp(t)
	_, err = c.OAuthOpenID(ctx, fake.IssueCode(other.AppID, "oX"))
	if got, _ := wxapi.ErrCode(err); got != wxapi.CodeInvalidOAuthCode {
		t.Fatalf("code of another app: err %v, want 40029", err)
	}
}

// Errors are logged by their callers: none may carry the AppSecret, the
// access token or the OAuth code that silenceper puts in its URLs.
func TestErrorsCarryNoSecrets(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	ctx := context.Background()
	token, err := c.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code := fake.IssueCode(cred.AppID, "oStudent1")
	calls := []struct {
		path, api string
		call      func() error
		secrets   []string
	}{
		{pathOAuth, "sns/oauth2/access_token", func() error { _, err := c.OAuthOpenID(ctx, code); return err }, []string{cred.Secret, code}},
		{pathTemplate, "message/template/send", func() error { _, err := sendOne(t, c); return err }, []string{token}},
	}
	for _, tc := range calls {
		t.Run(tc.api, func(t *testing.T) {
			failHTTP.Store(&tc.path)
			defer failHTTP.Store(nil)
			err := tc.call()
			if err == nil {
				t.Fatal("a 502 from the API was not an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.api) || !strings.Contains(msg, "=***") {
				t.Fatalf("error %q does not name the API with its secrets masked", msg)
			}
			for _, s := range tc.secrets {
				if strings.Contains(msg, s) {
					t.Fatalf("error carries a secret %q: %s", s, msg)
				}
			}
		})
	}
}

func TestCreateMenuPostsButtons(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	buttons := []*wxmenu.Button{
		{Name: "青年之声", SubButtons: []*wxmenu.Button{
			{Type: "view", Name: "主页", URL: "https://wx.example.org/h5/home"},
		}},
		{Type: "click", Name: "帮助", Key: "HELP_GUIDE"},
	}
	if err := c.CreateMenu(context.Background(), buttons); err != nil {
		t.Fatalf("CreateMenu: %v", err)
	}
	var got struct {
		Button []wxmenu.Button `json:"button"`
	}
	if err := json.Unmarshal(fake.Menu(cred.AppID), &got); err != nil {
		t.Fatalf("fake menu %s: %v", fake.Menu(cred.AppID), err)
	}
	if len(got.Button) != 2 || got.Button[0].Name != "青年之声" || len(got.Button[0].SubButtons) != 1 ||
		got.Button[0].SubButtons[0].URL != "https://wx.example.org/h5/home" ||
		got.Button[1].Type != "click" || got.Button[1].Key != "HELP_GUIDE" {
		t.Fatalf("fake menu = %+v", got)
	}
}

func TestCreateMenuRejectedByWeChat(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	four := make([]*wxmenu.Button, 4)
	for i := range four {
		four[i] = &wxmenu.Button{Type: "click", Name: fmt.Sprint(i), Key: fmt.Sprint(i)}
	}
	err := c.CreateMenu(context.Background(), four)
	if code, ok := wxapi.ErrCode(err); !ok || code != 40016 {
		t.Fatalf("CreateMenu with 4 buttons: %v, want errcode 40016", err)
	}
	if fake.Menu(cred.AppID) != nil {
		t.Fatal("a rejected menu was stored")
	}
}

func TestWrongSecretIsReported(t *testing.T) {
	cred := newApp(t)
	cred.Secret = "wrong"
	c := newClient(t, cred, kvtest.Memory(t, nil))
	_, err := c.AccessToken(context.Background())
	if code, ok := wxapi.ErrCode(err); !ok || code != 40125 {
		t.Fatalf("AccessToken with a wrong secret: %v, want errcode 40125", err)
	}
	_, err = sendOne(t, c)
	if code, _ := wxapi.ErrCode(err); code != 40125 {
		t.Fatalf("send with a wrong secret: %v, want errcode 40125", err)
	}
	if code, ok := wxapi.CredentialProblem(err); !ok || code != 40125 {
		t.Fatalf("CredentialProblem(%v) = %d, %v; want 40125, true", err, code, ok)
	}
}

// The token fetch's refusals that mean the setup is wrong are told apart
// from the same codes answered by other calls, and from passing trouble.
func TestCredentialProblems(t *testing.T) {
	t.Run("IP not whitelisted at the token fetch", func(t *testing.T) {
		c := newClient(t, newApp(t), kvtest.Memory(t, nil))
		fake.FailNext(pathStable, 40164)
		_, err := sendOne(t, c)
		if code, ok := wxapi.CredentialProblem(err); !ok || code != 40164 {
			t.Fatalf("CredentialProblem(%v) = %d, %v; want 40164, true", err, code, ok)
		}
		if hint, ok := wxapi.CredentialHint(40164); !ok || !strings.Contains(hint, "IP 白名单") {
			t.Fatalf("hint for 40164: %q", hint)
		}
	})
	t.Run("token fetch busy", func(t *testing.T) {
		c := newClient(t, newApp(t), kvtest.Memory(t, nil))
		fake.FailNext(pathStable, wxapi.CodeSystemBusy)
		_, err := sendOne(t, c)
		if code, ok := wxapi.ErrCode(err); !ok || code != wxapi.CodeSystemBusy {
			t.Fatalf("ErrCode(%v) = %d, %v; want -1", err, code, ok)
		}
		if _, ok := wxapi.CredentialProblem(err); ok {
			t.Fatalf("a busy token endpoint (%v) taken for a credential problem", err)
		}
	})
	t.Run("40001 from the send itself", func(t *testing.T) {
		c := newClient(t, newApp(t), kvtest.Memory(t, nil))
		fake.FailNext(pathTemplate, wxapi.CodeInvalidToken, wxapi.CodeInvalidToken)
		_, err := sendOne(t, c)
		if _, ok := wxapi.CredentialProblem(err); ok {
			t.Fatalf("a rejected token (%v) taken for a credential problem", err)
		}
	})
}

func TestErrCodeExtraction(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		ok   bool
	}{
		{fmt.Errorf("x: errcode=45009 , errmsg=reach max api daily quota limit"), 45009, true},
		{fmt.Errorf("wrapped: %w", &wxapi.Error{API: "a", Code: 43004}), 43004, true},
		{fmt.Errorf("errcode: -1"), -1, true},
		{fmt.Errorf("dial tcp: connection refused"), 0, false},
		{nil, 0, false},
	} {
		code, ok := wxapi.ErrCode(tc.err)
		if code != tc.code || ok != tc.ok {
			t.Errorf("ErrCode(%v) = %d, %v; want %d, %v", tc.err, code, ok, tc.code, tc.ok)
		}
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	if _, err := wxapi.New(wxapi.Credentials{AppID: "x"}, nil, servicetest.DiscardLog()); err == nil {
		t.Error("New without a store succeeded")
	}
	if _, err := wxapi.New(wxapi.Credentials{}, kvtest.Memory(t, nil), servicetest.DiscardLog()); err == nil {
		t.Error("New without an AppID succeeded")
	}
	if c, err := wxapi.NewCache(nil); err == nil || c != nil {
		t.Errorf("NewCache without a store: %v, %v; want an error", c, err)
	}
}

func TestCacheAdapter(t *testing.T) {
	kvtest.Each(t, func(t *testing.T, store kv.Store) {
		c, err := wxapi.NewCache(store)
		if err != nil {
			t.Fatal(err)
		}
		if v := c.Get("missing"); v != nil {
			t.Fatalf("Get on a miss = %#v, want nil", v)
		}
		if c.IsExist("missing") {
			t.Fatal("IsExist on a miss = true")
		}
		if err := c.Set("k", "v1", time.Minute); err != nil {
			t.Fatal(err)
		}
		v := c.Get("k")
		if s, ok := v.(string); !ok || s != "v1" {
			t.Fatalf("Get on a hit = %#v, want string \"v1\"", v)
		}
		if !c.IsExist("k") {
			t.Fatal("IsExist on a hit = false")
		}
		ttl, err := store.TTL(context.Background(), "k")
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Fatalf("TTL = %v, %v; want the timeout passed to Set", ttl, err)
		}
		if err := c.Delete("k"); err != nil {
			t.Fatal(err)
		}
		if v := c.Get("k"); v != nil {
			t.Fatalf("Get after Delete = %#v, want nil", v)
		}
		if err := c.Delete("never-set"); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	})
}

func TestConfigureAcceptsTrailingSlash(t *testing.T) {
	wxapi.Configure(fakeURL+"/", 5*time.Second)
	t.Cleanup(func() { wxapi.Configure(fakeURL, 5*time.Second) })
	cred := newApp(t)
	tok, err := newClient(t, cred, kvtest.Memory(t, nil)).AccessToken(context.Background())
	if err != nil || !strings.HasPrefix(tok, "FAKE_") {
		t.Fatalf("AccessToken with api base %q/: %q, %v", fakeURL, tok, err)
	}
}

// A send whose context is already done posts nothing, even with a cached
// token, and says the message was not sent.
func TestSendTemplateCancelledSendsNothing(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := mark()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.SendTemplate(ctx, wxapi.Template{ToUser: "openid-1", TemplateID: "TPL_REPLY"})
	if !errors.Is(err, wxapi.ErrNotSent) || !errors.Is(err, context.Canceled) {
		t.Fatalf("SendTemplate with a cancelled ctx: %v, want ErrNotSent and context.Canceled", err)
	}
	if n := len(calls(pathTemplate)); n != 0 {
		t.Fatalf("template send called %d times after cancellation", n)
	}
}

// Cancelling while the fresh token is fetched after a rejected token stops
// the fetch at once and sends nothing more.
func TestSendTemplateCancelledDuringTokenRetry(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := func(r *http.Request) {
		if r.URL.Path != pathStable {
			return
		}
		cancel()
		// Answer late, as a slow network would; a caller honouring ctx
		// has gone by then. (The server notices a closed connection only
		// once the body is read.)
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	}
	before.Store(&hook)
	defer before.Store(nil)
	calls := mark()
	fake.FailNext(pathTemplate, wxapi.CodeInvalidToken)
	start := time.Now()
	_, err := c.SendTemplate(ctx, wxapi.Template{ToUser: "openid-1", TemplateID: "TPL_REPLY"})
	if took := time.Since(start); took > time.Second {
		t.Errorf("SendTemplate took %v after cancellation", took)
	}
	if !errors.Is(err, wxapi.ErrNotSent) {
		t.Errorf("SendTemplate: %v, want ErrNotSent", err)
	}
	if sends := calls(pathTemplate); len(sends) != 1 || sends[0].ErrCode != wxapi.CodeInvalidToken {
		t.Errorf("template calls = %+v, want only the rejected one", sends)
	}
}

// The POST that sends the message is not abandoned when ctx is cancelled
// meanwhile: WeChat may accept it, and the caller must learn the msgid
// rather than send the message again.
func TestSendTemplateFinishesPostWhenCancelled(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := func(r *http.Request) {
		if r.URL.Path != pathTemplate {
			return
		}
		cancel()
		time.Sleep(100 * time.Millisecond)
	}
	before.Store(&hook)
	defer before.Store(nil)
	calls := mark()
	msgID, err := c.SendTemplate(ctx, wxapi.Template{ToUser: "openid-1", TemplateID: "TPL_REPLY"})
	if err != nil || msgID == 0 {
		t.Fatalf("SendTemplate cancelled mid-POST = %d, %v; want WeChat's msgid", msgID, err)
	}
	if sends := calls(pathTemplate); len(sends) != 1 || sends[0].ErrCode != 0 {
		t.Fatalf("template calls = %+v, want one accepted", sends)
	}
}

// SendTemplate says when its request may have delivered the message
// without WeChat's answer being read (ErrUnanswered), and only then: an
// errcode answer, a token fetch that failed before any POST, or a POST
// that never connected delivered nothing.
func TestSendTemplateUnanswered(t *testing.T) {
	cred := newApp(t)
	store := kvtest.Memory(t, nil)
	c := newClient(t, cred, store)
	t.Run("502 from a proxy", func(t *testing.T) {
		p := pathTemplate
		failHTTP.Store(&p)
		defer failHTTP.Store(nil)
		if _, err := sendOne(t, c); !errors.Is(err, wxapi.ErrUnanswered) {
			t.Fatalf("SendTemplate answered 502: %v, want ErrUnanswered", err)
		}
	})
	t.Run("errcode", func(t *testing.T) {
		fake.FailNext(pathTemplate, wxapi.CodeInvalidTemplate)
		if _, err := sendOne(t, c); err == nil || errors.Is(err, wxapi.ErrUnanswered) {
			t.Fatalf("SendTemplate answered 40037: %v, want an error that is not ErrUnanswered", err)
		}
	})
	t.Run("token fetch failed", func(t *testing.T) {
		p := pathStable
		failHTTP.Store(&p)
		defer failHTTP.Store(nil)
		fresh := newClient(t, newApp(t), kvtest.Memory(t, nil))
		if _, err := sendOne(t, fresh); err == nil || errors.Is(err, wxapi.ErrUnanswered) {
			t.Fatalf("SendTemplate without a token: %v, want an error that is not ErrUnanswered", err)
		}
	})
	t.Run("never connected", func(t *testing.T) {
		if _, err := c.AccessToken(context.Background()); err != nil {
			t.Fatal(err) // cached: the send below needs no token fetch
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + ln.Addr().String()
		ln.Close()
		wxapi.Configure(closed, 5*time.Second)
		defer wxapi.Configure(fakeURL, 5*time.Second)
		if _, err := sendOne(t, c); err == nil || errors.Is(err, wxapi.ErrUnanswered) {
			t.Fatalf("SendTemplate to a closed port: %v, want an error that is not ErrUnanswered", err)
		}
	})
}

const pathQRCode = "/cgi-bin/qrcode/create"

// A permanent string-scene code: the request is WeChat's, the answer's
// ticket and url come back, the same scene gives the same code, and a
// rejected token is replaced once as for every call.
func TestCreateLimitQRCode(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	ctx := context.Background()
	calls := mark()
	code, err := c.CreateLimitQRCode(ctx, "u-4144010590")
	if err != nil {
		t.Fatalf("CreateLimitQRCode: %v", err)
	}
	if code.Ticket == "" || !strings.HasPrefix(code.URL, "http://weixin.qq.com/q/") {
		t.Fatalf("code %+v", code)
	}
	sent := calls(pathQRCode)
	if len(sent) != 1 || !strings.Contains(sent[0].Body, `"action_name":"QR_LIMIT_STR_SCENE"`) ||
		!strings.Contains(sent[0].Body, `"scene_str":"u-4144010590"`) || strings.Contains(sent[0].Body, "expire_seconds") {
		t.Fatalf("qrcode/create calls %+v", sent)
	}
	fake.FailNext(pathQRCode, wxapi.CodeInvalidToken)
	again, err := c.CreateLimitQRCode(ctx, "u-4144010590")
	if err != nil || again != code {
		t.Fatalf("again after a rejected token: %+v %v, want %+v", again, err, code)
	}
	fake.FailNext(pathQRCode, wxapi.CodeQuotaExceeded)
	if _, err := c.CreateLimitQRCode(ctx, "u-4144010561"); err == nil {
		t.Fatal("quota: no error")
	} else if n, ok := wxapi.ErrCode(err); !ok || n != wxapi.CodeQuotaExceeded {
		t.Fatalf("quota: %v, want errcode 45009", err)
	}
	if _, err := c.CreateLimitQRCode(ctx, strings.Repeat("x", 65)); err == nil {
		t.Fatal("a 65-character scene was sent")
	}
}

// A temporary string-scene code: QR_STR_SCENE with expire_seconds, a new
// code every call, the granted lifetime back.
func TestCreateTempQRCode(t *testing.T) {
	cred := newApp(t)
	c := newClient(t, cred, kvtest.Memory(t, nil))
	ctx := context.Background()
	calls := mark()
	code, err := c.CreateTempQRCode(ctx, "login:tok", 5*time.Minute)
	if err != nil {
		t.Fatalf("CreateTempQRCode: %v", err)
	}
	if code.Ticket == "" || !strings.HasPrefix(code.URL, "http://weixin.qq.com/q/") || code.Expires != 5*time.Minute {
		t.Fatalf("code %+v", code)
	}
	sent := calls(pathQRCode)
	if len(sent) != 1 || !strings.Contains(sent[0].Body, `"action_name":"QR_STR_SCENE"`) ||
		!strings.Contains(sent[0].Body, `"scene_str":"login:tok"`) || !strings.Contains(sent[0].Body, `"expire_seconds":300`) {
		t.Fatalf("qrcode/create calls %+v", sent)
	}
	if again, err := c.CreateTempQRCode(ctx, "login:tok", 5*time.Minute); err != nil || again.URL == code.URL {
		t.Fatalf("a second temporary code %+v %v: want a new one", again, err)
	}
	if _, err := c.CreateTempQRCode(ctx, strings.Repeat("x", 65), time.Minute); err == nil {
		t.Fatal("a 65-character scene was sent")
	}
	if _, err := c.CreateTempQRCode(ctx, "login:tok", time.Second); err == nil {
		t.Fatal("a one-second code was asked for")
	}
}
