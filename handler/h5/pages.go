// Package h5 serves the H5 pages (/h5): what students, cadres, station
// teams and admins open in WeChat's browser or a desktop one. Every page
// action has a JSON twin in handler/api that calls the same service
// method; both go through the kit (handler/web).
package h5

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

// OAuthClient exchanges a WeChat web-authorization code for an openid.
type OAuthClient interface {
	OAuthOpenID(ctx context.Context, code string) (string, error)
}

// Pages serves the H5 pages, / and the static assets.
type Pages struct {
	kit   *web.Kit
	svc   web.Services
	oauth OAuthClient
	pages *web.Templates
}

// New builds the pages.
func New(kit *web.Kit, svc web.Services, oauth OAuthClient) (*Pages, error) {
	if kit == nil || oauth == nil {
		return nil, web.NilDependency("h5.New")
	}
	if err := svc.Check("h5.New"); err != nil {
		return nil, err
	}
	pages, err := kit.Templates(templateFS, "templates", funcs())
	if err != nil {
		return nil, err
	}
	return &Pages{kit: kit, svc: svc, oauth: oauth, pages: pages}, nil
}

// Register mounts the H5 pages and static assets.
func (w *Pages) Register(r gin.IRouter) {
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/h5/home") })
	r.GET("/static/*path", gin.WrapH(w.kit.Static()))

	h := w.kit.Group(r, "/h5")
	w.registerAccountPages(h)
	w.registerPasswordPages(h)
	w.registerScanLoginPages(h)
	w.registerQuestionPages(h)
	w.registerPhotoPages(h)
	w.registerAdminPages(h)
	w.registerLiaisonPages(h)
	w.registerOnboardingPages(h)
	w.registerPromotionPages(h)
	w.registerRosterPages(h)
	w.registerRosterImportPages(h)
	w.registerStationPages(h)
	w.registerBookingPages(h)
	w.registerConsolePages(h)
	w.registerProfilePages(h)
	w.registerTeamPages(h)
	w.registerOverviewPages(h)
	w.registerReferralPages(h)
	w.registerStatsPages(h)
	w.registerCadrePages(h)
	w.registerNoticePages(h)
	w.registerMessagePages(h)
	w.registerAuditPages(h)
}

// Unmatched shows the error page for an unknown page under /h5 (or a
// method it does not take): a phone should never land on a JSON body.
func (w *Pages) Unmatched(c *gin.Context, status int, msg string) bool {
	if p := c.Request.URL.Path; p != "/h5" && !strings.HasPrefix(p, "/h5/") {
		return false
	}
	w.kit.ErrorPage(c, status, "出错了", msg, "")
	return true
}

// funcs are the template functions of the pages.
func funcs() template.FuncMap {
	return template.FuncMap{
		"roleName":      model.RoleName,
		"maxlen":        maxLen,
		"liaisonFields": liaisonFields,
		"workdaysLeft":  workdaysLeft,
		"missingNames":  missingNames,
		"categoryName":  model.CategoryName,
		"rosterStatus":  model.RosterStatusName,
		"percent": func(c cadre.Completeness) string {
			if c.Expected == 0 {
				return "—"
			}
			return strconv.FormatFloat(100*c.Rate(), 'f', 0, 64) + "%"
		},
		"maskOpenID": func(s *string) string {
			if s == nil || len(*s) < 8 {
				return ""
			}
			return (*s)[:4] + "…" + (*s)[len(*s)-4:]
		},
		"beijing":           beijingTime,
		"isAdmin":           func(u *model.User) bool { return u != nil && account.IsAdmin(*u) },
		"noticeAudience":    notice.TargetText,
		"fileSize":          fileSize,
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
		"applyFields": applyFields,
		"initial": func(s string) string {
			for _, r := range s {
				return strings.ToUpper(string(r))
			}
			return "青"
		},
		// Stations and bookings.
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
			return u != nil && (u.Has(model.RoleProvinceAdmin) || (u.UniversityID != nil && *u.UniversityID == uni))
		},
	}
}

// beijingTime is how pages show a time.
func beijingTime(t time.Time) string { return t.In(clock.Beijing).Format("2006-01-02 15:04") }

// fileSize is a file's size for people: 856 KB, 2.4 MB.
func fileSize(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt(max(1, (n+1023)>>10), 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// addQuery appends q to a local URL.
func addQuery(u, q string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' {
			return u + "&" + q
		}
	}
	return u + "?" + q
}
