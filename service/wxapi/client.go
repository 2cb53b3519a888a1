// Package wxapi is the service's WeChat official-account API client: a thin
// layer over silenceper/wechat that shares the access token through the kv
// store (so every instance uses one token), uses the stable-token endpoint,
// and retries once with a fresh token when WeChat says the token is bad.
package wxapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/officialaccount"
	"github.com/silenceper/wechat/v2/officialaccount/basic"
	oaconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/menu"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/gdyouth/youthvoice/service/kv"
)

// WeChat's origin for API calls.
const officialBase = "https://api.weixin.qq.com"

// Errcodes the service reacts to.
const (
	CodeSystemBusy       = -1
	CodeInvalidToken     = 40001
	CodeInvalidOpenID    = 40003
	CodeInvalidTemplate  = 40037
	CodeTokenExpired     = 42001
	CodeNotFollowing     = 43004
	CodeUserRefused      = 43101
	CodeQuotaExceeded    = 45009
	CodeInvalidArgs      = 47003
	CodeInvalidOAuthCode = 40029
	CodeOAuthCodeUsed    = 40163
)

// apiStableToken names the access-token fetch in errors (Error.API).
const apiStableToken = "stable_token"

// credentialHints explains the errcodes of the access-token fetch that no
// retry will fix: the AppID, the AppSecret or the server's IP address is
// wrong for the account.
var credentialHints = map[int]string{
	40001: "AppSecret 错误或不属于该公众号",
	40013: "AppID 无效",
	40125: "AppSecret 无效",
	40164: "服务器 IP 不在公众号的 IP 白名单中",
	40243: "AppSecret 已被冻结",
	41002: "缺少 AppID",
	41004: "缺少 AppSecret",
	89503: "服务器 IP 调用接口需要公众号管理员确认",
}

// CredentialHint explains code when it is one of the access-token
// fetch's credential errcodes.
func CredentialHint(code int) (string, bool) {
	h, ok := credentialHints[code]
	return h, ok
}

// TokenQuota reports whether err is the access-token fetch's own daily
// quota (45009 from the stable-token endpoint) rather than the quota of
// the call that needed the token.
func TokenQuota(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.API == apiStableToken && e.Code == CodeQuotaExceeded
}

// CredentialProblem reports whether err is WeChat refusing to issue an
// access token for the account's credentials (see CredentialHint), and
// the errcode. Every call needing a token fails the same way until the
// configuration or the IP whitelist is fixed.
func CredentialProblem(err error) (int, bool) {
	var e *Error
	if !errors.As(err, &e) || e.API != apiStableToken {
		return 0, false
	}
	_, ok := credentialHints[e.Code]
	return e.Code, ok
}

// Error is an errcode answer from WeChat.
type Error struct {
	API  string
	Code int
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("微信接口 %s 返回 errcode=%d errmsg=%s", e.API, e.Code, e.Msg)
}

// ErrCode extracts WeChat's errcode from an error, whichever way the
// library reported it.
func ErrCode(err error) (int, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode), true
	}
	if err != nil {
		if m := errcodeRE.FindStringSubmatch(err.Error()); m != nil {
			n, convErr := strconv.Atoi(m[1])
			if convErr == nil {
				return n, true
			}
		}
	}
	return 0, false
}

var errcodeRE = regexp.MustCompile(`errcode\s*[=:]\s*(-?\d+)`)

// wrap turns library errors with an errcode into *Error. Either way the
// text loses the secrets the library puts in its URLs (AppSecret, access
// token, OAuth code): callers log these errors.
func wrap(api string, err error) error {
	if err == nil {
		return nil
	}
	if code, ok := ErrCode(err); ok {
		var e *Error
		if errors.As(err, &e) {
			return err
		}
		return &Error{API: api, Code: code, Msg: redactURLSecrets(err.Error())}
	}
	return fmt.Errorf("微信接口 %s 调用失败: %w", api, redacted{err})
}

// urlSecretRE finds query parameters that carry credentials.
var urlSecretRE = regexp.MustCompile(`(?i)\b(secret|appsecret|access_token|refresh_token|code)=[^&\s"'<>]*`)

func redactURLSecrets(s string) string { return urlSecretRE.ReplaceAllString(s, "$1=***") }

// redacted is err with the secrets of its text masked; errors.Is and As
// still see err.
type redacted struct{ err error }

func (r redacted) Error() string { return redactURLSecrets(r.err.Error()) }
func (r redacted) Unwrap() error { return r.err }

// Configure points silenceper's process-wide HTTP layer at apiBase and gives
// it a timeout. Call it once at start (the library keeps these globally).
func Configure(apiBase string, timeout time.Duration) {
	// Keep a connection per concurrent caller: with net/http's default of
	// 2 idle connections per host, 8 outbox workers open a new connection
	// (a TLS handshake, a TIME_WAIT socket) for about every other send.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64 // YV_ALERT_WORKERS is at most 64
	util.DefaultHTTPClient = &http.Client{Timeout: timeout, Transport: t}
	base := strings.TrimRight(apiBase, "/")
	if base == "" || base == officialBase {
		util.SetURIModifier(nil)
		return
	}
	util.SetURIModifier(func(uri string) string {
		if strings.HasPrefix(uri, officialBase) {
			return base + strings.TrimPrefix(uri, officialBase)
		}
		return uri
	})
}

