// Package sandbox is the embedded default's stand-in for WeChat: the fake
// WeChat API (/sandbox/wxapi) and the pages that play the WeChat client
// (/sandbox). cmd/youthvoice mounts it only when no WeChat credentials are
// configured. It draws its pages with the kit (handler/web) and signs its
// pushes as WeChat does (handler/wechat.Signature).
package sandbox

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"
	wxmenu "github.com/silenceper/wechat/v2/officialaccount/menu"

	"github.com/gdyouth/youthvoice/handler/wechat"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notify"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/wxapi/wxfake"
)

//go:embed templates/*.html
var templateFS embed.FS

// APIPrefix is where the fake WeChat API is served (wxapi.Configure
// points the WeChat client there in sandbox mode).
const APIPrefix = "/sandbox/wxapi"

// API mounts the fake WeChat API.
type API struct {
	kit  *web.Kit
	fake http.Handler
}

// NewAPI wraps the fake.
func NewAPI(kit *web.Kit, fake http.Handler) (*API, error) {
	if kit == nil || fake == nil {
		return nil, web.NilDependency("sandbox.NewAPI")
	}
	return &API{kit: kit, fake: fake}, nil
}

// Register mounts the fake under APIPrefix; like every route, it refuses
// a body over web.MaxBody.
func (s *API) Register(r gin.IRouter) {
	h := gin.WrapH(http.StripPrefix(APIPrefix, s.fake))
	r.Any(APIPrefix+"/*path", s.kit.LimitBody, h)
}

// Sandbox is the embedded default's stand-in for WeChat itself: test
// identities, the OAuth consent step, a "phone" that follows the account,
// taps the menu and chats through the real signed callback, and an inbox
// of the template messages each identity received.
type Sandbox struct {
	kit       *web.Kit
	pages     *web.Templates
	fake      *wxfake.Server
	appID     string
	token     string
	callback  string // URL of our own /wechat/callback
	publicURL string
	menu      []*wxmenu.Button
	ids       *identities
	client    *http.Client

	mu    sync.Mutex
	chats map[string][]chatLine
	// following: identities that follow the account (as far as this
	// sandbox's pushes tell; unknown after a restart, taken as not).
	following map[string]bool
	inbox     map[string][]wxfake.TemplateCall
}

type chatLine struct {
	Me   bool
	Sys  bool
	Text string
	HTML template.HTML
	At   time.Time
}

// Options configures the sandbox.
type Options struct {
	AppID, Token string
	CallbackURL  string // e.g. http://127.0.0.1:8080/wechat/callback
	PublicURL    string
	DataDir      string // identities are kept in sandbox_identities.json here
	Menu         []*wxmenu.Button
}

// New builds the sandbox pages; it receives every template message the
// fake accepts.
func New(kit *web.Kit, fake *wxfake.Server, o Options) (*Sandbox, error) {
	if kit == nil || fake == nil {
		return nil, web.NilDependency("sandbox.New")
	}
	ids, err := loadIdentities(filepath.Join(o.DataDir, "sandbox_identities.json"))
	if err != nil {
		return nil, err
	}
	pages, err := kit.Templates(templateFS, "templates", template.FuncMap{"alertName": alertName})
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		kit: kit, pages: pages, fake: fake, appID: o.AppID, token: o.Token, callback: o.CallbackURL,
		publicURL: strings.TrimRight(o.PublicURL, "/"), menu: o.Menu, ids: ids,
		client: &http.Client{Timeout: 6 * time.Second},
		chats:  map[string][]chatLine{}, inbox: map[string][]wxfake.TemplateCall{}, following: map[string]bool{},
	}
	fake.OnTemplate = func(tc wxfake.TemplateCall) {
		s.mu.Lock()
		s.inbox[tc.ToUser] = append(s.inbox[tc.ToUser], tc)
		s.mu.Unlock()
	}
	return s, nil
}

// Register mounts the sandbox pages.
func (s *Sandbox) Register(r gin.IRouter) {
	g := s.kit.Group(r, "/sandbox")
	g.GET("", s.index)
	g.POST("/identities", s.createIdentity)
	g.GET("/oauth/authorize", s.authorizePage)
	g.POST("/oauth/authorize", s.authorize)
	g.GET("/phone", s.phone)
	g.POST("/phone/send", s.send)
	g.GET("/inbox", s.inboxPage)
	g.GET("/inbox.json", s.inboxJSON)
	s.registerMedia(g)
}

