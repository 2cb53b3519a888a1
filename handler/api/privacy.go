package api

import (
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
)

// registerPrivacy mounts the display name, 导出我的数据 and 注销账号: the
// same service calls as 设置.
func (w *API) registerPrivacy(api gin.IRouter) {
	api.PUT("/me/display-name", w.apiDisplayName)
	api.GET("/me/export", w.apiExport)
	api.POST("/me/delete", w.apiCloseAccount)
}

type apiDisplayNameRequest struct {
	DisplayName string `json:"display_name"`
}

func (w *API) apiDisplayName(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiDisplayNameRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	got, err := w.svc.Accounts.SetDisplayName(c.Request.Context(), *u, req.DisplayName)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v, err := w.viewUser(c, got)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, v)
}

func (w *API) apiExport(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	x, err := w.svc.Privacy.BeginExport(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": x.Filename}))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	// Once bytes are out an error can only cut the download short.
	if err := x.WriteTo(c.Request.Context(), c.Writer); err != nil {
		w.kit.Log().ErrorContext(c.Request.Context(), "export failed midway", "err", err)
	}
}

type apiCloseRequest struct {
	Confirm string `json:"confirm"`
}

func (w *API) apiCloseAccount(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiCloseRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := w.svc.Privacy.Close(c.Request.Context(), *u, req.Confirm); err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.kit.EndSession(c)
	c.Status(http.StatusNoContent)
}
