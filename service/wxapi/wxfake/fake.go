// Package wxfake is a fake of the WeChat official-account API: access token
// and stable token, menu create, template send, QR code create, OAuth
// code exchange, the JSSDK's jsapi ticket and temporary media (media/get
// of images added with AddMedia, as a phone's uploadImage does). It
// records every call and can be told to answer an errcode, so tests (and
// the sandbox) exercise the real client end to end without Tencent.
package wxfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxCalls bounds the call log; the oldest half is dropped when full.
const maxCalls = 10000

// Server is the fake API; mount it with httptest.NewServer or under a
// prefix with http.StripPrefix.
type Server struct {
	mu       sync.Mutex
	apps     map[string]*app   // by appid
	tokens   map[string]string // access token -> appid
	codes    map[string]oauthCode
	failures map[string][]int // api path -> queued errcodes
	calls    []Call
	msgSeq   int64
	media    map[string]media // media_id -> temporary media
	tickets  int              // jsapi tickets issued
	// codes are the QR codes created, by the URL they encode: what a
	// phone's camera reads (ScanURL).
	codesByURL map[string]qrCode
	now        func() time.Time
	// OnTemplate, if set, is called for each template message accepted.
	OnTemplate func(TemplateCall)
}

type app struct {
	secret      string
	token       string
	tokenIssued int
	menu        json.RawMessage
	qrcodes     map[string]string // scene -> code id
}

// media is a temporary image a phone uploaded (AddMedia).
type media struct {
	data    []byte
	ctype   string
	expires time.Time
}

// MediaTTL is how long WeChat keeps temporary media (3 days).
const MediaTTL = 72 * time.Hour

// maxMedia bounds the fake's stored images (a long-running sandbox).
const maxMedia = 200

// AddMedia stores an image as the phone's uploadImage does and returns
// its media_id (the serverId the page posts), served by media/get until
// it expires.
func (s *Server) AddMedia(data []byte, ctype string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.media) >= maxMedia {
		for id := range s.media { // drop any one: the sandbox keeps few
			delete(s.media, id)
			break
		}
	}
	id := "MEDIA_" + randHex(16)
	s.media[id] = media{data: append([]byte(nil), data...), ctype: ctype, expires: s.now().Add(MediaTTL)}
	return id
}

// TicketsIssued counts the jsapi tickets handed out.
func (s *Server) TicketsIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tickets
}

type qrCode struct {
	appID   string
	scene   string
	expires time.Time // zero for a permanent code
}

type oauthCode struct {
	appID   string
	openID  string
	expires time.Time
	used    bool
}

// Call is one request the fake received.
type Call struct {
	Path    string
	AppID   string
	Token   string
	Body    string
	ErrCode int
}

// TemplateCall is a template message the fake accepted.
type TemplateCall struct {
	AppID       string
	MsgID       int64
	ToUser      string            `json:"touser"`
	TemplateID  string            `json:"template_id"`
	URL         string            `json:"url"`
	ClientMsgID string            `json:"client_msg_id"`
	Data        map[string]string `json:"-"`
	At          time.Time
}

// New returns an empty fake. Apps are created on their first token
// request; register one with AddApp to pin its secret.
func New() *Server {
	return &Server{
		apps:     map[string]*app{},
		tokens:   map[string]string{},
		codes:    map[string]oauthCode{},
		failures: map[string][]int{},
		media:    map[string]media{},
		now:      time.Now,
	}
}

// AddApp registers appID with its secret; token requests with another
// secret are refused (40125).
func (s *Server) AddApp(appID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = &app{secret: secret}
}

// FailNext makes the next len(codes) calls to path answer those errcodes,
// in order. Path is e.g. "/cgi-bin/message/template/send".
func (s *Server) FailNext(path string, codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[path] = append(s.failures[path], codes...)
}

// InvalidateTokens makes every issued access token of appID invalid, as
// when the token is refreshed elsewhere or revoked.
func (s *Server) InvalidateTokens(appID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, id := range s.tokens {
		if id == appID {
			delete(s.tokens, tok)
		}
	}
	if a := s.apps[appID]; a != nil {
		a.token = ""
	}
}

