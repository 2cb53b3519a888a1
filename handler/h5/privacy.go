package h5

import (
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/privacy"
)

// registerPrivacyPages mounts the privacy part of 设置: the display name,
// 导出我的数据 and 注销账号.
func (w *Pages) registerPrivacyPages(h gin.IRouter) {
	h.POST("/settings/display-name", w.displayNameSubmit)
	h.GET("/settings/export", w.exportDownload)
	h.GET("/settings/close", w.closeForm)
	h.POST("/settings/close", w.closeSubmit)
}

type displayNameRequest struct {
	DisplayName string `form:"display_name" json:"display_name"`
}

func (w *Pages) displayNameSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req displayNameRequest
	if err := web.Bind(c, &req); err != nil {
		w.showSettings(c, http.StatusBadRequest, map[string]string{"display_name": req.DisplayName}, err)
		return
	}
	if _, err := w.svc.Accounts.SetDisplayName(c.Request.Context(), *u, req.DisplayName); err != nil {
		w.showSettings(c, 0, map[string]string{"display_name": req.DisplayName}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/settings?notice=display_name")
}

// exportDownload streams the person's data as a ZIP (privacy.Export).
func (w *Pages) exportDownload(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	x, err := w.svc.Privacy.BeginExport(c.Request.Context(), *u)
	if err != nil {
		w.kit.FailPage(c, err, "导出失败", "/h5/settings")
		return
	}
	writeExport(w.kit, c, x)
}

// writeExport sends x; the page and the API share it. Once the first
// byte is out an error can only cut the download short, so it is logged.
func writeExport(kit *web.Kit, c *gin.Context, x *privacy.Export) {
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": x.Filename}))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := x.WriteTo(c.Request.Context(), c.Writer); err != nil {
		kit.Log().ErrorContext(c.Request.Context(), "export failed midway", "err", err)
	}
}

// closePage is the confirmation step of 注销账号.
type closePage struct {
	Word string
}

func (w *Pages) closeForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.pages.Render(c, http.StatusOK, "close_account", web.Page{Title: "注销账号", User: u, Extra: closePage{Word: privacy.CloseWord}})
}

type closeRequest struct {
	Confirm string `form:"confirm" json:"confirm"`
}

func (w *Pages) closeSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req closeRequest
	page := web.Page{Title: "注销账号", User: u, Extra: closePage{Word: privacy.CloseWord}}
	if err := web.Bind(c, &req); err != nil {
		w.pages.RenderForm(c, http.StatusBadRequest, "close_account", page, err)
		return
	}
	if err := w.svc.Privacy.Close(c.Request.Context(), *u, req.Confirm); err != nil {
		w.pages.RenderForm(c, 0, "close_account", page, err)
		return
	}
	w.kit.EndSession(c)
	c.Redirect(http.StatusSeeOther, "/h5/login?notice=closed")
}
