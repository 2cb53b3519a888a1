// Package session keeps server-side sessions and single-use OAuth states
// in the kv store (Redis in production), so any instance can serve any
// request.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// Session is what the server remembers about a browser.
type Session struct {
	UserID    uint64    `json:"uid,omitempty"`
	OpenID    string    `json:"oid,omitempty"` // from WeChat OAuth, when opened inside WeChat
	CreatedAt time.Time `json:"c"`
	SeenAt    time.Time `json:"s"`
	// CSRF is the session's anti-forgery token: a new one with every
	// session, so it changes at login, and it lives only here, so a
	// cookie an attacker plants cannot match it.
	CSRF string `json:"x,omitempty"`
	// Via is how the session began (ViaPassword, ViaScan; empty for a
	// WeChat authorization or a session stored before it was recorded).
	Via string `json:"v,omitempty"`
	// Idle, when set, is this session's own inactivity expiry instead of
	// the store's: an admin signed in with only a password idles out
	// sooner than everyone else.
	Idle time.Duration `json:"i,omitempty"`
}

// How a session began (Session.Via).
const (
	ViaPassword = "password"
	ViaScan     = "scan"
)

// IdleOf is sess's inactivity expiry: its own, or the store's.
func (s *Store) IdleOf(sess Session) time.Duration {
	if sess.Idle > 0 {
		return sess.Idle
	}
	return s.idle
}

// Store manages sessions.
type Store struct {
	kv       kv.Store
	clock    clock.Clock
	idle     time.Duration
	absolute time.Duration
}

// Defaults for session lifetimes.
const (
	DefaultIdle     = 7 * 24 * time.Hour
	DefaultAbsolute = 30 * 24 * time.Hour
	stateTTL        = 10 * time.Minute
)

// New returns a session store; idle is the inactivity expiry, absolute the
// maximum age.
func New(store kv.Store, clk clock.Clock, idle, absolute time.Duration) (*Store, error) {
	if store == nil || clk == nil {
		return nil, errors.New("session.New: nil dependency")
	}
	if idle <= 0 {
		idle = DefaultIdle
	}
	if absolute <= 0 {
		absolute = DefaultAbsolute
	}
	return &Store{kv: store, clock: clk, idle: idle, absolute: absolute}, nil
}

// Idle returns the inactivity expiry (the cookie's Max-Age).
func (s *Store) Idle() time.Duration { return s.idle }

func key(id string) string {
	h := sha256.Sum256([]byte(id))
	return "sess:" + hex.EncodeToString(h[:])
}

// NewToken returns 32 random bytes, URL-safe.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the process instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create stores sess under a new id and returns the id. Call it after
// every login or privilege change so an old id can never be reused.
func (s *Store) Create(ctx context.Context, sess Session) (string, error) {
	now := s.clock.Now()
	sess.CreatedAt, sess.SeenAt = now, now
	if sess.CSRF == "" {
		sess.CSRF = NewToken()
	}
	id := NewToken()
	if err := s.put(ctx, id, sess); err != nil {
		return "", err
	}
	return id, nil
}

func (s *Store) put(ctx context.Context, id string, sess Session) error {
	raw, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	if err := s.kv.Set(ctx, key(id), string(raw), s.IdleOf(sess)); err != nil {
		return fmt.Errorf("保存会话失败: %w", err)
	}
	return nil
}

// Get returns the session for id, or service.ErrUnauthorized when it does
// not exist or has expired. A session seen more than a minute ago is
// touched so its idle expiry slides; touching never brings back a session
// deleted meanwhile.
func (s *Store) Get(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, service.ErrUnauthorized
	}
	raw, err := s.kv.Get(ctx, key(id))
	if errors.Is(err, kv.ErrMiss) {
		return Session{}, service.ErrUnauthorized
	}
	if err != nil {
		return Session{}, fmt.Errorf("读取会话失败: %w", err)
	}
	var sess Session
	if err := json.Unmarshal([]byte(raw), &sess); err != nil {
		return Session{}, service.ErrUnauthorized
	}
	now := s.clock.Now()
	if now.Sub(sess.CreatedAt) > s.absolute {
		_ = s.kv.Del(ctx, key(id))
		return Session{}, service.ErrUnauthorized
	}
	if sess.Idle > 0 && now.Sub(sess.SeenAt) > sess.Idle {
		// The store's own expiry (the kv TTL) runs on the real clock;
		// this keeps a short idle expiry exact whatever the clock.
		_ = s.kv.Del(ctx, key(id))
		return Session{}, service.ErrUnauthorized
	}
	if now.Sub(sess.SeenAt) > touchEvery(sess.Idle) || sess.CSRF == "" {
		// A session stored before sessions had their own token gets one
		// now, with the touch.
		sess.SeenAt = now
		if sess.CSRF == "" {
			sess.CSRF = NewToken()
		}
		// Only while the session still exists: a logout (Delete) between
		// the read above and this write must not be undone.
		ok, err := s.touch(ctx, id, sess)
		if err != nil {
			return Session{}, err
		}
		if !ok {
			return Session{}, service.ErrUnauthorized
		}
	}
	return sess, nil
}

