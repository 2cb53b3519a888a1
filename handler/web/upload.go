package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/service"
)

// uploadSlack is what a multipart body carries besides its file: the
// boundaries, the part headers and the CSRF field.
const uploadSlack = 64 << 10

// Upload mounts a POST route of group r that takes a file (multipart
// field of the handler's choosing) of up to limit bytes: LimitBody lets
// its body, and only its, exceed MaxBody. The handler still checks the
// file's own size.
func (k *Kit) Upload(r gin.IRouter, path string, limit int64, h gin.HandlerFunc) {
	base := ""
	if g, ok := r.(interface{ BasePath() string }); ok {
		base = g.BasePath()
	}
	full := strings.TrimSuffix(base, "/") + "/" + strings.TrimPrefix(path, "/")
	k.uploads[http.MethodPost+" "+full] = limit + uploadSlack
	r.POST(path, h)
}

// uploadTooLarge is the 413 of an upload route.
func uploadTooLarge(limit int64) error {
	return &service.Error{Kind: errTooLarge, Code: "body_too_large",
		Message: fmt.Sprintf("上传的文件过大（不能超过 %d MiB）", (limit-uploadSlack)>>20)}
}

// refuseBody answers a body that will not be read: the connection is not
// reused (the rest of the body is still on it).
func (k *Kit) refuseBody(c *gin.Context, err error) {
	c.Header("Connection", "close")
	k.Fail(c, err)
	c.Abort()
}
