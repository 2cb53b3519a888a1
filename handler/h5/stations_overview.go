package h5

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerOverviewPages mounts the province's construction overview.
func (w *Pages) registerOverviewPages(h gin.IRouter) {
	h.GET("/admin/stations", w.overviewPage)
	h.POST("/admin/stations/:code/confirm", w.confirmSubmit)
}

// constructionRow is a university's construction status as listed.
type constructionRow struct {
	station.Construction
	StatusName string
	BatchName  string
	CanConfirm bool
}

func newConstructionRow(c station.Construction) constructionRow {
	r := constructionRow{Construction: c, StatusName: constructionStatusName(c.Status)}
	if c.Status == station.StatusReady && c.Overdue {
		r.StatusName += "（已逾期）" // still awaiting confirmation, listed under 待确认
	}
	switch c.Batch {
	case model.BatchUndergraduate:
		r.BatchName = "第一批（本科）"
	case model.BatchPublicVocational:
		r.BatchName = "第二批（公办专科）"
	default:
		r.BatchName = "第三批（民办专科）"
	}
	r.CanConfirm = c.Status != station.StatusBuilt && c.StationID != 0 && len(c.Missing) == 0
	return r
}

func constructionStatusName(s string) string {
	switch s {
	case station.StatusBuilt:
		return "已建成"
	case station.StatusReady:
		return "待确认"
	case station.StatusPending:
		return "建设中"
	case station.StatusLate:
		return "已逾期"
	}
	return s
}

type statusCount struct {
	Key, Name string
	Count     int
}

// overviewView is the province overview's data.
type overviewView struct {
	Rows   []constructionRow
	Counts []statusCount
	Total  int
	Filter string
}

func (w *Pages) overviewPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showOverview(c, *u, http.StatusOK, nil)
}

func (w *Pages) showOverview(c *gin.Context, u model.User, status int, err error) {
	all, oerr := w.svc.Stations.Overview(c.Request.Context(), u)
	if oerr != nil {
		w.kit.Fail(c, oerr) // refuses everyone but the province admin
		return
	}
	p := overviewView{Total: len(all), Filter: c.Query("status")}
	counts := map[string]int{}
	for _, cons := range all {
		counts[cons.Status]++
		if p.Filter == "" || p.Filter == cons.Status {
			p.Rows = append(p.Rows, newConstructionRow(cons))
		}
	}
	for _, k := range []string{station.StatusBuilt, station.StatusReady, station.StatusPending, station.StatusLate} {
		p.Counts = append(p.Counts, statusCount{Key: k, Name: constructionStatusName(k), Count: counts[k]})
	}
	d := web.Page{Title: "服务站建设", FormURL: "/h5/admin/stations", Extra: p}
	if c.Query("notice") == "confirmed" {
		d.Notice = "已确认建成。"
	}
	w.pages.RenderForm(c, status, "stations_overview", d, err)
}

func (w *Pages) confirmSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	uni, err := w.svc.Accounts.UniversityByCode(ctx, c.Param("code"))
	if err == nil {
		err = w.svc.Stations.ConfirmBuilt(ctx, *u, uni.ID)
	}
	if err != nil {
		w.showOverview(c, *u, 0, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin/stations?notice=confirmed")
}
