package h5

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/promotion"
)

// registerPromotionPages mounts the promotion QR codes' page: the
// downloads (served by the API, which checks who may have them).
func (w *Pages) registerPromotionPages(h gin.IRouter) {
	h.GET("/admin/promotion", w.promotionPage)
}

// promotionView is the page's data: the schools whose codes the viewer
// may download (one for a university admin) and the six steps the
// poster lists.
type promotionView struct {
	Universities []model.University
	Steps        []string
}

func (w *Pages) promotionPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	unis, err := w.svc.Promotion.Universities(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "promotion", web.Page{Title: "推广二维码", User: u,
		Extra: promotionView{Universities: unis, Steps: promotion.ActivationSteps}})
}
