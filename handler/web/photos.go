package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/gdyouth/youthvoice/service/photo"
)

// PhotoBody is the body cap of a route that takes a post with photos
// (Kit.Upload): three files at their limit.
const PhotoBody = photo.MaxPerPost * photo.MaxBytes

// Photo fields of a post's form: files chosen in a browser, and the
// serverIds of images uploaded through the JSSDK inside WeChat.
const (
	PhotoField   = "images"
	MediaIDField = "media_id"
)

// BindPost decodes a post that may carry photos into req (a request
// struct with form and json tags) and returns its photos. A
// multipart/form-data body (the pages' forms, an API client sending
// files) is read up to the route's Upload cap; any other body is Bind's,
// JSON or a form, without photos.
func BindPost(c *gin.Context, req any) ([]photo.Upload, error) {
	if !IsMultipart(c) {
		return nil, Bind(c, req)
	}
	if _, err := MultipartValues(c); err != nil {
		return nil, err
	}
	if err := formError(req, c.ShouldBindWith(req, binding.FormMultipart)); err != nil {
		return nil, err
	}
	form := c.Request.MultipartForm
	var ups []photo.Upload
	for _, id := range form.Value[MediaIDField] {
		if id = strings.TrimSpace(id); id != "" {
			if len(id) > 128 {
				return nil, photo.ErrMedia
			}
			ups = append(ups, photo.Upload{MediaID: id})
		}
	}
	for _, fh := range form.File[PhotoField] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty part of a file input left alone
		}
		if len(ups) >= photo.MaxPerPost {
			return nil, photo.ErrTooMany // refused before reading more
		}
		if fh.Size > photo.MaxBytes {
			return nil, photo.ErrTooBig
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, photo.MaxBytes+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		ups = append(ups, photo.Upload{Data: data})
	}
	if len(ups) > photo.MaxPerPost {
		return nil, photo.ErrTooMany
	}
	return ups, nil
}

// SandboxShim is the sandbox's stand-in for WeChat's JSSDK (served by
// handler/sandbox only in sandbox mode): wx.chooseImage picks a file,
// wx.uploadImage hands it to the fake WeChat API.
const SandboxShim = "/sandbox/jweixin-shim.js"

// WeChatJS is the JSSDK script a page with photos loads: WeChat's own
// (vendored, see make jweixin) inside WeChat's browser, the sandbox's
// shim in the sandbox phone, none elsewhere (a browser uploads files).
func (k *Kit) WeChatJS(c *gin.Context) string {
	if !k.InWeChat(c) {
		return ""
	}
	if k.opts.Sandbox {
		return SandboxShim
	}
	return k.assetURL("jweixin.js")
}

// SendImage answers with a photo of a post: cached by this browser only
// (another viewer may not be allowed to see it), its type as stored,
// never sniffed into something else, never run as a page.
func SendImage(c *gin.Context, ctype string, data []byte) {
	c.Header("Cache-Control", "private, max-age=600")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Data(http.StatusOK, ctype, data)
}
