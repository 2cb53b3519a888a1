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
	"github.com/gdyouth/youthvoice/service/inbox"
)

// Template is one configured WeChat template.
type Template struct {
	ID     string
	Fields map[string]string // our field name → template keyword
}

// Notifier enqueues alerts.
type Notifier struct {
	outbox    *alert.Outbox
	inbox     *inbox.Inbox
	templates map[alertkind.Kind]Template
	publicURL string
}

// New builds a notifier with a template for every alert kind; those
// without an id are not sent, but listed in 我的消息 (box) all the same.
func New(outbox *alert.Outbox, box *inbox.Inbox, templates map[alertkind.Kind]Template, publicURL string) (*Notifier, error) {
	if outbox == nil || box == nil {
		return nil, errors.New("notify.New: nil outbox or inbox")
	}
	if publicURL == "" {
		return nil, errors.New("notify.New: empty public URL")
	}
	for _, k := range alertkind.All() {
		if _, ok := templates[k]; !ok {
			return nil, fmt.Errorf("notify.New: no template for alert %s", k)
		}
	}
	return &Notifier{outbox: outbox, inbox: box, templates: templates, publicURL: publicURL}, nil
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

// Send lists alert kind k in 我的消息 of every user in to (once per
// account, bound to WeChat or not) and enqueues it to every bound one
// (once per openid) when k has a template, linking to path, with vals
// keyed by our field names. Both are stored on the caller's transaction
// (see alert.Outbox.Enqueue), or in one of their own; the outbox row
// names the kind by its key.
func (n *Notifier) Send(ctx context.Context, k alertkind.Kind, to []model.User, path string, vals map[string]string) error {
	t, ok := n.templates[k]
	if !ok {
		return fmt.Errorf("notify: unknown alert kind %s", k)
	}
	listed := map[uint64]bool{}
	var es []inbox.Entry
	for _, u := range to {
		if u.ID == 0 || listed[u.ID] || u.Closed() {
			continue // a closed (注销) account is told nothing
		}
		listed[u.ID] = true
		es = append(es, inbox.Entry{UserID: u.ID, Kind: k, Path: path, Values: vals})
	}
	var as []alert.Alert
	// Without a template id the alert is not sent (logged once at
	// startup); the list still has it.
	if t.ID != "" {
		data := make(map[string]string, len(vals))
		for field, v := range vals {
			if kw, ok := t.Fields[field]; ok {
				data[kw] = v
			}
		}
		link := n.Link(path)
		seen := map[string]bool{}
		for _, u := range to {
			if u.OpenID == nil || *u.OpenID == "" || seen[*u.OpenID] || u.Closed() {
				continue
			}
			seen[*u.OpenID] = true
			as = append(as, alert.Alert{OpenID: *u.OpenID, TemplateKey: k.Key(), TemplateID: t.ID, URL: link, Data: data})
		}
	}
	if len(es) == 0 && len(as) == 0 {
		return nil
	}
	// In batches: a province notice goes to thousands at once.
	return n.inbox.Add(ctx, es, func(ctx context.Context) error { return n.outbox.EnqueueAll(ctx, as) })
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
