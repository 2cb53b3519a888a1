// Package scanlogin signs admins in on a PC by scanning with WeChat
// (扫码登录): the PC's login page gets a temporary parametric QR code whose
// scene names a login ticket; the admin's bound WeChat scans it (a SCAN
// or subscribe push to the callback), confirms on the phone, and the PC's
// next poll receives the session.
//
// A ticket lives in the kv store (shared by all instances) for five
// minutes. It is bound to the PC browser by a second secret kept in that
// browser's HttpOnly cookie: someone who only sees the QR code (or its
// scene) cannot collect the session. The phone that confirms must be the
// WeChat that scanned, reached through OAuth. The confirmed ticket is
// spent by the PC's poll (single use).
package scanlogin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/wxapi"
)

// TTL is how long a login QR code (and its ticket) lives.
const TTL = 5 * time.Minute

// ScenePrefix starts the scene of a login QR code: "login:" + token
// (49 characters, within WeChat's 64).
const ScenePrefix = "login:"

// ConfirmPath is the phone's confirmation page (?t=token).
const ConfirmPath = "/h5/login/scan/confirm"

// SessionIdle is the idle expiry of an admin session begun by a scan (at
// least the admins' password one): the bound WeChat is stronger proof
// than a password, and a working day at the PC needs no second scan.
const SessionIdle = 8 * time.Hour

// States of a ticket, as the PC's poll reports them.
const (
	StatePending   = "pending"   // waiting for a scan
	StateScanned   = "scanned"   // scanned by an admin's WeChat; confirm on the phone
	StateConfirmed = "confirmed" // confirmed: the poll that sees it gets the session
	StateRefused   = "refused"   // scanned by a WeChat that may not sign in, or cancelled
	StateExpired   = "expired"   // past TTL, spent, or unknown
)

// QRCreator creates temporary QR codes (wxapi.Client).
type QRCreator interface {
	CreateTempQRCode(ctx context.Context, scene string, expire time.Duration) (wxapi.QRCode, error)
}

// Options tune the service; zero values take defaults.
type Options struct {
	// PublicURL is the origin of the confirmation link sent to the phone.
	PublicURL string
	// MaxPerIP bounds the codes one client IP may create per Window
	// (default 30 per 10 minutes: a page left open refreshes every five).
	MaxPerIP int
	Window   time.Duration
}

// Service keeps the tickets.
type Service struct {
	accounts  *account.Service
	store     kv.Store
	clock     clock.Clock
	qr        QRCreator
	log       *slog.Logger
	publicURL string
	maxPerIP  int
	window    time.Duration
}

// New builds the service.
func New(accounts *account.Service, store kv.Store, clk clock.Clock, qr QRCreator, log *slog.Logger, o Options) (*Service, error) {
	if accounts == nil || store == nil || clk == nil || qr == nil || log == nil {
		return nil, errors.New("scanlogin.New: nil dependency")
	}
	if o.MaxPerIP <= 0 {
		o.MaxPerIP = 30
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Minute
	}
	return &Service{accounts: accounts, store: store, clock: clk, qr: qr, log: log,
		publicURL: strings.TrimRight(o.PublicURL, "/"), maxPerIP: o.MaxPerIP, window: o.Window}, nil
}

// ticket is what the store keeps under a token's hash.
type ticket struct {
	State     string    `json:"st"`
	Browser   string    `json:"b"` // hash of the PC browser's secret
	QRURL     string    `json:"q"`
	IP        string    `json:"ip,omitempty"`
	UA        string    `json:"ua,omitempty"`
	OpenID    string    `json:"o,omitempty"`
	UserID    uint64    `json:"u,omitempty"`
	CreatedAt time.Time `json:"c"`
	ExpiresAt time.Time `json:"e"`
}

// Started is a new ticket: the token the PC page polls with, and the URL
// its QR code encodes.
type Started struct {
	Token     string
	QRURL     string
	ExpiresAt time.Time
}

// Status is what the PC's poll learns; User is set when StateConfirmed
// (the caller starts the session for them).
type Status struct {
	State     string
	ExpiresAt time.Time
	User      *model.User
}

// Request is the login the phone is asked to confirm.
type Request struct {
	Token     string
	Account   string
	IP        string
	Browser   string // a summary of the PC's User-Agent
	CreatedAt time.Time
	ExpiresAt time.Time
}