// Client calls WeChat on behalf of one official account.
type Client struct {
	oa       *officialaccount.OfficialAccount
	store    kv.Store
	appID    string
	tokenKey string
	log      *slog.Logger
}

// Credentials identify the official account.
type Credentials struct {
	AppID  string
	Secret string
	Token  string
	AESKey string
}

// New builds a client whose access token lives in store.
func New(cred Credentials, store kv.Store, log *slog.Logger) (*Client, error) {
	if store == nil || log == nil {
		return nil, errors.New("wxapi.New: store and log are required")
	}
	if cred.AppID == "" {
		return nil, errors.New("wxapi.New: AppID is required")
	}
	cache, err := NewCache(store)
	if err != nil {
		return nil, err
	}
	oa := officialaccount.NewOfficialAccount(&oaconfig.Config{
		AppID:          cred.AppID,
		AppSecret:      cred.Secret,
		Token:          cred.Token,
		EncodingAESKey: cred.AESKey,
		Cache:          cache,
		UseStableAK:    true,
	})
	return &Client{
		oa:    oa,
		store: store,
		appID: cred.AppID,
		// The key silenceper's StableAccessToken caches the token under.
		tokenKey: fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyOfficialAccountPrefix, cred.AppID),
		log:      log,
	}, nil
}

// OfficialAccount exposes the library object (the callback server uses it).
func (c *Client) OfficialAccount() *officialaccount.OfficialAccount { return c.oa }

// AccessToken returns the shared access token, fetching one if needed.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	tok, err := c.oa.GetAccessTokenContext(ctx)
	return tok, wrap(apiStableToken, err)
}

// withToken runs call with the shared access token; when WeChat rejects the
// token (40001/42001) it drops the cached token only if it is still the one
// that failed (another instance may already have refreshed it) and runs
// call once more with a fresh one.
func (c *Client) withToken(ctx context.Context, api string, call func(token string) error) error {
	used, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	err = wrap(api, call(used))
	code, ok := ErrCode(err)
	if !ok || (code != CodeInvalidToken && code != CodeTokenExpired) {
		return err
	}
	dropped, derr := c.store.CompareAndDelete(ctx, c.tokenKey, used)
	if derr != nil {
		return fmt.Errorf("清除失效的 access_token 失败: %w", derr)
	}
	c.log.WarnContext(ctx, "wechat rejected the access token; retrying once",
		"api", api, "errcode", code, "dropped_cached_token", dropped)
	fresh, err := c.AccessToken(ctx)
	if err != nil {
		return err
	}
	return wrap(api, call(fresh))
}

// CreateMenu replaces the custom menu.
func (c *Client) CreateMenu(ctx context.Context, buttons []*menu.Button) error {
	m := c.oa.GetMenu()
	// SetMenu reads the (cached) token itself.
	return c.withToken(ctx, "menu/create", func(string) error { return m.SetMenu(buttons) })
}

// Template is one template message to send.
type Template struct {
	ToUser      string
	TemplateID  string
	URL         string
	Data        map[string]string
	ClientMsgID string
}

// ErrNotSent marks a SendTemplate error that certainly did not deliver the
// message: ctx was done before any request that could have delivered it
// was made (or the only such request got WeChat's errcode answer). The
// caller may hand the message to someone else at once.
var ErrNotSent = errors.New("模板消息未发送")

// ErrUnanswered marks a SendTemplate error after a request that may have
// delivered the message: it was sent, or may have been, but WeChat's
// answer was not read (a timeout, a reset connection, a proxy's error
// page). Sending the message again may deliver it twice, unless WeChat
// drops the repeat: same openid and client_msg_id, within 10 minutes.
// A request that never connected is not unanswered.
var ErrUnanswered = errors.New("模板消息请求已发出，但没有收到微信的应答")

// templateSendURL is silenceper's message.templateSendURL.
const templateSendURL = officialBase + "/cgi-bin/message/template/send"

// SendTemplate sends a template message and returns WeChat's msgid.
//
// It honours ctx up to the send itself: the token fetch (and, after a
// rejected token, the fresh token's fetch) stop when ctx is done, and a
// cancelled ctx stops it before it posts, with an error wrapping
// ErrNotSent and ctx.Err(). The POST that sends the message is not
// cancelled: WeChat may already have accepted a message whose request we
// abandon, and its caller could not tell whether to send it again, so it
// finishes (within the HTTP client's timeout, see Configure) and its
// outcome is returned.
func (c *Client) SendTemplate(ctx context.Context, t Template) (int64, error) {
	msg := &message.TemplateMessage{
		ToUser:      t.ToUser,
		TemplateID:  t.TemplateID,
		URL:         t.URL,
		ClientMsgID: t.ClientMsgID,
		Data:        make(map[string]*message.TemplateDataItem, len(t.Data)),
	}
	for k, v := range t.Data {
		msg.Data[k] = &message.TemplateDataItem{Value: v}
	}
	var (
		id int64
		// maybeSent: the last POST ended without an answer from WeChat,
		// so it may have delivered the message.
		maybeSent bool
	)
	err := c.withToken(ctx, "message/template/send", func(token string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			answered bool
			err      error
		)
		id, answered, err = postTemplate(context.WithoutCancel(ctx), token, msg)
		maybeSent = !answered
		return err
	})
	if err != nil && maybeSent && neverConnected(err) {
		maybeSent = false // nothing left this machine
	}
	switch {
	case err != nil && maybeSent:
		return 0, fmt.Errorf("%w: %w", ErrUnanswered, err)
	case err != nil && ctx.Err() != nil:
		return 0, fmt.Errorf("%w: %w", ErrNotSent, err)
	}
	return id, err
}

