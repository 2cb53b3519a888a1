package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/stats"
)

func (w *API) registerStatsAPI(api gin.IRouter) {
	api.GET("/admin/stats", w.apiStats)
	api.GET("/admin/stats/trends", w.apiStatsTrends)
}

// statsRequest is the period and order asked for.
type statsRequest struct {
	From string `form:"from" binding:"max=20"`
	To   string `form:"to" binding:"max=20"`
	Sort string `form:"sort" binding:"max=30"`
}

// apiStats is the assessment statistics as JSON: the same report as the
// page, for the same admins.
func (w *API) apiStats(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req statsRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	r, err := w.svc.Stats.Report(c.Request.Context(), *u, stats.Query{From: req.From, To: req.To, Sort: req.Sort})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, r)
}

// trendsRequest is the period and the university (code) asked for.
type trendsRequest struct {
	From       string `form:"from" binding:"max=20"`
	To         string `form:"to" binding:"max=20"`
	University string `form:"university" binding:"max=20"`
}

// apiStatsTrends is the daily series the page's trend chart draws.
func (w *API) apiStatsTrends(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req trendsRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	t, err := w.svc.Stats.Trend(c.Request.Context(), *u, stats.TrendQuery{From: req.From, To: req.To, University: req.University})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, t)
}