// touchEvery is how stale SeenAt may get before a read rewrites it: a
// minute, or less for a very short idle expiry.
func touchEvery(idle time.Duration) time.Duration {
	if idle > 0 && idle/10 < time.Minute {
		return idle / 10
	}
	return time.Minute
}

// touch rewrites an existing session with a fresh idle expiry and reports
// whether it still existed.
func (s *Store) touch(ctx context.Context, id string, sess Session) (bool, error) {
	raw, err := json.Marshal(sess)
	if err != nil {
		return false, err
	}
	ok, err := s.kv.SetXX(ctx, key(id), string(raw), s.IdleOf(sess))
	if err != nil {
		return false, fmt.Errorf("保存会话失败: %w", err)
	}
	return ok, nil
}

// Delete ends a session.
func (s *Store) Delete(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.kv.Del(ctx, key(id))
}

// NewState stores a single-use OAuth state that remembers where to return
// and which browser asked for it: browser is a secret the handler keeps in
// that browser's cookie. Without it, a state (and a code for someone
// else's WeChat) could be sent to a victim as a link, signing the victim's
// browser in as the sender's WeChat and binding their account to it.
func (s *Store) NewState(ctx context.Context, returnTo, browser string) (string, error) {
	if len(browser) < 32 {
		return "", errors.New("session.NewState: browser secret too short")
	}
	st := NewToken()[:32]
	if err := s.kv.Set(ctx, "oauth:state:"+st, browserTag(browser)+returnTo, stateTTL); err != nil {
		return "", fmt.Errorf("保存授权状态失败: %w", err)
	}
	return st, nil
}

// StateTTL is how long an OAuth state lives (the browser cookie's Max-Age).
func (s *Store) StateTTL() time.Duration { return stateTTL }

// ConsumeState returns the return path of state and forgets it; an
// unknown, used or expired state, or one that another browser asked for,
// is service.ErrInvalid.
func (s *Store) ConsumeState(ctx context.Context, state, browser string) (string, error) {
	if state == "" || len(state) > 64 {
		return "", service.Invalid("oauth_state", "授权状态无效", nil)
	}
	v, err := s.kv.GetDel(ctx, "oauth:state:"+state)
	if errors.Is(err, kv.ErrMiss) {
		return "", service.Invalid("oauth_state", "授权已过期或已使用", nil)
	}
	if err != nil {
		return "", fmt.Errorf("读取授权状态失败: %w", err)
	}
	tag := browserTag(browser)
	if len(v) < len(tag) || subtle.ConstantTimeCompare([]byte(v[:len(tag)]), []byte(tag)) != 1 {
		return "", service.Invalid("oauth_state", "授权不是在当前浏览器中发起的", nil)
	}
	return v[len(tag):], nil
}

// browserTag is the stored form of a browser secret: a fixed-length hash,
// so the cookie's value is never stored.
func browserTag(browser string) string {
	h := sha256.Sum256([]byte("oauth-browser\x00" + browser))
	return hex.EncodeToString(h[:])
}

// uploadKey is where a kept upload is stored: the token is hashed, so
// the store never holds what redeems it.
func uploadKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return "upload:" + hex.EncodeToString(h[:])
}

// Keep stores data, a file user uid uploaded and has yet to confirm, for
// ttl under a new token, so the confirmation need not upload it again.
func (s *Store) Keep(ctx context.Context, uid uint64, data []byte, ttl time.Duration) (string, error) {
	tok := NewToken()
	if err := s.kv.Set(ctx, uploadKey(tok), strconv.FormatUint(uid, 10)+"\x00"+string(data), ttl); err != nil {
		return "", fmt.Errorf("保存上传的文件失败: %w", err)
	}
	return tok, nil
}

// errUploadGone is a kept file that expired, was used, or is not the
// caller's.
var errUploadGone = service.Invalid("upload_expired", "上传的文件已过期或已导入，请重新上传", nil)

// Kept returns the file kept under token for user uid.
func (s *Store) Kept(ctx context.Context, token string, uid uint64) ([]byte, error) {
	if token == "" || len(token) > 64 {
		return nil, errUploadGone
	}
	v, err := s.kv.Get(ctx, uploadKey(token))
	if errors.Is(err, kv.ErrMiss) {
		return nil, errUploadGone
	}
	if err != nil {
		return nil, fmt.Errorf("读取上传的文件失败: %w", err)
	}
	owner, data, ok := strings.Cut(v, "\x00")
	if !ok || owner != strconv.FormatUint(uid, 10) {
		return nil, errUploadGone
	}
	return []byte(data), nil
}

// Drop forgets a kept file.
func (s *Store) Drop(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.kv.Del(ctx, uploadKey(token))
}