// neverConnected reports whether err is a request's failure to connect
// (a refused connection, an unknown host): nothing of it reached WeChat.
func neverConnected(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// postTemplate is silenceper's (*message.Template).Send with a context and
// a given token (the library's Send takes neither). answered reports that
// WeChat's reply was read.
func postTemplate(ctx context.Context, token string, msg *message.TemplateMessage) (msgID int64, answered bool, err error) {
	body, err := util.PostJSONContext(ctx, templateSendURL+"?access_token="+url.QueryEscape(token), msg)
	if err != nil {
		return 0, false, err
	}
	var res struct {
		util.CommonError
		MsgID int64 `json:"msgid"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, false, fmt.Errorf("template msg send: bad reply: %w", err)
	}
	if res.ErrCode != 0 {
		return 0, true, &Error{API: "message/template/send", Code: int(res.ErrCode), Msg: res.ErrMsg}
	}
	return res.MsgID, true, nil
}

// OAuthOpenID exchanges a web-authorization code for the user's openid.
func (c *Client) OAuthOpenID(ctx context.Context, code string) (string, error) {
	res, err := c.oa.GetOauth().GetUserAccessTokenContext(ctx, code)
	if err != nil {
		return "", wrap("sns/oauth2/access_token", err)
	}
	return res.OpenID, nil
}

// QRCode is a parametric QR code WeChat created: its ticket and the URL
// the code encodes (rendered locally, see service/promotion). Expires is
// a temporary code's lifetime as WeChat granted it (0 for a permanent one).
type QRCode struct {
	Ticket  string
	URL     string
	Expires time.Duration
}

// CreateLimitQRCode creates (or, for a scene it has seen, gives again)
// the permanent QR code of a string scene (qrcode/create with
// QR_LIMIT_STR_SCENE; scenes are 1–64 characters, at most 100,000 per
// account). A follow through it reaches the callback as a subscribe with
// EventKey "qrscene_"+scene, a scan by a follower as SCAN with scene.
func (c *Client) CreateLimitQRCode(ctx context.Context, scene string) (QRCode, error) {
	if scene == "" || len(scene) > 64 {
		return QRCode{}, fmt.Errorf("二维码场景值须为 1–64 个字符: %q", scene)
	}
	b := c.oa.GetBasic()
	var out QRCode
	// GetQRTicket reads the (cached) token itself, like SetMenu.
	err := c.withToken(ctx, "qrcode/create", func(string) error {
		t, err := b.GetQRTicket(basic.NewLimitQrRequest(scene))
		if err != nil {
			return err
		}
		if t.URL == "" || t.Ticket == "" {
			return fmt.Errorf("qrcode/create: 应答缺少 ticket 或 url")
		}
		out = QRCode{Ticket: t.Ticket, URL: t.URL}
		return nil
	})
	return out, err
}

// CreateTempQRCode creates a temporary QR code of a string scene that
// expires after expire (qrcode/create with QR_STR_SCENE and
// expire_seconds; at most 30 days). Unlike permanent codes every call
// gives a new code, and they do not count against the 100,000 limit. A
// follow through it reaches the callback as a subscribe with EventKey
// "qrscene_"+scene, a scan by a follower as SCAN with scene.
func (c *Client) CreateTempQRCode(ctx context.Context, scene string, expire time.Duration) (QRCode, error) {
	if scene == "" || len(scene) > 64 {
		return QRCode{}, fmt.Errorf("二维码场景值须为 1–64 个字符: %q", scene)
	}
	if expire < time.Minute || expire > 30*24*time.Hour {
		return QRCode{}, fmt.Errorf("临时二维码有效期须为 1 分钟–30 天: %s", expire)
	}
	b := c.oa.GetBasic()
	var out QRCode
	err := c.withToken(ctx, "qrcode/create", func(string) error {
		t, err := b.GetQRTicket(basic.NewTmpQrRequest(expire, scene))
		if err != nil {
			return err
		}
		if t.URL == "" || t.Ticket == "" {
			return fmt.Errorf("qrcode/create: 应答缺少 ticket 或 url")
		}
		out = QRCode{Ticket: t.Ticket, URL: t.URL, Expires: time.Duration(t.ExpireSeconds) * time.Second}
		return nil
	})
	return out, err
}
