package web

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service/kv"
)

// A failed form post is answered POST-redirect-GET: the error, its field
// messages and what the user typed are kept for a moment as a flash in
// the kv store, and the browser is sent (303) to the form's page, which
// takes the flash and shows the form again. The history then holds only
// GET pages: going back or reloading never asks to resubmit a form (the
// "Confirm Form Resubmission"/ERR_CACHE_MISS page seen in WeChat).
const (
	// flashParam carries the flash's id on the page it is shown on.
	flashParam = "flash"
	// flashTTL is how long a flash waits for its page.
	flashTTL = 10 * time.Minute
	// maxFlash bounds a flash's stored size; over it the typed values are
	// dropped (the messages are kept).
	maxFlash = 32 << 10
)

// flash is what a failed post leaves for the page it redirects to.
type flash struct {
	// Alert: an action's failure, shown at the top of any page (Fail).
	Alert  string            `json:"a,omitempty"`
	Error  string            `json:"e,omitempty"`
	Fields map[string]string `json:"f,omitempty"`
	Form   map[string]string `json:"v,omitempty"`
	// Picked: every value of every field (checkbox lists send a field
	// once per ticked box), secret fields left out.
	Picked map[string][]string `json:"m,omitempty"`
}

// flashKey is the store key of the flash id for this browser: the id
// alone is useless to another browser, whose CSRF token (the session's,
// or the pre-session cookie's) differs.
func flashKey(c *gin.Context, id string) string {
	sum := sha256.Sum256([]byte(CSRFToken(c) + "\x00" + id))
	return "flash:" + hex.EncodeToString(sum[:])
}

// secretField reports a form field whose value must never be kept or
// shown again: passwords (and their confirmation) and the CSRF token.
func secretField(name string) bool {
	n := strings.ToLower(name)
	if n == csrfField || n == "confirm" || n == "current" || n == "new" {
		return true
	}
	for _, s := range []string{"password", "passwd", "pwd", "confirm"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// submitted is what the user typed into the posted form, first value of
// each field, without secret fields; file inputs are not among a form's
// values.
func submitted(c *gin.Context, form map[string]string) map[string]string {
	v := map[string]string{}
	for name, val := range form {
		if !secretField(name) {
			v[name] = val
		}
	}
	if c.Request.PostForm == nil && c.Request.MultipartForm == nil {
		// A handler that failed before reading the form (bad id, say).
		_ = c.Request.ParseForm()
	}
	values := c.Request.PostForm
	if mf := c.Request.MultipartForm; mf != nil {
		values = mf.Value
	}
	for name, vals := range values {
		if len(vals) == 0 || secretField(name) {
			continue
		}
		v[name] = vals[0]
	}
	return v
}

// FormFailed answers a failed form post: err's message and field
// messages, and the submitted values but the passwords (form adds values
// the posted form lacks), are kept as a flash, and the
// browser goes (303) to back, the form's page, which shows them (Render).
// It reports false, having written nothing, when the flash cannot be
// stored; the caller then renders the form itself.
func (k *Kit) FormFailed(c *gin.Context, back string, form map[string]string, err error) bool {
	_, body := k.Describe(c, err)
	return k.redirectFlash(c, back, flash{Error: body.Message, Fields: body.Fields, Form: submitted(c, form), Picked: picked(c)})
}

func (k *Kit) redirectFlash(c *gin.Context, back string, f flash) bool {
	b, err := json.Marshal(f)
	if err == nil && len(b) > maxFlash {
		f.Form, f.Picked = nil, nil
		b, err = json.Marshal(f)
	}
	if err != nil || len(b) > maxFlash {
		return false
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	id := hex.EncodeToString(raw)
	if err := k.store.Set(c.Request.Context(), flashKey(c, id), string(b), flashTTL); err != nil {
		k.log.WarnContext(c.Request.Context(), "storing a form flash failed", "err", err)
		return false
	}
	u, perr := url.Parse(SafeNext(back))
	if perr != nil {
		u = &url.URL{Path: "/h5/home"}
	}
	q := u.Query()
	q.Set(flashParam, id)
	u.RawQuery = q.Encode()
	c.Redirect(http.StatusSeeOther, u.RequestURI())
	return true
}

// takeFlash puts the flash named in a GET's query, if any is still there
// for this browser, on p and reports whether there was one: it is read
// once (a reload shows the clean form).
func (k *Kit) takeFlash(c *gin.Context, p *Page) bool {
	if c.Request.Method != http.MethodGet {
		return false
	}
	id := c.Query(flashParam)
	if id == "" || len(id) > 64 {
		return false
	}
	raw, err := k.store.GetDel(c.Request.Context(), flashKey(c, id))
	if err != nil {
		if !errors.Is(err, kv.ErrMiss) {
			k.log.WarnContext(c.Request.Context(), "reading a form flash failed", "err", err)
		}
		return false
	}
	var f flash
	if json.Unmarshal([]byte(raw), &f) != nil {
		return false
	}
	if f.Alert != "" {
		p.Alert = f.Alert
		return true
	}
	p.Error, p.Fields = f.Error, f.Fields
	if f.Picked != nil || len(f.Form) > 0 {
		// The values came back: an unticked box stays unticked.
		p.picked = f.Picked
		if p.picked == nil {
			p.picked = map[string][]string{}
		}
	}
	if len(f.Form) > 0 {
		form := make(map[string]string, len(p.Form)+len(f.Form))
		for name, v := range p.Form {
			form[name] = v
		}
		for name, v := range f.Form {
			form[name] = v
		}
		p.Form = form
	}
	return true
}

// actionFailed answers a page's post that failed outside a form (a
// button's action: cancel, hide, remove …) like a failed form: the
// message as a flash, shown at the top of the page the button was on. It
// reports false, having written nothing, when that page is not known (no
// Referer from our pages) or the flash cannot be stored.
func (k *Kit) actionFailed(c *gin.Context, msg string) bool {
	if c.Request.Method != http.MethodPost {
		return false
	}
	ref, err := url.Parse(c.Request.Referer())
	if err != nil || ref.Host != c.Request.Host || !strings.HasPrefix(ref.Path, "/h5/") {
		return false
	}
	return k.redirectFlash(c, failedBack(c), flash{Alert: msg})
}

// failedBack is where a failed post sends the browser when its handler
// named no page: the page the form was on (the Referer, on this site,
// without an old flash), else the posted URL.
func failedBack(c *gin.Context) string {
	if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Host == c.Request.Host && strings.HasPrefix(ref.Path, "/h5/") {
		q := ref.Query()
		q.Del(flashParam)
		ref.RawQuery = q.Encode()
		return ref.RequestURI()
	}
	return c.Request.URL.RequestURI()
}

// picked is every value of every posted field but the secret ones.
func picked(c *gin.Context) map[string][]string {
	_ = c.Request.ParseForm()
	values := c.Request.PostForm
	if mf := c.Request.MultipartForm; mf != nil {
		values = mf.Value
	}
	out := map[string][]string{}
	for name, vals := range values {
		if len(vals) > 0 && !secretField(name) {
			out[name] = vals
		}
	}
	return out
}
