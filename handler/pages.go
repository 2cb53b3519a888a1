package handler

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
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
	"initial": func(s string) string {
		for _, r := range s {
			return strings.ToUpper(string(r))
		}
		return "青"
	},
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

// render writes a page; a template failure becomes a plain 500 (logged).
func (w *Web) render(c *gin.Context, status int, name string, d pageData) {
	d.Sandbox = w.opts.Sandbox
	d.CSRF = w.csrfToken(c)
	if d.User == nil {
		d.User = callerOf(c).User
	}
	t, ok := w.pages.sets[name]
	var buf bytes.Buffer
	if !ok {
		w.log.ErrorContext(c.Request.Context(), "unknown page template", "page", name)
		c.String(http.StatusInternalServerError, "页面模板缺失")
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
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

// staticHandler serves the embedded CSS and JS.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
