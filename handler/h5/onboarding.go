package h5

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/onboarding"
)

// registerOnboardingPages mounts the onboarding pages (上线与正常运营):
// the province's table of the 166, one university's checklist, and the
// province's forms.
func (w *Pages) registerOnboardingPages(h gin.IRouter) {
	h.GET("/admin/onboarding", w.onboardingPage)
	h.POST("/admin/onboarding-settings", w.onboardingSettingsSubmit)
	h.GET("/admin/onboarding/:code", w.onboardingOnePage)
	h.POST("/admin/onboarding/:code", w.onboardingLaunchSubmit)
}

// onboardingCount is one status's filter chip.
type onboardingCount struct {
	Key, Name string
	N         int
}

// onboardingView is the data of the onboarding pages: the province's
// table (Entries, filtered by Filter, with Counts), or one university's
// checklist (One).
type onboardingView struct {
	Province  bool
	Entries   []onboarding.Status
	Counts    []onboardingCount
	Total     int
	Filter    string
	MinCadres int
	One       *onboarding.Status
}

type onboardingQuery struct {
	Status string `form:"status" binding:"max=20"`
}

var onboardingNotices = map[string]string{
	"settings": "设置已保存：尚未正常运营的高校按新的人数检查。",
	"launch":   "上线日期已保存，截止日期已按工作日重新计算。",
}

func (w *Pages) onboardingPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var q onboardingQuery
	if err := web.BindQuery(c, &q); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if !onboarding.ValidStatus(q.Status) {
		q.Status = "" // an unknown filter shows them all
	}
	w.showOnboardingList(c, *u, q.Status, http.StatusOK, nil, nil)
}

// showOnboardingList renders the province's table (a university admin's
// own checklist), with the settings form's input and error when it was
// just refused.
func (w *Pages) showOnboardingList(c *gin.Context, u model.User, filter string, status int, form map[string]string, formErr error) {
	all, err := w.svc.Onboarding.List(c.Request.Context(), u, "")
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := onboardingView{Province: u.Has(model.RoleProvinceAdmin), Filter: filter, Total: len(all)}
	if !v.Province && len(all) == 1 {
		v.One = &all[0]
	}
	n := map[string]int{}
	for _, st := range all {
		n[st.Status]++
		if filter == "" || st.Status == filter {
			v.Entries = append(v.Entries, st)
		}
		v.MinCadres = st.MinCadres
	}
	for _, s := range onboarding.Statuses {
		v.Counts = append(v.Counts, onboardingCount{Key: s, Name: onboarding.StatusName(s), N: n[s]})
	}
	if form == nil {
		form = map[string]string{"min_cadres": strconv.Itoa(v.MinCadres)}
	}
	p := web.Page{Title: "上线与正常运营", Notice: onboardingNotices[c.Query("notice")], Form: form, FormURL: "/h5/admin/onboarding", Extra: v}
	w.pages.RenderForm(c, status, "onboarding", p, formErr)
}

func (w *Pages) onboardingSettingsSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req struct {
		MinCadres string `form:"min_cadres" binding:"max=10"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	// Not a number is refused by the service's range, with its message.
	n, _ := strconv.Atoi(strings.TrimSpace(req.MinCadres))
	if _, err := w.svc.Onboarding.SetSettings(c.Request.Context(), *u, onboarding.Settings{MinCadres: n}); err != nil {
		if !u.Has(model.RoleProvinceAdmin) {
			w.kit.Fail(c, err)
			return
		}
		w.showOnboardingList(c, *u, "", 0, map[string]string{"min_cadres": req.MinCadres}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin/onboarding?notice=settings")
}

func (w *Pages) onboardingOnePage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showOnboardingOne(c, *u, http.StatusOK, nil, nil)
}

// showOnboardingOne renders one university's checklist, with the launch
// date form's input and error when it was just refused.
func (w *Pages) showOnboardingOne(c *gin.Context, u model.User, status int, form map[string]string, formErr error) {
	st, err := w.svc.Onboarding.Get(c.Request.Context(), u, c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	if form == nil {
		form = map[string]string{"launched_on": st.LaunchedOn}
	}
	v := onboardingView{Province: u.Has(model.RoleProvinceAdmin), One: &st, MinCadres: st.MinCadres}
	p := web.Page{Title: st.University.Name + " · 上线进度", Notice: onboardingNotices[c.Query("notice")], Form: form, Extra: v}
	w.pages.RenderForm(c, status, "onboarding", p, formErr)
}

func (w *Pages) onboardingLaunchSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req struct {
		LaunchedOn string `form:"launched_on" binding:"max=20"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	st, err := w.svc.Onboarding.SetLaunch(c.Request.Context(), *u, c.Param("code"), req.LaunchedOn)
	if err != nil {
		if !u.Has(model.RoleProvinceAdmin) {
			w.kit.Fail(c, err)
			return
		}
		w.showOnboardingOne(c, *u, 0, map[string]string{"launched_on": req.LaunchedOn}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/h5/admin/onboarding/"+st.University.Code+"?notice=launch")
}

// workdaysLeft says how long an in-progress university has.
func workdaysLeft(n *int) string {
	switch {
	case n == nil:
		return ""
	case *n == 0:
		return "今天截止"
	default:
		return fmt.Sprintf("还剩 %d 个工作日", *n)
	}
}

// missingNames are the short Chinese names of unmet items, for the table.
func missingNames(st onboarding.Status) string {
	names := make([]string, len(st.Missing))
	for i, k := range st.Missing {
		names[i] = onboarding.ShortName(k)
	}
	return strings.Join(names, "、")
}
