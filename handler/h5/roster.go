package h5

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
)

// registerRosterPages mounts the cadre roster (干部名册): the province's
// completeness table, a university's roster and one person's page.
func (w *Pages) registerRosterPages(h gin.IRouter) {
	h.GET("/admin/roster", w.rosterPage)
	h.GET("/admin/roster/new", w.rosterNewForm)
	h.POST("/admin/roster", w.rosterAdd)
	h.GET("/admin/roster/:id", w.rosterEntryPage)
	h.POST("/admin/roster/:id", w.rosterUpdate)
	h.POST("/admin/roster/:id/link", w.rosterLink)
	h.POST("/admin/roster/:id/leave", w.rosterLeave)
}

// rosterGroup is one category of a university's roster.
type rosterGroup struct {
	Category string
	Name     string
	Lines    []cadre.RosterLine
}

// rosterView is the data of the roster pages: the province's table
// (Completeness), a university's roster (Groups), or one entry (Entry).
type rosterView struct {
	University   model.University
	Province     bool // the viewer is the province admin
	Completeness []cadre.Completeness
	Sort         string
	Totals       cadre.Completeness
	Groups       []rosterGroup
	Counts       cadre.Completeness
	Entry        *cadre.RosterLine
	IsNew        bool
	Categories   []rosterCategory
}

type rosterCategory struct{ Key, Name string }

func rosterCategories() []rosterCategory {
	out := make([]rosterCategory, len(model.Categories))
	for i, c := range model.Categories {
		out[i] = rosterCategory{c, model.CategoryName(c)}
	}
	return out
}

var rosterNotices = map[string]string{
	"added":  "已列入名册",
	"saved":  "已保存",
	"linked": "已关联账号，该账号同时成为团学干部",
	"left":   "已办理离任，本人会收到公众号通知",
}

// rosterUniversity is the university a roster page is about: ?uni= when
// given, else the viewer's own; the province admin without one gets the
// table (ok, zero University).
func (w *Pages) rosterUniversity(c *gin.Context, u model.User) (model.University, bool) {
	ctx := c.Request.Context()
	if code := c.Query("uni"); code != "" {
		uni, err := w.svc.Accounts.UniversityByCode(ctx, code)
		if err != nil {
			w.kit.Fail(c, err)
			return uni, false
		}
		return uni, true
	}
	if u.Has(model.RoleProvinceAdmin) {
		return model.University{}, true
	}
	if u.UniversityID == nil || !u.Has(model.RoleUniversityAdm) {
		w.kit.Fail(c, service.Forbidden("forbidden", "只有高校团委管理员或省级管理员可以查看干部名册"))
		return model.University{}, false
	}
	uni, err := w.svc.Accounts.UniversityByID(ctx, *u.UniversityID)
	if err != nil {
		w.kit.Fail(c, err)
		return uni, false
	}
	return uni, true
}

func (w *Pages) rosterPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, ok := w.rosterUniversity(c, *u)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	v := rosterView{University: uni, Province: u.Has(model.RoleProvinceAdmin)}
	if uni.ID == 0 {
		v.Sort = c.Query("sort")
		cs, err := w.svc.Cadres.Completenesses(ctx, *u, v.Sort)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		v.Completeness = cs
		for _, c := range cs {
			v.Totals.Expected += c.Expected
			v.Totals.Registered += c.Registered
			v.Totals.Left += c.Left
		}
		w.pages.Render(c, http.StatusOK, "roster", web.Page{Title: "干部名册", Extra: v})
		return
	}
	ls, err := w.svc.Cadres.Roster(ctx, *u, uni.ID)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	for _, cat := range model.Categories {
		g := rosterGroup{Category: cat, Name: model.CategoryName(cat)}
		for _, l := range ls {
			if l.Category == cat {
				g.Lines = append(g.Lines, l)
			}
		}
		if len(g.Lines) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	for _, l := range ls {
		switch l.Status {
		case model.RosterLeft:
			v.Counts.Left++
		case model.RosterRegistered:
			v.Counts.Registered++
			v.Counts.Expected++
		default:
			v.Counts.Expected++
		}
	}
	w.pages.Render(c, http.StatusOK, "roster", web.Page{Title: "干部名册 · " + uni.Name,
		Notice: rosterNotices[c.Query("notice")], Extra: v})
}

// personRequest is the person form (the service checks every field).
type personRequest struct {
	Category string `form:"category"`
	Position string `form:"position"`
	RealName string `form:"real_name"`
	Phone    string `form:"phone"`
	Email    string `form:"email"`
	QQ       string `form:"qq"`
	WeChatID string `form:"wechat_id"`
}

func (p personRequest) person() cadre.Person {
	return cadre.Person{Category: p.Category, Position: p.Position, RealName: p.RealName, Phone: p.Phone, Email: p.Email,
		QQ: p.QQ, WeChatID: p.WeChatID}
}

func (p personRequest) form() map[string]string {
	return map[string]string{"category": p.Category, "position": p.Position, "real_name": p.RealName, "phone": p.Phone,
		"email": p.Email, "qq": p.QQ, "wechat_id": p.WeChatID}
}

