package h5

import (
	"errors"
	"net/http"
	"time"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alert"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/onboarding"
	"github.com/gdyouth/youthvoice/service/question"
)

// registerAdminPages mounts the cadre application and admin pages.
func (w *Pages) registerAdminPages(h gin.IRouter) {
	h.GET("/cadre/apply", w.applyForm)
	h.POST("/cadre/apply", w.applySubmit)
	h.GET("/admin", w.adminPage)
	h.POST("/admin/applications/:id", w.decideSubmit)
	h.POST("/admin/university-admins", w.appointSubmit)
	h.POST("/admin/university-admins/revoke", w.revokeSubmit)
}

// applyPage is the cadre application page's data.
type applyPage struct {
	Latest   *model.CadreApplication
	CanApply bool
}

func (w *Pages) applyForm(c *gin.Context) {
	if _, ok := w.kit.RequireUser(c); !ok {
		return
	}
	w.showApply(c, http.StatusOK, nil, nil)
}

func (w *Pages) showApply(c *gin.Context, status int, form map[string]string, err error) {
	u := web.CallerOf(c).User
	p := applyPage{CanApply: !u.Has(model.RoleCadre)}
	latest, lerr := w.svc.Cadres.Latest(c.Request.Context(), u.ID)
	switch {
	case lerr == nil:
		p.Latest = &latest
		if latest.Status == model.ApplicationPending {
			p.CanApply = false
		}
	case !errors.Is(lerr, service.ErrNotFound):
		w.kit.Fail(c, lerr)
		return
	}
	d := web.Page{Title: "申请成为团学干部", Form: form, Notice: applyNotice(c.Query("notice")), Extra: p}
	w.pages.RenderForm(c, status, "cadre_apply", d, err)
}

// applyField is one input of the cadre application (附件1).
type applyField struct {
	Name, Label, Hint, Type string
	Max                     int
}

func applyFields() []applyField {
	return []applyField{
		{Name: "position", Label: "职务", Hint: "如 校团委副书记、学生会主席", Max: cadre.MaxPosition},
		{Name: "real_name", Label: "姓名", Hint: "真实姓名", Max: cadre.MaxRealName},
		{Name: "phone", Label: "手机号", Hint: "11 位手机号", Type: "tel", Max: cadre.MaxPhone},
		{Name: "email", Label: "邮箱", Hint: "选填", Type: "email", Max: cadre.MaxEmail},
		{Name: "qq", Label: "QQ号", Hint: "选填", Type: "numeric", Max: cadre.MaxQQ},
		{Name: "wechat_id", Label: "微信号", Hint: "选填", Max: cadre.MaxWeChatID},
	}
}

func applyNotice(key string) string {
	if key == "applied" {
		return "申请已提交，本校团委审核后会通过公众号消息通知你。"
	}
	return ""
}

type applyRequest struct {
	Position string `form:"position" json:"position"`
	RealName string `form:"real_name" json:"real_name"`
	Phone    string `form:"phone" json:"phone" binding:"max=50"`
	Email    string `form:"email" json:"email"`
	QQ       string `form:"qq" json:"qq" binding:"max=50"`
	WeChatID string `form:"wechat_id" json:"wechat_id"`
}

func (r applyRequest) form() map[string]string {
	return map[string]string{"position": r.Position, "real_name": r.RealName, "phone": r.Phone,
		"email": r.Email, "qq": r.QQ, "wechat_id": r.WeChatID}
}

func (w *Pages) applySubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req applyRequest
	if err := web.Bind(c, &req); err != nil {
		w.showApply(c, http.StatusBadRequest, req.form(), err)
		return
	}
	if _, err := w.svc.Cadres.Apply(c.Request.Context(), *u, cadre.Application{
		Position: req.Position, RealName: req.RealName, Phone: req.Phone, Email: req.Email, QQ: req.QQ, WeChatID: req.WeChatID,
	}); err != nil {
		w.showApply(c, 0, req.form(), err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/cadre/apply?notice=applied")
}

// adminPage is the admin console's data.
type adminPage struct {
	Applications []model.CadreApplication
	Review       []question.ReviewItem
	Overdue      question.Overdue
	Problems     []alert.ConfigProblem // templates WeChat rejected
	Credentials  []alert.ConfigProblem // the account's credentials refused
	Quota        *alert.ConfigProblem  // the day's quota spent (45009)
	RetryMinutes int                   // the sender's pause after refused credentials
	Unknown      alert.UnknownReport   // alerts whose delivery is 状态未知
	Province     bool
	Onboarding   *onboarding.Status // a university admin's checklist (上线进度)
}

func (w *Pages) adminPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showAdmin(c, *u, http.StatusOK, nil, nil)
}