var (
	errExpired = service.Invalid("scan_login_expired", "二维码已过期，请在电脑上刷新二维码后重新扫描", nil)
	errBrowser = service.Forbidden("scan_login_browser", "二维码不是在当前浏览器中生成的，请刷新二维码")
	errOther   = service.Forbidden("scan_login_other_wechat", "请使用扫描该二维码的微信确认登录")
	errBusy    = &service.Error{Kind: service.ErrUnavailable, Code: "scan_login_busy", Message: "操作过于频繁，请稍后重试"}
)

// grace keeps a ticket in the store past its expiry, so that a poll just
// after it still reads "expired" with its browser checked.
const grace = time.Minute

func ticketKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return "scanlogin:t:" + hex.EncodeToString(h[:])
}

func browserTag(browser string) string {
	h := sha256.Sum256([]byte("scanlogin-browser\x00" + browser))
	return hex.EncodeToString(h[:])
}

// validToken reports a token as NewToken makes them (43 URL-safe
// characters): anything else is not looked up.
func validToken(token string) bool {
	if len(token) != 43 {
		return false
	}
	return strings.IndexFunc(token, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
	}) < 0
}

// TokenOfScene returns the ticket token of a login QR code's scene, as
// WeChat pushes it: "login:<token>" on SCAN, "qrscene_login:<token>" on
// subscribe.
func TokenOfScene(eventKey string) (string, bool) {
	tok, ok := strings.CutPrefix(strings.TrimPrefix(eventKey, "qrscene_"), ScenePrefix)
	return tok, ok
}

// IsScene reports a login QR code's scene (valid or not): such a key is
// never a promotion attribution and is never stored as it came.
func IsScene(eventKey string) bool {
	return strings.HasPrefix(strings.TrimPrefix(eventKey, "qrscene_"), ScenePrefix)
}

// Start creates a ticket and its QR code for the PC browser whose secret
// is browser (kept in its cookie); ip and userAgent are shown on the
// phone. Creation is limited per client IP.
func (s *Service) Start(ctx context.Context, browser, clientIP, userAgent string) (Started, error) {
	if len(browser) < 32 {
		return Started{}, errors.New("scanlogin.Start: browser secret too short")
	}
	// A fixed window on the service's clock: the key names the window.
	window := s.clock.Now().UnixNano() / int64(s.window)
	n, err := s.store.Incr(ctx, "scanlogin:ip:"+clientIP+":"+strconv.FormatInt(window, 10), s.window)
	if err != nil {
		return Started{}, fmt.Errorf("二维码限流计数失败: %w", err)
	}
	if n > int64(s.maxPerIP) {
		s.log.WarnContext(ctx, "scan login codes throttled", "ip", clientIP)
		return Started{}, service.TooMany("scan_login_too_many", "生成二维码过于频繁，请稍后再试")
	}
	token := session.NewToken()
	code, err := s.qr.CreateTempQRCode(ctx, ScenePrefix+token, TTL)
	if err != nil {
		s.log.ErrorContext(ctx, "creating a login QR code failed", "err", err)
		return Started{}, &service.Error{Kind: service.ErrUnavailable, Code: "scan_login_unavailable",
			Message: "暂时无法生成登录二维码，请稍后重试或使用账号密码登录"}
	}
	now := s.clock.Now().UTC()
	t := ticket{State: StatePending, Browser: browserTag(browser), QRURL: code.URL, IP: clip(clientIP, 64),
		UA: clip(userAgent, 300), CreatedAt: now, ExpiresAt: now.Add(TTL)}
	if err := s.put(ctx, token, t); err != nil {
		return Started{}, err
	}
	s.log.InfoContext(ctx, "scan login code created", "ip", clientIP)
	return Started{Token: token, QRURL: code.URL, ExpiresAt: t.ExpiresAt}, nil
}

// QRURL returns what the ticket's QR code encodes, for the browser that
// created it (the page draws it).
func (s *Service) QRURL(ctx context.Context, token, browser string) (string, error) {
	t, _, err := s.get(ctx, token)
	if err != nil {
		return "", err
	}
	if !sameBrowser(t, browser) {
		return "", errBrowser
	}
	if s.expired(t) {
		return "", errExpired
	}
	return t.QRURL, nil
}

