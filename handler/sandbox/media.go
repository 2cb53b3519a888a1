package sandbox

import (
	"embed"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/photo"
)

//go:embed static/jweixin-shim.js
var shimFS embed.FS

// registerMedia mounts the JSSDK shim (web.SandboxShim) and the upload
// it plays uploadImage with.
func (s *Sandbox) registerMedia(g gin.IRouter) {
	g.GET("/jweixin-shim.js", s.shim)
	s.kit.Upload(g, "/media", photo.MaxBytes, s.uploadMedia)
}

func (s *Sandbox) shim(c *gin.Context) {
	js, err := shimFS.ReadFile("static/jweixin-shim.js")
	if err != nil {
		s.kit.Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", js)
}

var errNoMedia = service.Invalid("no_media", "请选择一张图片", map[string]string{"media": "请选择一张图片"})

// uploadMedia is WeChat's side of uploadImage: the picture goes to the
// fake API as temporary media, and its media_id comes back as serverId.
// The fake keeps what it is given, as WeChat does; the checks are the
// server's, when it fetches the media with the post.
func (s *Sandbox) uploadMedia(c *gin.Context) {
	if _, err := web.MultipartValues(c); err != nil {
		s.kit.Fail(c, err)
		return
	}
	_, data, has, err := web.FormFile(c, "media", photo.MaxBytes)
	if err != nil {
		s.kit.Fail(c, err)
		return
	}
	if !has {
		s.kit.Fail(c, errNoMedia)
		return
	}
	id := s.fake.AddMedia(data, http.DetectContentType(data))
	c.JSON(http.StatusOK, gin.H{"serverId": id})
}