func (w *Pages) rosterNewForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, ok := w.rosterUniversity(c, *u)
	if !ok {
		return
	}
	if uni.ID == 0 {
		w.kit.Fail(c, service.Invalid("university_required", "请先在名册中选择学校", nil))
		return
	}
	w.pages.Render(c, http.StatusOK, "roster", web.Page{Title: "列入名册",
		Extra: rosterView{University: uni, IsNew: true, Categories: rosterCategories()}})
}

func (w *Pages) rosterAdd(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req personRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	uni, ok := w.rosterUniversity(c, *u)
	if !ok {
		return
	}
	if uni.ID == 0 {
		w.kit.Fail(c, service.Invalid("university_required", "请先在名册中选择学校", nil))
		return
	}
	if _, err := w.svc.Cadres.AddPerson(c.Request.Context(), *u, uni.ID, req.person()); err != nil {
		w.pages.RenderForm(c, 0, "roster", web.Page{Title: "列入名册", Form: req.form(), FormURL: "/h5/admin/roster/new?uni=" + url.QueryEscape(uni.Code),
			Extra: rosterView{University: uni, IsNew: true, Categories: rosterCategories()}}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, rosterURL(uni, "added"))
}

func rosterURL(uni model.University, notice string) string {
	q := url.Values{"uni": {uni.Code}}
	if notice != "" {
		q.Set("notice", notice)
	}
	return "/h5/admin/roster?" + q.Encode()
}

// entryOf reads the entry of the :id path for the page.
func (w *Pages) entryOf(c *gin.Context, u model.User) (cadre.RosterLine, model.University, bool) {
	id, err := web.ParamID(c, "id", service.NotFound("roster_entry_not_found", "名册中没有这个人"))
	if err != nil {
		w.kit.Fail(c, err)
		return cadre.RosterLine{}, model.University{}, false
	}
	l, err := w.svc.Cadres.Entry(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return l, model.University{}, false
	}
	uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), l.UniversityID)
	if err != nil {
		w.kit.Fail(c, err)
		return l, uni, false
	}
	return l, uni, true
}

func (w *Pages) rosterEntryPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	l, uni, ok := w.entryOf(c, *u)
	if !ok {
		return
	}
	w.showEntry(c, uni, l, entryForm(l), nil)
}

func entryForm(l cadre.RosterLine) map[string]string {
	return map[string]string{"category": l.Category, "position": l.Position, "real_name": l.RealName, "phone": l.Phone,
		"email": l.Email, "qq": l.QQ, "wechat_id": l.WeChatID}
}

func (w *Pages) showEntry(c *gin.Context, uni model.University, l cadre.RosterLine, form map[string]string, err error) {
	w.pages.RenderForm(c, 0, "roster", web.Page{Title: l.RealName + " · 干部名册", Form: form, FormURL: "/h5/admin/roster/" + strconv.FormatUint(l.ID, 10),
		Notice: rosterNotices[c.Query("notice")],
		Extra:  rosterView{University: uni, Entry: &l, Categories: rosterCategories()}}, err)
}

func (w *Pages) rosterUpdate(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req personRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	l, uni, ok := w.entryOf(c, *u)
	if !ok {
		return
	}
	if _, err := w.svc.Cadres.UpdatePerson(c.Request.Context(), *u, l.ID, req.person()); err != nil {
		w.showEntry(c, uni, l, req.form(), err)
		return
	}
	c.Redirect(http.StatusSeeOther, entryURL(l.ID, "saved"))
}

func entryURL(id uint64, notice string) string {
	return "/h5/admin/roster/" + strconv.FormatUint(id, 10) + "?notice=" + notice
}

func (w *Pages) rosterLink(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req struct {
		Account string `form:"account"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	l, uni, ok := w.entryOf(c, *u)
	if !ok {
		return
	}
	if _, err := w.svc.Cadres.LinkAccount(c.Request.Context(), *u, l.ID, req.Account); err != nil {
		form := entryForm(l)
		form["account"] = req.Account
		w.showEntry(c, uni, l, form, err)
		return
	}
	c.Redirect(http.StatusSeeOther, entryURL(l.ID, "linked"))
}

func (w *Pages) rosterLeave(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req struct {
		Reason         string `form:"reason"`
		SuccessorName  string `form:"successor_name"`
		SuccessorPhone string `form:"successor_phone"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	l, uni, ok := w.entryOf(c, *u)
	if !ok {
		return
	}
	var successor *cadre.Person
	if req.SuccessorName != "" || req.SuccessorPhone != "" {
		successor = &cadre.Person{RealName: req.SuccessorName, Phone: req.SuccessorPhone}
	}
	if _, err := w.svc.Cadres.Leave(c.Request.Context(), *u, l.ID, req.Reason, successor); err != nil {
		form := entryForm(l)
		form["reason"], form["successor_name"], form["successor_phone"] = req.Reason, req.SuccessorName, req.SuccessorPhone
		w.showEntry(c, uni, l, form, err)
		return
	}
	c.Redirect(http.StatusSeeOther, rosterURL(uni, "left"))
}
