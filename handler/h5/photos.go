package h5

import (
	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service"
)

// photoScripts pick and show the photos of the ask and question pages.
var photoScripts = []string{"photos.js"}

// registerPhotoPages mounts the photos of questions and answers.
func (w *Pages) registerPhotoPages(h gin.IRouter) {
	h.GET("/images/:id", func(c *gin.Context) { w.image(c, false) })
	h.GET("/images/:id/thumb", func(c *gin.Context) { w.image(c, true) })
}

var errNoImage = service.NotFound("image_not_found", "图片不存在或已被删除")

// image sends a photo (or its thumbnail) to whoever may see its post.
func (w *Pages) image(c *gin.Context, thumb bool) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoImage)
	if !ok {
		return
	}
	obj, err := w.svc.Photos.Open(c.Request.Context(), u, id, thumb)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	web.SendImage(c, obj.ContentType, obj.Data)
}