// Poll reports the ticket's state to the PC browser that created it. A
// confirmed ticket is spent by the first poll that sees it, which gets
// the user to start the session for (Status.User); every later poll finds
// it expired.
func (s *Service) Poll(ctx context.Context, token, browser string) (Status, error) {
	t, raw, err := s.get(ctx, token)
	if errors.Is(err, service.ErrInvalid) {
		return Status{State: StateExpired}, nil
	}
	if err != nil {
		return Status{}, err
	}
	if !sameBrowser(t, browser) {
		return Status{}, errBrowser
	}
	st := Status{State: t.State, ExpiresAt: t.ExpiresAt}
	if t.State != StateConfirmed {
		if s.expired(t) {
			st.State = StateExpired
		}
		return st, nil
	}
	// Spend it: of two polls (or a replay) only one deletes this value.
	won, err := s.store.CompareAndDelete(ctx, ticketKey(token), raw)
	if err != nil {
		return Status{}, fmt.Errorf("读取登录二维码失败: %w", err)
	}
	if !won {
		return Status{State: StateExpired}, nil
	}
	u, err := s.accounts.UserByID(ctx, t.UserID)
	switch {
	case errors.Is(err, service.ErrNotFound):
		return Status{State: StateRefused}, nil
	case err != nil:
		return Status{}, err
	}
	// The account may have changed since the scan: still an admin, still
	// bound to the WeChat that confirmed.
	if !account.IsAdmin(u) || u.OpenID == nil || *u.OpenID != t.OpenID {
		s.log.WarnContext(ctx, "scan login refused at completion: no longer an admin bound to the scanning WeChat", "user_id", u.ID)
		return Status{State: StateRefused}, nil
	}
	if err := s.accounts.RecordScanSignIn(ctx, u, t.OpenID); err != nil {
		return Status{}, err
	}
	s.completed(ctx, t, u)
	st.User = &u
	return st, nil
}

// completed is where a scan login ends: the ticket is spent, the audit
// trail has the sign-in, and the PC browser is about to receive a session
// for u.
func (s *Service) completed(ctx context.Context, t ticket, u model.User) {
	s.log.InfoContext(ctx, "admin signed in by WeChat scan", "user_id", u.ID, "ip", t.IP,
		"after", s.clock.Now().Sub(t.CreatedAt).Round(time.Second).String())
}

// Scan handles a push of a login QR code's scene by openid: the reply to
// the phone, and whether eventKey was a login scene at all (ok false:
// not this package's push). Only a WeChat bound to a province or
// university admin moves the ticket on; others refuse it (the PC shows
// 登录失败, nothing about why).
func (s *Service) Scan(ctx context.Context, openid, eventKey string) (reply string, ok bool, err error) {
	token, isLogin := TokenOfScene(eventKey)
	if !isLogin {
		return "", false, nil
	}
	const expired = "该登录二维码已过期，请在电脑上点「刷新二维码」后重新扫描。"
	if !validToken(token) {
		return expired, true, nil
	}
	err = s.locked(ctx, token, func(t *ticket) error {
		switch {
		case s.expired(*t):
			reply = expired
			return nil
		case t.State == StateScanned && t.OpenID == openid:
			// Scanned again: the same link again.
			reply = s.confirmText(token, t)
			return nil
		case t.State != StatePending:
			reply = "该登录二维码已被使用，请在电脑上点「刷新二维码」后重新扫描。"
			return nil
		}
		u, err := s.accounts.UserByOpenID(ctx, openid)
		switch {
		case errors.Is(err, service.ErrNotFound):
			t.State, t.OpenID = StateRefused, openid
			reply = "该微信尚未绑定账号，不能登录管理后台。管理员请先在公众号菜单中激活并绑定自己的账号，再扫码登录。"
			s.log.InfoContext(ctx, "scan login refused: WeChat not bound")
			return nil
		case err != nil:
			return err
		case !account.IsAdmin(u):
			t.State, t.OpenID = StateRefused, openid
			reply = "扫码登录仅供省级管理员和高校团委管理员使用，你的账号不能登录管理后台。"
			s.log.InfoContext(ctx, "scan login refused: not an admin", "user_id", u.ID)
			return nil
		}
		t.State, t.OpenID, t.UserID = StateScanned, openid, u.ID
		reply = s.confirmText(token, t)
		s.log.InfoContext(ctx, "scan login code scanned", "user_id", u.ID)
		return nil
	})
	if errors.Is(err, service.ErrInvalid) {
		return expired, true, nil
	}
	return reply, true, err
}

func (s *Service) confirmText(token string, t *ticket) string {
	link := s.publicURL + ConfirmPath + "?t=" + url.QueryEscape(token)
	return "你正在电脑上登录广东青年之声管理后台（IP " + t.IP + "）。请点击 <a href=\"" + link +
		"\">确认登录</a>，在手机上确认后电脑即登录。如非本人操作，请忽略本消息。"
}