type sandboxView struct {
	Identities []identity
	Identity   identity
	Chat       []chatLine
	Menu       []*wxmenu.Button
	Inbox      []inboxMessage
	Query      url.Values
}

func (s *Sandbox) render(c *gin.Context, status int, page, title string, v sandboxView) {
	s.pages.Render(c, status, page, web.Page{Title: title, Extra: v})
}

func (s *Sandbox) index(c *gin.Context) {
	s.render(c, http.StatusOK, "sandbox_index", "沙箱控制台", sandboxView{Identities: s.ids.list()})
}

func (s *Sandbox) createIdentity(c *gin.Context) {
	id, err := s.ids.create(c.PostForm("nickname"))
	if err != nil {
		s.kit.Fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(id.OpenID))
}

// authorizePage is WeChat's (silent) snsapi_base step, made visible: pick
// which test WeChat user is opening the page.
func (s *Sandbox) authorizePage(c *gin.Context) {
	q := c.Request.URL.Query()
	if q.Get("appid") != s.appID || !strings.HasPrefix(q.Get("redirect_uri"), "/h5/") {
		s.kit.Fail(c, service.Invalid("sandbox_oauth", "授权参数无效（appid 或 redirect_uri）", nil))
		return
	}
	s.render(c, http.StatusOK, "sandbox_oauth", "选择微信身份", sandboxView{Identities: s.ids.list(), Query: q})
}

func (s *Sandbox) authorize(c *gin.Context) {
	redirect, state := c.PostForm("redirect_uri"), c.PostForm("state")
	if !strings.HasPrefix(redirect, "/h5/") || strings.HasPrefix(redirect, "//") {
		s.kit.Fail(c, service.Invalid("sandbox_oauth", "redirect_uri 无效", nil))
		return
	}
	openid := c.PostForm("openid")
	if openid == "" {
		id, err := s.ids.create(c.PostForm("nickname"))
		if err != nil {
			s.kit.Fail(c, err)
			return
		}
		openid = id.OpenID
	} else if _, ok := s.ids.get(openid); !ok {
		s.kit.Fail(c, service.NotFound("sandbox_identity", "测试身份不存在"))
		return
	}
	code := s.fake.IssueCode(s.appID, openid)
	s.kit.MarkInWeChat(c)
	c.Redirect(http.StatusFound, redirect+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(state))
}

func (s *Sandbox) identityFrom(c *gin.Context, openid string) (identity, bool) {
	id, ok := s.ids.get(openid)
	if !ok {
		s.kit.Fail(c, service.NotFound("sandbox_identity", "测试身份不存在，请先在沙箱控制台创建"))
		return id, false
	}
	return id, true
}

// phone shows the account's chat as the identity sees it in WeChat.
func (s *Sandbox) phone(c *gin.Context) {
	openid := c.Query("openid")
	if openid == "" {
		// The PC login page's 用沙箱手机扫码 names no identity: the one
		// opened last, or the console to pick one.
		openid, _ = c.Cookie(inboxCookie)
		if _, ok := s.ids.get(openid); !ok {
			c.Redirect(http.StatusFound, "/sandbox")
			return
		}
	}
	id, ok := s.identityFrom(c, openid)
	if !ok {
		return
	}
	// From here on this browser counts as "inside WeChat".
	s.kit.MarkInWeChat(c)
	s.remember(c, id)
	s.mu.Lock()
	chat := append([]chatLine(nil), s.chats[id.OpenID]...)
	s.mu.Unlock()
	s.render(c, http.StatusOK, "sandbox_phone", "广东青年之声", sandboxView{Identity: id, Chat: chat, Menu: s.menu, Query: c.Request.URL.Query()})
}