// showAdmin renders the admin console, with the appointment form's input
// and error when it was just refused.
func (w *Pages) showAdmin(c *gin.Context, u model.User, status int, form map[string]string, formErr error) {
	ctx := c.Request.Context()
	var p adminPage
	var err error
	if p.Review, err = w.svc.Questions.ReviewQueue(ctx, u); err != nil {
		w.kit.Fail(c, err) // refuses everyone but admins
		return
	}
	if p.Applications, err = w.svc.Cadres.Pending(ctx, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if p.Overdue, err = w.svc.Questions.OverdueFor(ctx, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	problems, err := w.svc.Outbox.ConfigProblemsFor(ctx, u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	for _, pr := range problems {
		switch {
		case pr.Credentials:
			p.Credentials = append(p.Credentials, pr)
		case pr.Quota:
			p.Quota = &pr
		default:
			p.Problems = append(p.Problems, pr)
		}
	}
	if p.Unknown, err = w.svc.Outbox.UnknownFor(ctx, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if p.Onboarding, err = w.svc.Onboarding.Mine(ctx, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	p.RetryMinutes = int(alert.CredentialPause / time.Minute)
	p.Province = u.Has(model.RoleProvinceAdmin)
	d := web.Page{Title: "管理", Notice: adminNotice(c.Query("notice")), Form: form, FormURL: "/h5/admin", Extra: p}
	if formErr != nil {
		d.Notice = ""
	}
	w.pages.RenderForm(c, status, "admin", d, formErr)
}

type appointRequest struct {
	Account string `form:"account" binding:"max=64"`
}

// appointSubmit appoints a university admin by account (province admin).
func (w *Pages) appointSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req appointRequest
	form := func() map[string]string { return map[string]string{"account": req.Account} }
	if err := web.Bind(c, &req); err != nil {
		w.showAdmin(c, *u, http.StatusBadRequest, form(), err)
		return
	}
	if _, err := w.svc.Cadres.AppointUniversityAdminByAccount(c.Request.Context(), *u, req.Account); err != nil {
		if errors.Is(err, service.ErrForbidden) {
			w.kit.Fail(c, err)
			return
		}
		w.showAdmin(c, *u, 0, form(), err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin?notice=appointed")
}

// revokeSubmit ends a university admin's appointment (province admin).
func (w *Pages) revokeSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req struct {
		Account string `form:"revoke_account"`
		Reason  string `form:"revoke_reason"`
	}
	form := func() map[string]string {
		return map[string]string{"revoke_account": req.Account, "revoke_reason": req.Reason}
	}
	if err := web.Bind(c, &req); err != nil {
		w.showAdmin(c, *u, http.StatusBadRequest, form(), err)
		return
	}
	if _, err := w.svc.Cadres.RevokeUniversityAdmin(c.Request.Context(), *u, req.Account, req.Reason); err != nil {
		if errors.Is(err, service.ErrForbidden) {
			w.kit.Fail(c, err)
			return
		}
		w.showAdmin(c, *u, 0, form(), revokeFields(err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin?notice=revoked")
}

// revokeFields names the revocation form's field errors revoke_*, apart
// from the appointment form's account field on the same page.
func revokeFields(err error) error {
	var se *service.Error
	if !errors.As(err, &se) || len(se.Fields) == 0 {
		return err
	}
	f := make(map[string]string, len(se.Fields))
	for k, v := range se.Fields {
		f["revoke_"+k] = v
	}
	return &service.Error{Kind: se.Kind, Code: se.Code, Message: se.Message, Fields: f}
}

func adminNotice(key string) string {
	switch key {
	case "decided":
		return "已处理申请，申请人会收到通知。"
	case "moderated":
		return "已处理，作者会收到通知。"
	case "appointed":
		return "已任命为高校团委管理员，对方刷新页面后即可使用本校管理功能。"
	case "revoked":
		return "已撤销高校团委管理员身份，对方会收到通知；其他身份保留。"
	}
	return ""
}

type decideRequest struct {
	Decision string `form:"decision" json:"-" binding:"max=10"`
	Reason   string `form:"reason" json:"reason"`
}

func (w *Pages) decideSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", service.NotFound("application_not_found", "申请不存在"))
	if !ok {
		return
	}
	var req decideRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if _, err := w.svc.Cadres.Decide(c.Request.Context(), u, id, req.Decision == "approve", req.Reason); err != nil {
		w.kit.FailPage(c, err, "处理失败", "/h5/admin")
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin?notice=decided")
}
