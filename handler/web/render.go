package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
)

// kitFS holds the layout every page is drawn in and the error page.
//
//go:embed templates/*.html
var kitFS embed.FS

// staticFS holds the stylesheet and script the layout links.
//
//go:embed static
var staticFS embed.FS

// Page is what the layout and the error page show, and what a page's own
// template reads besides its Extra.
type Page struct {
	Title   string
	Sandbox bool
	CSRF    string
	User    *model.User
	Error   string
	// Alert is the message of an action of this page that failed (a
	// post answered by Fail), shown at the top by the layout.
	Alert  string
	Notice string
	Retry  string
	// Back is the error page's 返回 link when retrying cannot help.
	Back   string
	Fields map[string]string
	Form   map[string]string
	Next   string
	// FormURL is the page a failed post of the page's form goes back to
	// (RenderForm); empty: the page the form was on.
	FormURL string
	// Scripts are the page's own embedded scripts (static file names),
	// loaded deferred after app.js, in order.
	Scripts []string
	// WeChatJS is the JSSDK (or the sandbox's shim) a page with photos
	// loads before its scripts (Kit.WeChatJS); empty for none.
	WeChatJS string
	// Extra is the page's own data.
	Extra any
	// picked holds every value of every field of a failed post brought
	// back by a flash (checkbox lists post a field more than once); nil
	// when the page shows no flash (see Checked).
	picked map[string][]string
}

// Templates are a handler package's pages, each parsed with the layout.
type Templates struct {
	kit  *Kit
	sets map[string]*template.Template
}

// Templates parses every page (dir/*.html) of fsys with the layout and
// the shared partials (dir/partials/*.html); a page's template defines
// "content" and may use funcs.
func (k *Kit) Templates(fsys fs.FS, dir string, funcs template.FuncMap) (*Templates, error) {
	layout, err := kitFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	// Partials (dir/partials/*.html) define templates several pages
	// share; every page's set gets them.
	partNames, err := fs.Glob(fsys, path.Join(dir, "partials", "*.html"))
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, n := range partNames {
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		parts = append(parts, string(body))
	}
	t := &Templates{kit: k, sets: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		set, err := template.New("layout").Funcs(template.FuncMap{"asset": k.assetURL}).Funcs(funcs).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("模板 layout: %w", err)
		}
		for i, part := range parts {
			if _, err := set.Parse(part); err != nil {
				return nil, fmt.Errorf("模板 %s: %w", partNames[i], err)
			}
		}
		if _, err := set.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("模板 %s: %w", name, err)
		}
		t.sets[name] = set
	}
	return t, nil
}

// ContentSecurityPolicy is sent with every page: scripts, styles, images
// and requests only from this site (no inline script, style or handler
// anywhere in the templates; data: images for the QR codes to come),
// forms posting only here or, for a sign-in that must pass through WeChat
// authorization, to open.weixin.qq.com, and no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self' https://open.weixin.qq.com; frame-ancestors 'none'"

// maxPooledRender keeps a rare huge page's buffer out of the pool.
const maxPooledRender = 256 << 10

// Render writes a page; a template failure becomes a plain 500 (logged).
//
// A page is written whole or not at all (a template error becomes a 500,
// not half a page), from a pooled buffer: a fresh buffer grew by
// doubling to each page's 2–20 KB, and those copies were the largest
// share of what the server allocated.
func (t *Templates) Render(c *gin.Context, status int, name string, p Page) {
	k := t.kit
	p.Sandbox = k.opts.Sandbox
	p.CSRF = CSRFToken(c)
	if p.User == nil {
		p.User = CallerOf(c).User
	}
	if k.takeFlash(c, &p) && status >= 400 {
		// A form shown again with a flash's message is a normal page.
		status = http.StatusOK
	}
	set, ok := t.sets[name]
	buf := k.buffers.Get().(*bytes.Buffer) //nolint:errcheck // the pool holds nothing else
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledRender {
			k.buffers.Put(buf)
		}
	}()
	if !ok {
		k.log.ErrorContext(c.Request.Context(), "unknown page template", "page", name)
		c.String(http.StatusInternalServerError, "页面模板缺失")
		return
	}
	if err := set.ExecuteTemplate(buf, "layout", p); err != nil {
		k.log.ErrorContext(c.Request.Context(), "rendering page failed", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "页面渲染失败")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Security-Policy", ContentSecurityPolicy)
	c.Header("X-Frame-Options", "DENY")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "same-origin")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// RenderForm renders a form page: with err's message, and its field
// messages next to their fields, at err's status when err is not nil.
// A post that failed is not answered with the page but redirected to
// it (POST-redirect-GET, see FormFailed): to p.FormURL, or the page the
// form was on, which shows the message, the field messages and the
// values typed (p.Form and the posted values, passwords left out).
func (t *Templates) RenderForm(c *gin.Context, status int, name string, p Page, err error) {
	if err != nil && c.Request.Method == http.MethodPost {
		back := p.FormURL
		if back == "" {
			back = failedBack(c)
		}
		if t.kit.FormFailed(c, back, p.Form, err) {
			return
		}
	}
	if err != nil {
		status = t.kit.FormError(c, &p, err)
	}
	t.Render(c, status, name, p)
}

// assetVersions maps each embedded static file to a hash of its content:
// pages link /static/NAME?v=HASH, so a deploy that changes a file changes
// its URL, and WeChat's webview, which caches hard, cannot pair new pages
// with an old script or stylesheet.
func assetVersions() map[string]string {
	v := map[string]string{}
	entries, _ := staticFS.ReadDir("static")
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".gz") {
			continue // a compressed copy of another file, see Static
		}
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		v[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return v
}

// assetURL is the versioned URL of an embedded static file.
func (k *Kit) assetURL(name string) string {
	if v, ok := k.assets[name]; ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}

// Static serves the embedded CSS and JS under /static/: for a year when
// asked by the current version's URL, which changes with the content;
// otherwise revalidated each time.
//
// A file with a gzipped copy beside it (NAME.gz: ECharts, made by `make
// echarts`) is sent compressed to clients that take gzip.
func (k *Kit) Static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	gzipped := map[string][]byte{}
	for name := range k.assets {
		if b, err := staticFS.ReadFile("static/" + name + ".gz"); err == nil {
			gzipped[name] = b
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		v, ok := k.assets[name]
		if !ok {
			// Only the files themselves: no directory listing, no index.
			http.Error(w, "文件不存在", http.StatusNotFound)
			return
		}
		if r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if gz, ok := gzipped[name]; ok {
			w.Header().Set("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Get("Accept-Encoding")) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
				http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(gz))
				return
			}
		}
		fsrv.ServeHTTP(w, r)
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, and not with
// q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// Checked reports whether the checkbox field=value is ticked: as the
// user left it in a failed post the page shows again, else fallback (what
// the page's data says).
func (p Page) Checked(field, value string, fallback bool) bool {
	if p.picked == nil {
		return fallback
	}
	for _, v := range p.picked[field] {
		if v == value {
			return true
		}
	}
	return false
}

// Value is field's value as the user left it in a failed post the page
// shows again, else fallback (for selects whose choice the page's data
// holds).
func (p Page) Value(field, fallback string) string {
	if p.picked == nil {
		return fallback
	}
	if v := p.picked[field]; len(v) > 0 {
		return v[0]
	}
	return fallback
}
