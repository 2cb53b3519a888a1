package h5

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/cadre"
)

// registerLiaisonPages mounts the liaison (联络专员) directory and form.
func (w *Pages) registerLiaisonPages(h gin.IRouter) {
	h.GET("/admin/liaisons", w.liaisonsPage)
	h.GET("/admin/liaisons/:code", w.liaisonForm)
	h.POST("/admin/liaisons/:code", w.liaisonSubmit)
}

// liaisonsView is the directory page's data (Form: the form of one
// university's liaison instead).
type liaisonsView struct {
	Entries    []cadre.LiaisonEntry
	Missing    int
	University model.University
	IsForm     bool
}

func (w *Pages) liaisonsPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	es, err := w.svc.Cadres.Liaisons(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := liaisonsView{Entries: es}
	for _, e := range es {
		if e.Liaison == nil {
			v.Missing++
		}
	}
	notice := ""
	if c.Query("notice") == "saved" {
		notice = "联络专员已保存"
	}
	w.pages.Render(c, http.StatusOK, "liaisons", web.Page{Title: "联络专员", Notice: notice, Extra: v})
}

// liaisonRequest is the form (the service checks every field).
type liaisonRequest struct {
	RealName string `form:"real_name"`
	Position string `form:"position"`
	Phone    string `form:"phone"`
	Email    string `form:"email"`
	Account  string `form:"account"`
}

func (w *Pages) liaisonForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	es, err := w.svc.Cadres.Liaisons(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	form := map[string]string{}
	found := false
	for _, e := range es {
		if e.University.ID != uni.ID {
			continue
		}
		found = true
		if l := e.Liaison; l != nil {
			form = map[string]string{"real_name": l.RealName, "position": l.Position, "phone": l.Phone, "email": l.Email, "account": e.Account}
		}
	}
	if !found {
		w.kit.Fail(c, errNotOwnUniversity)
		return
	}
	w.showLiaisonForm(c, http.StatusOK, uni, form, nil)
}

func (w *Pages) showLiaisonForm(c *gin.Context, status int, uni model.University, form map[string]string, err error) {
	w.pages.RenderForm(c, status, "liaisons", web.Page{Title: "联络专员", Form: form,
		Extra: liaisonsView{University: uni, IsForm: true}}, err)
}

func (w *Pages) liaisonSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	var req liaisonRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	form := map[string]string{"real_name": req.RealName, "position": req.Position, "phone": req.Phone, "email": req.Email, "account": req.Account}
	if _, err := w.svc.Cadres.SetLiaison(c.Request.Context(), *u, uni.ID,
		cadre.LiaisonInput{RealName: req.RealName, Position: req.Position, Phone: req.Phone, Email: req.Email, Account: req.Account}); err != nil {
		w.showLiaisonForm(c, 0, uni, form, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin/liaisons?notice=saved")
}

var errNotOwnUniversity = service.Forbidden("forbidden", "只有本校团委管理员或省级管理员可以设置联络专员")

// liaisonFields are the form's fields, with the service's limits.
func liaisonFields() []applyField {
	return []applyField{
		{Name: "real_name", Label: "姓名", Hint: "真实姓名", Max: cadre.MaxRealName},
		{Name: "position", Label: "职务", Hint: "如 校团委副书记", Max: cadre.MaxPosition},
		{Name: "phone", Label: "手机号", Hint: "11 位手机号", Type: "tel", Max: cadre.MaxPhone},
		{Name: "email", Label: "邮箱", Hint: "选填", Type: "email", Max: cadre.MaxEmail},
		{Name: "account", Label: "平台账号", Hint: "选填：本校账号，用于接收升级提醒", Max: account.MaxCredential},
	}
}