// send posts a signed push to the real callback as the identity.
func (s *Sandbox) send(c *gin.Context) {
	id, ok := s.identityFrom(c, c.PostForm("openid"))
	if !ok {
		return
	}
	action, key, text := c.PostForm("action"), c.PostForm("key"), strings.TrimSpace(c.PostForm("text"))
	now := time.Now()
	msg := pushXML{ToUserName: "gh_sandbox", FromUserName: id.OpenID, CreateTime: now.Unix()}
	var said string
	switch action {
	case "subscribe", "unsubscribe":
		msg.MsgType, msg.Event = "event", action
		said = map[string]string{"subscribe": "关注了公众号", "unsubscribe": "取消关注了公众号"}[action]
	case "scan":
		// Scanning a university's promotion code: WeChat sends a new
		// follower a subscribe with the scene, and a follower a SCAN.
		code := strings.TrimSpace(c.PostForm("code"))
		scene := promotion.Scene(code)
		if _, ok := promotion.CodeOfScene(scene); !ok {
			s.kit.Fail(c, service.Invalid("sandbox_scan", "请填写学校标识码（10 位数字）", map[string]string{"code": "请填写学校标识码"}))
			return
		}
		s.mu.Lock()
		following := s.following[id.OpenID]
		s.mu.Unlock()
		msg.MsgType = "event"
		if following {
			msg.Event, msg.EventKey = "SCAN", scene
			said = "扫描了推广二维码 " + scene
		} else {
			msg.Event, msg.EventKey = "subscribe", "qrscene_"+scene
			said = "扫描推广二维码 " + scene + " 关注了公众号"
		}
	case "scanqr":
		// Scanning any code the fake created, by what it encodes (the
		// PC login page's code shows it): WeChat pushes its scene, as
		// for a promotion code.
		qr := strings.TrimSpace(c.PostForm("qr"))
		app, scene, found := s.fake.ScanURL(qr)
		if !found || app != s.appID {
			s.mu.Lock()
			s.chats[id.OpenID] = append(s.chats[id.OpenID], chatLine{Sys: true, Text: "二维码已过期或无法识别：" + qr, At: now})
			s.mu.Unlock()
			c.Redirect(http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(id.OpenID))
			return
		}
		s.mu.Lock()
		following := s.following[id.OpenID]
		s.mu.Unlock()
		msg.MsgType = "event"
		if following {
			msg.Event, msg.EventKey = "SCAN", scene
			said = "扫描了二维码"
		} else {
			msg.Event, msg.EventKey = "subscribe", "qrscene_"+scene
			said = "扫描二维码关注了公众号"
		}
	case "click":
		msg.MsgType, msg.Event, msg.EventKey = "event", "CLICK", key
		said = "点击菜单 " + key
	case "view":
		msg.MsgType, msg.Event, msg.EventKey = "event", "VIEW", key
	case "text":
		if text == "" {
			c.Redirect(http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(id.OpenID))
			return
		}
		msg.MsgType, msg.Content, msg.MsgID = "text", text, rand.Int64N(1<<62) //nolint:gosec // a sandbox MsgId, not a secret
		said = text
	default:
		s.kit.Fail(c, service.Invalid("sandbox_action", "未知操作", nil))
		return
	}
	reply, err := s.push(c.Request.Context(), msg)
	s.mu.Lock()
	if err == nil && msg.Event != "" {
		switch msg.Event {
		case "subscribe":
			s.following[id.OpenID] = true
		case "unsubscribe":
			s.following[id.OpenID] = false
		}
	}
	if said != "" {
		s.chats[id.OpenID] = append(s.chats[id.OpenID], chatLine{Me: action == "text", Sys: action != "text", Text: said, At: now})
	}
	switch {
	case err != nil:
		s.chats[id.OpenID] = append(s.chats[id.OpenID], chatLine{Sys: true, Text: "推送失败：" + err.Error(), At: now})
	case reply != "":
		s.chats[id.OpenID] = append(s.chats[id.OpenID], chatLine{HTML: s.linkify(reply), At: now})
	}
	s.mu.Unlock()
	if action == "view" && err == nil {
		// Only our own pages: the key comes from the form, and a sandbox
		// that redirected anywhere would be an open redirect on this host.
		if target, ok := onSite(s.local(key)); ok {
			c.Redirect(http.StatusSeeOther, target)
			return
		}
		s.mu.Lock()
		s.chats[id.OpenID] = append(s.chats[id.OpenID], chatLine{Sys: true, Text: "沙盒只打开本站页面，不打开站外链接：" + key, At: now})
		s.mu.Unlock()
	}
	c.Redirect(http.StatusSeeOther, "/sandbox/phone?openid="+url.QueryEscape(id.OpenID))
}

