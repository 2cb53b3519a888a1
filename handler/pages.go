package handler

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template set per page, each with the shared layout.
type pages struct {
	sets    map[string]*template.Template
	sandbox bool
}

// pageData is everything a page may show.
type pageData struct {
	Title        string
	Sandbox      bool
	CSRF         string
	User         *model.User
	University   *model.University
	Error        string
	Notice       string
	Retry        string
	Fields       map[string]string
	Form         map[string]string
	Next         string
	Entries      []model.Entry
	Entry        model.Entry
	Universities []model.University
	Mode         string
	InWeChat     bool
	Batch        account.Batch
	Extra        any
}

var funcs = template.FuncMap{
	"roleName": model.RoleName,
	"maskOpenID": func(s *string) string {
		if s == nil || len(*s) < 8 {
			return ""
		}
		return (*s)[:4] + "…" + (*s)[len(*s)-4:]
	},
	"beijing":           beijingTime,
	"asset":             assetURL,
	"bookingStatusName": station.StatusName,
	"statusName":        question.StatusName,
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: keys must be strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"applyFields": func() []applyField { return applyFields },
	"alertName":   alertName,
	"initial": func(s string) string {
		for _, r := range s {
			return strings.ToUpper(string(r))
		}
		return "青"
	},
	// Stations and bookings (h5_stations.go).
	"bjWhen":    bjWhen,
	"bjDay":     bjDay,
	"bjClock":   func(t time.Time) string { return t.In(clock.Beijing).Format("15:04") },
	"dutyNames": dutyNames,
	"stars": func(n int) string {
		n = max(0, min(n, 5))
		return strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
	},
	// canRefer: u may refer a question of university uni to its station.
	"canRefer": func(u *model.User, uni uint64) bool {
		return u != nil && (u.Role == model.RoleProvinceAdmin || (u.UniversityID != nil && *u.UniversityID == uni))
	},
}

// alertNames are the Chinese names of the alerts, shown by the sandbox
// inbox for its stand-in templates (sandbox-<key>).
var alertNames = map[string]string{
	"question_new": "新提问提醒", "answered": "提问已答复", "followup": "提问者追问",
	"reminder": "即将超时提醒", "overdue": "超时未答复", "application_decided": "干部申请审核结果",
	"moderated": "内容处理结果", "booking_new": "新预约提醒", "booking_reply": "预约回复",
	"booking_reminder": "预约即将超时", "booking_escalated": "预约超时未反馈", "appointment": "预约即将开始",
	"booking_served": "服务完成请评价", "booking_referral": "提问已转介到青年之家",
	"booking_changed": "学生取消或接受改期",
}

func alertName(templateID string) string {
	if n, ok := alertNames[strings.TrimPrefix(templateID, "sandbox-")]; ok && strings.HasPrefix(templateID, "sandbox-") {
		return n
	}
	return templateID
}

// applyField is one input of the cadre application (附件1).
type applyField struct {
	Name, Label, Hint, Type string
	Max                     int
}

var applyFields = []applyField{
	{Name: "position", Label: "职务", Hint: "如 校团委副书记、学生会主席", Max: 30},
	{Name: "real_name", Label: "姓名", Hint: "真实姓名", Max: 20},
	{Name: "phone", Label: "手机号", Hint: "11 位手机号", Type: "tel", Max: 11},
	{Name: "email", Label: "邮箱", Hint: "选填", Type: "email", Max: 100},
	{Name: "qq", Label: "QQ号", Hint: "选填", Type: "numeric", Max: 12},
	{Name: "wechat_id", Label: "微信号", Hint: "选填", Max: 20},
}

func loadPages(sandbox bool) (*pages, error) {
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}, sandbox: sandbox}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		body, err := templateFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("模板 layout: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("模板 %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// formError puts err's message and field messages on a form page and
// returns the status to render it with.
func (w *Web) formError(c *gin.Context, d *pageData, err error) int {
	status, body := describe(c, w.log, err)
	d.Error, d.Fields = body.Message, body.Fields
	return status
}

// render writes a page; a template failure becomes a plain 500 (logged).
// beijingTime is how pages show a time.
func beijingTime(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02 15:04") }

// renderBuffers hold pages while they render: a page is written whole
// or not at all (a template error becomes a 500, not half a page). Pooled,
// because a fresh buffer grew by doubling to each page's 2–20 KB, and
// those copies were the largest share of what the server allocated.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender keeps a rare huge page's buffer out of the pool.
const maxPooledRender = 256 << 10

func (w *Web) render(c *gin.Context, status int, name string, d pageData) {
	d.Sandbox = w.opts.Sandbox
	d.CSRF = w.csrfToken(c)
	if d.User == nil {
		d.User = callerOf(c).User
	}
	t, ok := w.pages.sets[name]
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledRender {
			renderBuffers.Put(buf)
		}
	}()
	if !ok {
		w.log.ErrorContext(c.Request.Context(), "unknown page template", "page", name)
		c.String(http.StatusInternalServerError, "页面模板缺失")
		return
	}
	if err := t.ExecuteTemplate(buf, "layout", d); err != nil {
		w.log.ErrorContext(c.Request.Context(), "rendering page failed", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "页面渲染失败")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Frame-Options", "DENY")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "same-origin")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// assetVersions maps each embedded static file to a hash of its content:
// pages link /static/NAME?v=HASH, so a deploy that changes a file changes
// its URL, and WeChat's webview, which caches hard, cannot pair new pages
// with an old script or stylesheet.
var assetVersions = func() map[string]string {
	v := map[string]string{}
	entries, _ := staticFS.ReadDir("static")
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		v[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return v
}()

// assetURL is the versioned URL of an embedded static file.
func assetURL(name string) string {
	if v, ok := assetVersions[name]; ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}

// staticHandler serves the embedded CSS and JS: for a year when asked by
// the current version's URL, which changes with the content; otherwise
// revalidated each time.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if v, ok := assetVersions[name]; ok && r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fsrv.ServeHTTP(w, r)
	})
}
