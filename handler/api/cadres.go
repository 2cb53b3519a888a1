package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/stats"
)

func (w *API) registerCadresAPI(api gin.IRouter) {
	api.GET("/admin/cadres", w.apiCadres)
}

// cadresRequest is the university, period and order asked for.
type cadresRequest struct {
	University string `form:"university" binding:"max=20"`
	From       string `form:"from" binding:"max=20"`
	To         string `form:"to" binding:"max=20"`
	Sort       string `form:"sort" binding:"max=40"`
}

// apiCadres is the per-cadre assessment (干部考核) as JSON: one university's
// roster with each person's figures, or, for the province admin without
// university=, every university's totals. The service decides who sees
// what.
func (w *API) apiCadres(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req cadresRequest
	if err := web.BindQuery(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	r, err := w.svc.Stats.Cadres(c.Request.Context(), *u, stats.CadreQuery{University: req.University, From: req.From, To: req.To, Sort: req.Sort})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, r)
}
