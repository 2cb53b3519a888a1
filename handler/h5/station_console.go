package h5

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerConsolePages mounts the station admin console.
func (w *Pages) registerConsolePages(h gin.IRouter) {
	h.GET("/station", w.consolePage)
}

// uniQuery is the ?uni= of a station page for the province admin.
func uniQuery(c *gin.Context) string {
	if code := c.Query("uni"); code != "" {
		return "?uni=" + url.QueryEscape(code)
	}
	return ""
}

// withFields gives err field errors (field: its message) when it has
// none but its code belongs to a form field, so the message shows there.
func withFields(err error, codes map[string]string) error {
	var se *service.Error
	if errors.As(err, &se) && len(se.Fields) == 0 {
		if f, ok := codes[se.Code]; ok {
			return &service.Error{Kind: se.Kind, Code: se.Code, Message: se.Message, Fields: map[string]string{f: se.Message}}
		}
	}
	return err
}

// stationUniversity is the university a console page is about: ?uni=<code>
// (the province admin; others may only name their own), else the user's.
// It responds itself when ok is false.
func (w *Pages) stationUniversity(c *gin.Context, u model.User) (uni model.University, ok bool) {
	ctx := c.Request.Context()
	var err error
	switch code := c.Query("uni"); {
	case code != "":
		uni, err = w.svc.Accounts.UniversityByCode(ctx, code)
	case u.UniversityID == nil:
		err = service.Forbidden("no_university", "你的账号没有所属学校，无法管理服务站")
	default:
		uni, err = w.svc.Accounts.UniversityByID(ctx, *u.UniversityID)
	}
	if err != nil {
		w.kit.Fail(c, err)
		return uni, false
	}
	return uni, true
}

// stationTarget is the signed-in user and the university whose station a
// form acts on; it responds itself when ok is false.
func (w *Pages) stationTarget(c *gin.Context) (u model.User, uni model.University, ok bool) {
	user, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return u, uni, false
	}
	uni, ok = w.stationUniversity(c, *user)
	return *user, uni, ok
}

// canManageStation tells the pages whether to offer management links; the
// service enforces the rule on every change.
func (w *Pages) canManageStation(c *gin.Context, u model.User, uni uint64) (bool, error) {
	return w.svc.Stations.CanManage(c.Request.Context(), u, uni)
}

var errNotManager = service.Forbidden("not_station_manager", "只有本校团委管理员或服务站负责人可以维护服务站")

// consoleView is the station admin console's data.
type consoleView struct {
	University   model.University
	Station      *station.View
	State        string
	Queue        []bookingRow
	Waiting      int
	Manage       bool
	Construction *constructionRow
	UniQuery     string
}

func (w *Pages) consolePage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	if u.Has(model.RoleProvinceAdmin) && c.Query("uni") == "" {
		c.Redirect(http.StatusFound, "/h5/admin/stations")
		return
	}
	ctx := c.Request.Context()
	uni, okUni := w.stationUniversity(c, *u)
	if !okUni {
		return
	}
	p := consoleView{University: uni, UniQuery: uniQuery(c)}
	var err error
	if p.Manage, err = w.canManageStation(c, *u, uni.ID); err != nil {
		w.kit.Fail(c, err)
		return
	}
	v, err := w.svc.Stations.ByUniversity(ctx, uni.ID)
	switch {
	case err == nil:
		p.Station, p.State = &v, openState(v)
		queue, err := w.svc.Stations.Queue(ctx, *u, uni.ID)
		if err != nil {
			w.kit.Fail(c, err) // refuses everyone but the station's admins
			return
		}
		p.Queue = bookingRows(queue)
		for _, b := range queue {
			if b.Status == model.BookingSubmitted {
				p.Waiting++
			}
		}
	case errors.Is(err, service.ErrNotFound) && p.Manage:
		// Not built yet: the console offers to set it up.
	default:
		w.kit.Fail(c, err)
		return
	}
	if p.Manage {
		cons, err := w.svc.Stations.ConstructionOf(ctx, *u, uni.ID)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		row := newConstructionRow(station.ListRow{Construction: cons})
		p.Construction = &row
	}
	w.pages.Render(c, http.StatusOK, "station_console", web.Page{Title: "服务站管理", Notice: consoleNotice(c.Query("notice")), Extra: p})
}

func consoleNotice(key string) string {
	switch key {
	case "saved":
		return "服务站信息已保存。"
	case "added":
		return "已添加到服务站团队。"
	case "removed":
		return "已从服务站团队移除。"
	}
	return ""
}
