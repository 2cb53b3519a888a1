package handler

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (w *Web) registerStatsAPI(api gin.IRouter) {
	api.GET("/admin/stats", w.apiStats)
}

// apiStats is the assessment statistics as JSON: the same report as the
// page, for the same admins.
func (w *Web) apiStats(c *gin.Context) {
	r, _, okReport := w.statsReport(c)
	if !okReport {
		return
	}
	ok(c, http.StatusOK, r)
}
