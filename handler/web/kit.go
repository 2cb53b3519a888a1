// Package web is the kit the browser-facing handler packages share: who
// the caller is (sessions, WeChat OAuth, CSRF), the one binder with its
// body cap, the one error mapping and JSON error envelope, page
// rendering (the layout, the error page and the static assets), cookies
// and the helpers that read path and query parameters. It serves no
// route of its own: handler/h5, handler/api and handler/sandbox mount
// their groups through Group.
//
// A handler follows one recipe: bind with limits (Bind), identify the
// caller (RequireUser), call one service method, and respond (a page, a
// JSON body, or Fail, which maps every error the same way).
package web

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/inbox"
	"github.com/gdyouth/youthvoice/service/kv"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/onboarding"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/privacy"
	"github.com/gdyouth/youthvoice/service/promotion"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/scanlogin"
	"github.com/gdyouth/youthvoice/service/session"
	"github.com/gdyouth/youthvoice/service/station"
	"github.com/gdyouth/youthvoice/service/stats"
)

// NilDependency is the error of a constructor handed a nil dependency.
func NilDependency(where string) error {
	return fmt.Errorf("%s: nil dependency", where)
}

// Options configures the kit.
type Options struct {
	// PublicURL is the https origin users reach (cookies are Secure when
	// it is https; WeChat sends OAuth back to it).
	PublicURL string
	AppID     string
	// Sandbox: no WeChat credentials; OAuth goes to the sandbox's
	// authorize page and its phone counts as WeChat.
	Sandbox bool
	// AdminIdle is the idle expiry of a province or university admin's
	// session begun with a password (YV_ADMIN_IDLE_TIMEOUT); 0 for the
	// store's.
	AdminIdle time.Duration
}

// Services are the services behind the pages and the API; both call the
// same methods.
type Services struct {
	Accounts  *account.Service
	Questions *question.Service
	Cadres    *cadre.Service
	Stations  *station.Service
	Stats     *stats.Service
	// Onboarding follows the universities from going live to normal
	// operation.
	Onboarding *onboarding.Service
	// Notices are the province's notices (通知) to the universities.
	Notices *notice.Service
	// Promotion serves the universities' promotion QR codes.
	Promotion *promotion.Service
	// Inbox is 我的消息: every alert a person was sent.
	Inbox *inbox.Inbox
	// Outbox reports alert configuration errors to admins.
	Outbox *alert.Outbox
	// Passwords changes and resets passwords.
	Passwords *account.Passwords
	// Photos stores and serves the photos of questions and answers.
	Photos *photo.Service
	// Privacy exports and closes accounts (导出我的数据, 注销账号).
	Privacy *privacy.Service
	// Audit browses and exports the audit trail, and records the
	// downloads of personal data the handlers build.
	Audit *audit.Service
	// ScanLogins signs admins in on a PC by scanning with WeChat.
	ScanLogins *scanlogin.Service
}

// Check reports a missing service.
func (s Services) Check(where string) error {
	if s.Accounts == nil || s.Questions == nil || s.Cadres == nil || s.Stations == nil || s.Stats == nil || s.Onboarding == nil || s.Notices == nil || s.Promotion == nil || s.Inbox == nil || s.Outbox == nil || s.Passwords == nil || s.Photos == nil || s.Privacy == nil || s.Audit == nil || s.ScanLogins == nil {
		return NilDependency(where)
	}
	return nil
}

// Kit is what the page, API and sandbox handlers share.
type Kit struct {
	accounts *account.Service
	sessions *session.Store
	// store keeps the flashes of failed form posts (flash.go).
	store  kv.Store
	log    *slog.Logger
	opts   Options
	secure bool
	// errorPage is the layout with the error page.
	errorPage *Templates
	// assets maps each static file to the hash of its content.
	assets map[string]string
	// buffers hold pages while they render (see Templates.Render).
	buffers sync.Pool
	// uploads are the routes ("POST /full/path") that take a file, with
	// their body limit (Upload): set while routes are mounted, only read
	// while serving.
	uploads map[string]int64
}

// New builds the kit.
func New(accounts *account.Service, sessions *session.Store, store kv.Store, log *slog.Logger, o Options) (*Kit, error) {
	if accounts == nil || sessions == nil || store == nil || log == nil {
		return nil, NilDependency("web.New")
	}
	k := &Kit{accounts: accounts, sessions: sessions, store: store, log: log, opts: o,
		secure: strings.HasPrefix(o.PublicURL, "https://"), assets: assetVersions(), uploads: map[string]int64{}}
	k.buffers.New = func() any { return new(bytes.Buffer) }
	var err error
	if k.errorPage, err = k.Templates(kitFS, "templates", nil); err != nil {
		return nil, err
	}
	return k, nil
}

// Log is the logger handlers report through.
func (k *Kit) Log() *slog.Logger { return k.log }

// Group mounts a route group for browsers and API clients: bodies over
// MaxBody are refused first (413), then the caller is identified and
// state-changing requests must carry the CSRF token.
func (k *Kit) Group(r gin.IRouter, path string) *gin.RouterGroup {
	return r.Group(path, k.LimitBody, k.identify, k.checkCSRF)
}