// IssueCode creates a single-use OAuth code for openID, valid 5 minutes.
func (s *Server) IssueCode(appID, openID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	code := randHex(16)
	s.codes[code] = oauthCode{appID: appID, openID: openID, expires: s.now().Add(5 * time.Minute)}
	return code
}

// Calls returns a copy of the calls received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls to one path.
func (s *Server) CallsTo(path string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

// TokensIssued counts the access tokens handed out for appID.
func (s *Server) TokensIssued(appID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil {
		return a.tokenIssued
	}
	return 0
}

// Menu returns the last menu created for appID (nil if none).
func (s *Server) Menu(appID string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[appID]; a != nil {
		return a.menu
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch r.URL.Path {
	case "/cgi-bin/token":
		q := r.URL.Query()
		s.issueToken(w, r.URL.Path, q.Get("appid"), q.Get("secret"), false)
	case "/cgi-bin/stable_token":
		var req struct {
			AppID        string `json:"appid"`
			Secret       string `json:"secret"`
			ForceRefresh bool   `json:"force_refresh"`
		}
		if json.Unmarshal(body, &req) != nil {
			s.mu.Lock() // answer appends to the call log
			defer s.mu.Unlock()
			s.answer(w, Call{Path: r.URL.Path, Body: string(body)}, 47001, "data format error", nil)
			return
		}
		s.issueToken(w, r.URL.Path, req.AppID, req.Secret, req.ForceRefresh)
	case "/cgi-bin/menu/create":
		s.withToken(w, r, body, func(c *Call, a *app) (int, map[string]any) {
			var m struct {
				Button []json.RawMessage `json:"button"`
			}
			if json.Unmarshal(body, &m) != nil || len(m.Button) == 0 || len(m.Button) > 3 {
				return 40016, nil // invalid button size
			}
			a.menu = append(json.RawMessage(nil), body...)
			return 0, nil
		})
	case "/cgi-bin/message/template/send":
		s.withToken(w, r, body, func(c *Call, a *app) (int, map[string]any) {
			var req struct {
				TemplateCall
				Data map[string]struct {
					Value string `json:"value"`
				} `json:"data"`
			}
			if json.Unmarshal(body, &req) != nil || req.ToUser == "" || req.TemplateID == "" {
				return 47003, nil
			}
			s.msgSeq++
			tc := req.TemplateCall
			tc.AppID, tc.MsgID, tc.At = c.AppID, s.msgSeq, s.now()
			tc.Data = map[string]string{}
			for k, v := range req.Data {
				tc.Data[k] = v.Value
			}
			if s.OnTemplate != nil {
				s.OnTemplate(tc)
			}
			return 0, map[string]any{"msgid": tc.MsgID}
		})
	case "/cgi-bin/qrcode/create":
		// WeChat answers a created code without errcode and errmsg (and
		// silenceper's GetQRTicket takes any errmsg for an error).
		s.withTokenBare(w, r, body, true, func(c *Call, a *app) (int, map[string]any) {
			var req struct {
				ActionName string `json:"action_name"`
				ActionInfo struct {
					Scene struct {
						SceneStr string `json:"scene_str"`
						SceneID  int    `json:"scene_id"`
					} `json:"scene"`
				} `json:"action_info"`
			}
			if json.Unmarshal(body, &req) != nil {
				return 47001, nil
			}
			scene := req.ActionInfo.Scene.SceneStr
			if scene == "" || len(scene) > 64 {
				return 40097, nil // invalid args
			}
			switch req.ActionName {
			case "QR_LIMIT_STR_SCENE":
				// The same scene gives the same code, as WeChat does for
				// permanent codes.
				if a.qrcodes == nil {
					a.qrcodes = map[string]string{}
				}
				id, ok := a.qrcodes[scene]
				if !ok {
					id = randHex(11)
					a.qrcodes[scene] = id
				}
				u := "http://weixin.qq.com/q/" + id
				s.keepCode(u, qrCode{appID: c.AppID, scene: scene})
				return 0, map[string]any{"ticket": "gQ" + id + "==", "url": u}
			case "QR_STR_SCENE":
				// A temporary code: new every time, living expire_seconds
				// (WeChat's default 30 s, at most 30 days).
				var exp struct {
					ExpireSeconds int64 `json:"expire_seconds"`
				}
				_ = json.Unmarshal(body, &exp)
				secs := exp.ExpireSeconds
				if secs == 0 {
					secs = 30
				}
				if secs < 0 || secs > 2592000 {
					return 40097, nil
				}
				id := randHex(11)
				u := "http://weixin.qq.com/q/" + id
				s.keepCode(u, qrCode{appID: c.AppID, scene: scene, expires: s.now().Add(time.Duration(secs) * time.Second)})
				return 0, map[string]any{"ticket": "gQ" + id + "==", "url": u, "expire_seconds": secs}
			default:
				return 40097, nil // the fake serves string scenes only
			}
		})
	case "/cgi-bin/ticket/getticket":
		s.withToken(w, r, body, func(c *Call, a *app) (int, map[string]any) {
			if r.URL.Query().Get("type") != "jsapi" {
				return 40097, nil
			}
			s.tickets++
			return 0, map[string]any{"ticket": "FAKE_TICKET_" + randHex(12), "expires_in": 7200}
		})
	case "/cgi-bin/media/get":
		s.serveMedia(w, r)
	case "/sns/oauth2/access_token":
		q := r.URL.Query()
		s.exchangeCode(w, r.URL.Path, q.Get("appid"), q.Get("secret"), q.Get("code"))
	default:
		http.NotFound(w, r)
	}
}

// keepCode remembers a created code by its URL, forgetting expired
// temporary ones; the caller holds s.mu.
func (s *Server) keepCode(u string, c qrCode) {
	if s.codesByURL == nil {
		s.codesByURL = map[string]qrCode{}
	}
	now := s.now()
	if len(s.codesByURL) >= maxCalls {
		for k, v := range s.codesByURL {
			if !v.expires.IsZero() && now.After(v.expires) {
				delete(s.codesByURL, k)
			}
		}
	}
	s.codesByURL[u] = c
}

// ScanURL is what WeChat makes of a phone scanning the code that encodes
// u: the code's app and scene; ok is false for a URL no code of the fake
// encodes, or a temporary code that has expired.
func (s *Server) ScanURL(u string) (appID, scene string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, found := s.codesByURL[strings.TrimSpace(u)]
	if !found || (!c.expires.IsZero() && s.now().After(c.expires)) {
		return "", "", false
	}
	return c.appID, c.scene, true
}

// answer records the call and writes the JSON reply; errcode 0 merges
// extra. The caller holds s.mu.
func (s *Server) answer(w http.ResponseWriter, c Call, code int, msg string, extra map[string]any) {
	c.ErrCode = code
	s.record(c)
	out := map[string]any{"errcode": code, "errmsg": msg}
	if code == 0 {
		out["errmsg"] = "ok"
		for k, v := range extra {
			out[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(out)
}

// record appends c to the call log; the caller holds s.mu.
func (s *Server) record(c Call) {
	if len(s.calls) >= maxCalls {
		// Keep memory bounded in a long-running sandbox.
		s.calls = append(s.calls[:0], s.calls[len(s.calls)-maxCalls/2:]...)
	}
	s.calls = append(s.calls, c)
}

// injected pops a queued errcode for path; the caller holds mu.
func (s *Server) injected(path string) (int, bool) {
	q := s.failures[path]
	if len(q) == 0 {
		return 0, false
	}
	s.failures[path] = q[1:]
	return q[0], true
}

func (s *Server) issueToken(w http.ResponseWriter, path, appID, secret string, force bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Call{Path: path, AppID: appID}
	if code, ok := s.injected(path); ok {
		s.answer(w, c, code, "injected", nil)
		return
	}
	a := s.apps[appID]
	if a == nil {
		a = &app{secret: secret}
		s.apps[appID] = a
	}
	if appID == "" || secret != a.secret {
		s.answer(w, c, 40125, "invalid appsecret", nil)
		return
	}
	if a.token == "" || force {
		if a.token != "" {
			delete(s.tokens, a.token)
		}
		a.token = "FAKE_" + randHex(16)
		a.tokenIssued++
		s.tokens[a.token] = appID
	}
	c.Token = a.token
	s.answer(w, c, 0, "", map[string]any{"access_token": a.token, "expires_in": 7200})
}

func (s *Server) withToken(w http.ResponseWriter, r *http.Request, body []byte, fn func(*Call, *app) (int, map[string]any)) {
	s.withTokenBare(w, r, body, false, fn)
}

// withTokenBare is withToken; bare answers a success with extra alone,
// without errcode and errmsg.
func (s *Server) withTokenBare(w http.ResponseWriter, r *http.Request, body []byte, bare bool, fn func(*Call, *app) (int, map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := r.URL.Query().Get("access_token")
	c := Call{Path: r.URL.Path, Token: tok, Body: string(body)}
	appID, ok := s.tokens[tok]
	c.AppID = appID
	if code, inj := s.injected(r.URL.Path); inj {
		s.answer(w, c, code, "injected", nil)
		return
	}
	if !ok {
		code := 40001
		if strings.HasPrefix(tok, "FAKE_") {
			code = 42001
		}
		s.answer(w, c, code, "invalid credential, access_token is invalid or not latest", nil)
		return
	}
	code, extra := fn(&c, s.apps[appID])
	if code == 0 && bare {
		s.record(c)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(extra)
		return
	}
	s.answer(w, c, code, "", extra)
}

func (s *Server) exchangeCode(w http.ResponseWriter, path, appID, secret, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Call{Path: path, AppID: appID}
	if ec, ok := s.injected(path); ok {
		s.answer(w, c, ec, "injected", nil)
		return
	}
	if a := s.apps[appID]; a != nil && a.secret != secret {
		s.answer(w, c, 40125, "invalid appsecret", nil)
		return
	}
	oc, ok := s.codes[code]
	switch {
	case !ok || oc.appID != appID || s.now().After(oc.expires):
		s.answer(w, c, 40029, "invalid code", nil)
	case oc.used:
		s.answer(w, c, 40163, "code been used", nil)
	default:
		oc.used = true
		s.codes[code] = oc
		s.answer(w, c, 0, "", map[string]any{
			"access_token": "SNS_" + randHex(8), "expires_in": 7200,
			"refresh_token": "R_" + randHex(8), "openid": oc.openID, "scope": "snsapi_base",
		})
	}
}

// serveMedia answers media/get: the file itself, or an errcode (40007
// for an unknown or expired media_id) as JSON, as WeChat does.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	var m media
	ok := false
	s.withToken(&mediaWriter{ResponseWriter: w, file: func() (media, bool) { return m, ok }}, r, nil, func(c *Call, a *app) (int, map[string]any) {
		id := r.URL.Query().Get("media_id")
		m, ok = s.media[id]
		if !ok || s.now().After(m.expires) {
			ok = false
			return 40007, nil // invalid media_id
		}
		return 0, nil
	})
}

// mediaWriter swaps the JSON success answer of media/get for the file.
type mediaWriter struct {
	http.ResponseWriter
	file    func() (media, bool)
	swapped bool
}

func (mw *mediaWriter) Write(b []byte) (int, error) {
	if m, ok := mw.file(); ok {
		if !mw.swapped {
			mw.swapped = true
			mw.ResponseWriter.Header().Set("Content-Type", m.ctype)
			mw.ResponseWriter.Header().Set("Content-Disposition", `attachment; filename="image.jpg"`)
			return mw.ResponseWriter.Write(m.data)
		}
		return len(b), nil
	}
	return mw.ResponseWriter.Write(b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
