package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// registerPhotos mounts the photos and the JSSDK signature.
func (w *API) registerPhotos(r gin.IRouter) {
	r.GET("/images/:id", func(c *gin.Context) { w.apiImage(c, false) })
	r.GET("/images/:id/thumb", func(c *gin.Context) { w.apiImage(c, true) })
	r.GET("/wechat/jssdk-config", w.apiJSSDKConfig)
}

// apiImage is a photo of a question or answer, as listed in images.
type apiImage struct {
	ID       uint64 `json:"id"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

func apiImages(rows []model.PostImage) []apiImage {
	out := make([]apiImage, 0, len(rows))
	for _, r := range rows {
		u := "/api/v1/images/" + strconv.FormatUint(r.ID, 10)
		out = append(out, apiImage{ID: r.ID, URL: u, ThumbURL: u + "/thumb", Width: r.Width, Height: r.Height})
	}
	return out
}

var errNoImage = service.NotFound("image_not_found", "图片不存在或已被删除")

func (w *API) apiImage(c *gin.Context, thumb bool) {
	u, id, valid := w.kit.UserAndID(c, "id", errNoImage)
	if !valid {
		return
	}
	obj, err := w.svc.Photos.Open(c.Request.Context(), u, id, thumb)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	web.SendImage(c, obj.ContentType, obj.Data)
}

// apiJSSDKConfig signs wx.config for the page at ?url= (the page's exact
// URL; a fragment is dropped), for the pages' photo picker in WeChat.
func (w *API) apiJSSDKConfig(c *gin.Context) {
	if _, signedIn := w.kit.RequireUser(c); !signedIn {
		return
	}
	cfg, err := w.svc.Photos.JSConfig(c.Request.Context(), c.Query("url"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, cfg)
}