// Pending returns the login openid scanned, for the phone to confirm.
func (s *Service) Pending(ctx context.Context, token, openid string) (Request, error) {
	t, _, err := s.get(ctx, token)
	if err != nil {
		return Request{}, err
	}
	if err := s.confirmable(t, openid); err != nil {
		return Request{}, err
	}
	u, err := s.accounts.UserByID(ctx, t.UserID)
	if err != nil {
		return Request{}, service.Wrap("查询账号", err)
	}
	return Request{Token: token, Account: u.Account, IP: t.IP, Browser: Summary(t.UA), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}, nil
}

// confirmable checks that openid may answer t on the phone.
func (s *Service) confirmable(t ticket, openid string) error {
	switch {
	case s.expired(t):
		return errExpired
	case openid == "" || t.OpenID != openid:
		return errOther
	case t.State == StateConfirmed:
		return service.Conflict("scan_login_done", "已确认登录，请查看电脑", nil)
	case t.State == StateRefused:
		return service.Forbidden("scan_login_refused", "本次登录已取消或不被允许，请在电脑上刷新二维码")
	case t.State != StateScanned:
		return errExpired
	}
	return nil
}

// Confirm is the phone's 确认登录: the PC's next poll signs in.
func (s *Service) Confirm(ctx context.Context, token, openid string) error {
	return s.answer(ctx, token, openid, StateConfirmed)
}

// Cancel is the phone's 取消: the PC shows 登录失败.
func (s *Service) Cancel(ctx context.Context, token, openid string) error {
	return s.answer(ctx, token, openid, StateRefused)
}

func (s *Service) answer(ctx context.Context, token, openid, state string) error {
	return s.locked(ctx, token, func(t *ticket) error {
		if err := s.confirmable(*t, openid); err != nil {
			return err
		}
		t.State = state
		s.log.InfoContext(ctx, "scan login answered on the phone", "user_id", t.UserID, "state", state)
		return nil
	})
}

func sameBrowser(t ticket, browser string) bool {
	return subtle.ConstantTimeCompare([]byte(t.Browser), []byte(browserTag(browser))) == 1
}

func (s *Service) expired(t ticket) bool { return !s.clock.Now().Before(t.ExpiresAt) }

// get reads a ticket; an invalid, unknown or vanished token is errExpired.
func (s *Service) get(ctx context.Context, token string) (ticket, string, error) {
	if !validToken(token) {
		return ticket{}, "", errExpired
	}
	raw, err := s.store.Get(ctx, ticketKey(token))
	if errors.Is(err, kv.ErrMiss) {
		return ticket{}, "", errExpired
	}
	if err != nil {
		return ticket{}, "", fmt.Errorf("读取登录二维码失败: %w", err)
	}
	var t ticket
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return ticket{}, "", errExpired
	}
	return t, raw, nil
}

func (s *Service) put(ctx context.Context, token string, t ticket) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := s.store.Set(ctx, ticketKey(token), string(raw), TTL+grace); err != nil {
		return fmt.Errorf("保存登录二维码失败: %w", err)
	}
	return nil
}

// locked applies change to the ticket under a short lock shared by all
// instances, so a scan and a confirmation (or two scans) never overwrite
// each other; the ticket is written back only if it still exists.
func (s *Service) locked(ctx context.Context, token string, change func(*ticket) error) error {
	if !validToken(token) {
		return errExpired
	}
	lock := ticketKey(token) + ":lock"
	mark := session.NewToken()
	for i := 0; ; i++ {
		won, err := s.store.SetNX(ctx, lock, mark, 5*time.Second)
		if err != nil {
			return fmt.Errorf("登录二维码加锁失败: %w", err)
		}
		if won {
			break
		}
		if i == 50 {
			return errBusy
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer func() { _, _ = s.store.CompareAndDelete(context.WithoutCancel(ctx), lock, mark) }()
	t, _, err := s.get(ctx, token)
	if err != nil {
		return err
	}
	before := t
	if err := change(&t); err != nil {
		return err
	}
	if t == before {
		return nil
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if _, err := s.store.SetXX(ctx, ticketKey(token), string(raw), TTL+grace); err != nil {
		return fmt.Errorf("保存登录二维码失败: %w", err)
	}
	return nil
}

// Summary names the browser and system of a User-Agent, for the phone to
// show which PC is signing in (「Chrome · Windows」).
func Summary(ua string) string {
	browser := "未知浏览器"
	for _, b := range []struct{ key, name string }{
		{"MicroMessenger", "微信"}, {"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.key) {
			browser = b.name
			break
		}
	}
	system := "未知系统"
	for _, o := range []struct{ key, name string }{
		{"Windows", "Windows"}, {"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.key) {
			system = o.name
			break
		}
	}
	return browser + " · " + system
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