type pushXML struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Event        string   `xml:"Event,omitempty"`
	EventKey     string   `xml:"EventKey,omitempty"`
	Content      string   `xml:"Content,omitempty"`
	MsgID        int64    `xml:"MsgId,omitempty"`
}

// push signs msg like WeChat does and returns the reply's text.
func (s *Sandbox) push(ctx context.Context, msg pushXML) (string, error) {
	body, err := xml.Marshal(msg)
	if err != nil {
		return "", err
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), strconv.FormatInt(rand.Int64N(1<<40), 10) //nolint:gosec // a sandbox nonce, not a secret
	q := url.Values{"signature": {wechat.Signature(s.token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {msg.FromUserName}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.callback+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("回调返回 %d: %s", resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var out struct {
		Content string `xml:"Content"`
	}
	if len(raw) == 0 || string(raw) == "success" {
		return "", nil
	}
	if err := xml.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("无法解析回复: %w", err)
	}
	return out.Content, nil
}

var anchorRE = regexp.MustCompile(`&lt;a href=&#34;([^&]*)&#34;&gt;(.*?)&lt;/a&gt;`)

// linkify renders a text reply as WeChat does: text, with <a> links live;
// links to the public URL stay on this origin.
func (s *Sandbox) linkify(text string) template.HTML {
	esc := html.EscapeString(text)
	//nolint:gosec // text is escaped first; only <a href> with a checked URL is restored
	return template.HTML(anchorRE.ReplaceAllStringFunc(esc, func(m string) string {
		sub := anchorRE.FindStringSubmatch(m)
		href := s.local(html.UnescapeString(sub[1]))
		if !strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "https://") && !strings.HasPrefix(href, "http://") {
			return m
		}
		return `<a href="` + html.EscapeString(href) + `">` + sub[2] + `</a>`
	}))
}

// local turns a link under the public URL into a path on this origin.
// onSite returns link when it is a path on this host (not //host or
// /\host, which browsers read as another host, and no scheme).
func onSite(link string) (string, bool) {
	if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.ContainsAny(link, "\\\r\n") {
		return "", false
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "", false
	}
	return link, true
}

func (s *Sandbox) local(link string) string {
	if rest, ok := strings.CutPrefix(link, s.publicURL); ok && strings.HasPrefix(rest, "/") {
		return rest
	}
	return link
}

// inboxCookie remembers the identity whose inbox (or phone) was opened
// last, so /sandbox/inbox opens it again.
const inboxCookie = "yv_sandbox_openid"

// remember keeps the identity chosen for the next /sandbox/inbox.
func (s *Sandbox) remember(c *gin.Context, id identity) {
	c.SetSameSite(http.SameSiteLaxMode)
	c.SetCookie(inboxCookie, id.OpenID, 30*24*3600, "/sandbox", "", strings.HasPrefix(s.publicURL, "https://"), true)
}

// inboxField is a field of a template message as the inbox shows it:
// its meaning from the alert-kind registry, the template's keyword and
// the value.
type inboxField struct {
	Label, Keyword, Value string
}

// inboxMessage is a template message as the inbox shows it.
type inboxMessage struct {
	wxfake.TemplateCall
	Fields []inboxField
	At     string // received, Beijing time
}

// newInboxMessage labels tc's fields from the registry when its template
// is a stand-in of an alert kind (sandbox-<key>) and orders them as the
// template does; other keywords follow by name.
func newInboxMessage(tc wxfake.TemplateCall) inboxMessage {
	m := inboxMessage{TemplateCall: tc, At: tc.At.In(clock.Beijing).Format("2006-01-02 15:04:05") + "（北京时间）"}
	seen := map[string]bool{}
	if k, ok := notify.SandboxKind(tc.TemplateID); ok {
		for _, f := range k.Fields() {
			if v, ok := tc.Data[f.Keyword]; ok {
				m.Fields = append(m.Fields, inboxField{Label: f.Label, Keyword: f.Keyword, Value: v})
				seen[f.Keyword] = true
			}
		}
	}
	var rest []string
	for kw := range tc.Data {
		if !seen[kw] {
			rest = append(rest, kw)
		}
	}
	slices.Sort(rest)
	for _, kw := range rest {
		m.Fields = append(m.Fields, inboxField{Keyword: kw, Value: tc.Data[kw]})
	}
	return m
}

// inboxPage shows an identity's template messages, newest first: the one
// asked for, else the one opened last (remembered in a cookie), else the
// console to pick one.
func (s *Sandbox) inboxPage(c *gin.Context) {
	openid := c.Query("openid")
	if openid == "" {
		if last, err := c.Cookie(inboxCookie); err == nil {
			if _, ok := s.ids.get(last); ok {
				openid = last
			}
		}
		if openid == "" {
			c.Redirect(http.StatusFound, "/sandbox")
			return
		}
	}
	id, ok := s.identityFrom(c, openid)
	if !ok {
		return
	}
	s.remember(c, id)
	s.mu.Lock()
	calls := append([]wxfake.TemplateCall(nil), s.inbox[id.OpenID]...)
	s.mu.Unlock()
	msgs := make([]inboxMessage, 0, len(calls))
	for i := len(calls) - 1; i >= 0; i-- {
		calls[i].URL = s.local(calls[i].URL)
		msgs = append(msgs, newInboxMessage(calls[i]))
	}
	s.render(c, http.StatusOK, "sandbox_inbox", "模板消息", sandboxView{Identities: s.ids.list(), Identity: id, Inbox: msgs})
}

func (s *Sandbox) inboxJSON(c *gin.Context) {
	s.mu.Lock()
	msgs := append([]wxfake.TemplateCall(nil), s.inbox[c.Query("openid")]...)
	s.mu.Unlock()
	c.JSON(http.StatusOK, gin.H{"data": msgs})
}

// identity is a test WeChat user.
type identity struct {
	OpenID   string    `json:"openid"`
	Nickname string    `json:"nickname"`
	Created  time.Time `json:"created"`
}

// identities are kept in a small JSON file so they survive restarts along
// with the SQLite data they are bound to.
type identities struct {
	mu   sync.Mutex
	path string
	all  []identity
}

func loadIdentities(path string) (*identities, error) {
	ids := &identities{path: path}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ids, nil
	}
	if err != nil {
		return nil, fmt.Errorf("读取沙箱身份文件: %w", err)
	}
	if err := json.Unmarshal(raw, &ids.all); err != nil {
		return nil, fmt.Errorf("沙箱身份文件 %s 已损坏: %w", path, err)
	}
	return ids, nil
}

func (ids *identities) list() []identity {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	return append([]identity(nil), ids.all...)
}

func (ids *identities) get(openid string) (identity, bool) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	for _, id := range ids.all {
		if id.OpenID == openid {
			return id, true
		}
	}
	return identity{}, false
}

func (ids *identities) create(nickname string) (identity, error) {
	nickname = strings.TrimSpace(nickname)
	if len([]rune(nickname)) > 20 {
		return identity{}, service.Invalid("nickname", "昵称不能超过 20 个字", nil)
	}
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if nickname == "" {
		nickname = fmt.Sprintf("测试用户%d", len(ids.all)+1)
	}
	id := identity{OpenID: "oSBX" + session.NewToken()[:24], Nickname: nickname, Created: time.Now()}
	ids.all = append(ids.all, id)
	raw, _ := json.MarshalIndent(ids.all, "", "  ")
	if err := os.MkdirAll(filepath.Dir(ids.path), 0o750); err != nil {
		return identity{}, err
	}
	if err := os.WriteFile(ids.path, raw, 0o600); err != nil {
		return identity{}, fmt.Errorf("保存沙箱身份: %w", err)
	}
	return id, nil
}

// alertName is the Chinese name of the alert behind one of the fake's
// stand-in templates (sandbox-<key>), from the alert-kind registry.
func alertName(templateID string) string {
	if k, ok := notify.SandboxKind(templateID); ok {
		return k.Name()
	}
	return templateID
}
