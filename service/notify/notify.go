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
	"strings"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/alertkind"
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
	templates map[alertkind.Kind]Template
	publicURL string
}

// New builds a notifier with a template for every alert kind; those
// without an id are not sent.
func New(outbox *alert.Outbox, templates map[alertkind.Kind]Template, publicURL string) (*Notifier, error) {
	if outbox == nil {
		return nil, errors.New("notify.New: nil outbox")
	}
	if publicURL == "" {
		return nil, errors.New("notify.New: empty public URL")
	}
	for _, k := range alertkind.All() {
		if _, ok := templates[k]; !ok {
			return nil, fmt.Errorf("notify.New: no template for alert %s", k)
		}
	}
	return &Notifier{outbox: outbox, templates: templates, publicURL: publicURL}, nil
}

// Unconfigured lists the keys of the alert kinds that have no template id
// (their alerts are skipped), in registry order.
func (n *Notifier) Unconfigured() []string {
	var out []string
	for _, k := range alertkind.All() {
		if n.templates[k].ID == "" {
			out = append(out, k.Key())
		}
	}
	return out
}

// Configured reports whether alert kind k has a template id, so Send
// sends it.
func (n *Notifier) Configured(k alertkind.Kind) bool { return n.templates[k].ID != "" }

// Link is the OAuth entry that lands on path (an /h5 page) signed in.
func (n *Notifier) Link(path string) string {
	return n.publicURL + "/h5/oauth/start?next=" + url.QueryEscape(path)
}

// Send enqueues alert kind k to every bound user in to (once per openid),
// linking to path, with vals keyed by our field names. It runs on the
// caller's transaction (see alert.Outbox.Enqueue); the outbox row names
// the kind by its key.
func (n *Notifier) Send(ctx context.Context, k alertkind.Kind, to []model.User, path string, vals map[string]string) error {
	t, ok := n.templates[k]
	if !ok {
		return fmt.Errorf("notify: unknown alert kind %s", k)
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
	var as []alert.Alert
	for _, u := range to {
		if u.OpenID == nil || *u.OpenID == "" || seen[*u.OpenID] {
			continue
		}
		seen[*u.OpenID] = true
		as = append(as, alert.Alert{OpenID: *u.OpenID, TemplateKey: k.Key(), TemplateID: t.ID, URL: link, Data: data})
	}
	// In batches: a province notice goes to thousands at once.
	return n.outbox.EnqueueAll(ctx, as)
}

// Time formats t for a template time field in Beijing time.
func Time(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02 15:04") }

// SandboxPrefix starts the stand-in template id the sandbox gives an
// alert without one ("sandbox-answered"): the sandbox inbox names the
// alert from it (SandboxKind).
const SandboxPrefix = "sandbox-"

// FromConfig converts the configured templates, one per alert kind. In the
// sandbox, templates without an id get SandboxPrefix + key so every alert
// reaches the fake API.
func FromConfig(t config.Templates, sandbox bool) map[alertkind.Kind]Template {
	out := make(map[alertkind.Kind]Template, len(alertkind.All()))
	for _, k := range alertkind.All() {
		c := t[k]
		id := c.ID
		if id == "" && sandbox {
			id = SandboxPrefix + k.Key()
		}
		out[k] = Template{ID: id, Fields: c.Fields}
	}
	return out
}

// SandboxKind is the alert kind a sandbox stand-in template id names.
func SandboxKind(templateID string) (alertkind.Kind, bool) {
	key, ok := strings.CutPrefix(templateID, SandboxPrefix)
	if !ok {
		return 0, false
	}
	return alertkind.Parse(key)
}
