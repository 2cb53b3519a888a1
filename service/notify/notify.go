// Package notify turns domain events into template messages: it picks the
// configured template, maps our field names to the template's keywords,
// links to the H5 page through WeChat OAuth, and stores one outbox row per
// recipient in the caller's transaction.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/clock"
)

// Template is one configured WeChat template.
type Template struct {
	ID     string
	Fields map[string]string // our field name → template keyword
}

// Notifier enqueues alerts.
type Notifier struct {
	outbox    *alert.Outbox
	templates map[string]Template
	publicURL string
}

// New builds a notifier. Templates without an id are not sent.
func New(outbox *alert.Outbox, templates map[string]Template, publicURL string) (*Notifier, error) {
	if outbox == nil {
		return nil, errors.New("notify.New: nil outbox")
	}
	if publicURL == "" {
		return nil, errors.New("notify.New: empty public URL")
	}
	return &Notifier{outbox: outbox, templates: templates, publicURL: publicURL}, nil
}

// Unconfigured lists the template keys that have no id (their alerts are
// skipped), sorted.
func (n *Notifier) Unconfigured() []string {
	var out []string
	for k, t := range n.templates {
		if t.ID == "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Configured reports whether alert key has a template id, so Send sends
// it.
func (n *Notifier) Configured(key string) bool { return n.templates[key].ID != "" }

// Link is the OAuth entry that lands on path (an /h5 page) signed in.
func (n *Notifier) Link(path string) string {
	return n.publicURL + "/h5/oauth/start?next=" + url.QueryEscape(path)
}

// Send enqueues the alert key to every bound user in to (once per
// openid), linking to path, with vals keyed by our field names. It runs on
// the caller's transaction (see alert.Outbox.Enqueue).
func (n *Notifier) Send(ctx context.Context, key string, to []model.User, path string, vals map[string]string) error {
	t, ok := n.templates[key]
	if !ok {
		return fmt.Errorf("notify: unknown template %q", key)
	}
	if t.ID == "" {
		return nil // not configured: logged once at startup
	}
	data := make(map[string]string, len(vals))
	for field, v := range vals {
		if kw, ok := t.Fields[field]; ok {
			data[kw] = v
		}
	}
	link := n.Link(path)
	seen := map[string]bool{}
	for _, u := range to {
		if u.OpenID == nil || *u.OpenID == "" || seen[*u.OpenID] {
			continue
		}
		seen[*u.OpenID] = true
		if err := n.outbox.Enqueue(ctx, alert.Alert{
			OpenID: *u.OpenID, TemplateKey: key, TemplateID: t.ID, URL: link, Data: data,
		}); err != nil {
			return err
		}
	}
	return nil
}

// Time formats t for a template time field in Beijing time.
func Time(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02 15:04") }

// FromConfig converts the configured templates. In the sandbox, templates
// without an id get "sandbox-<key>" so every alert reaches the fake API.
func FromConfig(t config.Templates, sandbox bool) map[string]Template {
	out := make(map[string]Template, len(config.TemplateKeys))
	for _, key := range config.TemplateKeys {
		c := t.ByKey(key)
		id := c.ID
		if id == "" && sandbox {
			id = "sandbox-" + key
		}
		out[key] = Template{ID: id, Fields: c.Fields}
	}
	return out
}
