package api

import (
	"context"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
)

// registerPromotion mounts the universities' promotion QR codes: the
// plain code and the printable poster, as PNG.
func (w *API) registerPromotion(r gin.IRouter) {
	r.GET("/admin/universities/:code/qrcode.png", w.apiQRCode)
	r.GET("/admin/universities/:code/poster.png", w.apiPoster)
}

func (w *API) apiQRCode(c *gin.Context) {
	w.promotionPNG(c, "推广二维码", w.svc.Promotion.QRCodePNG)
}

func (w *API) apiPoster(c *gin.Context) {
	w.promotionPNG(c, "推广海报", w.svc.Promotion.PosterPNG)
}

// promotionPNG answers the PNG render makes for the university of the
// path's code (the service checks who may have it), named after the
// school; errors are the JSON envelope.
func (w *API) promotionPNG(c *gin.Context, what string,
	render func(ctx context.Context, viewer model.User, code string) (model.University, []byte, error)) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	uni, png, err := render(c.Request.Context(), *u, c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	name := uni.Name + "-" + what + ".png"
	c.Header("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	c.Header("Cache-Control", "private, max-age=3600")
	c.Data(http.StatusOK, "image/png", png)
}
