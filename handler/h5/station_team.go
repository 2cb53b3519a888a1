package h5

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerTeamPages mounts the station team page.
func (w *Pages) registerTeamPages(h gin.IRouter) {
	h.GET("/station/team", w.teamPage)
	h.POST("/station/team", w.teamAdd)
	h.POST("/station/team/:member/remove", w.teamRemove)
}

// dutyNames lists the weekdays of a duty bit set, Monday first.
func dutyNames(bits int) string {
	var out []string
	for _, d := range mondayFirst {
		if station.OnDuty(bits, d) {
			out = append(out, station.WeekdayNames[d])
		}
	}
	switch len(out) {
	case 0:
		return "未设置"
	case 7:
		return "每天"
	}
	return strings.Join(out, "、")
}

type weekdayOption struct {
	Value int
	Name  string
}

// teamView is the team page's data.
type teamView struct {
	University model.University
	Members    []station.TeamMember
	Weekdays   []weekdayOption
	Duty       map[int]bool
	Category   string
	UniQuery   string
}

type memberRequest struct {
	Account  string   `form:"account" binding:"max=64"`
	Category string   `form:"category" binding:"max=20"`
	RealName string   `form:"real_name"`
	Position string   `form:"position"`
	Phone    string   `form:"phone" binding:"max=50"`
	QQ       string   `form:"qq" binding:"max=50"`
	WeChatID string   `form:"wechat_id"`
	Duty     []string `form:"duty" binding:"max=7,dive,max=2"`
}

func (r *memberRequest) form() map[string]string {
	return map[string]string{"account": r.Account, "real_name": r.RealName, "position": r.Position,
		"phone": r.Phone, "qq": r.QQ, "wechat_id": r.WeChatID}
}

func (r *memberRequest) days() ([]time.Weekday, error) {
	var out []time.Weekday
	for _, s := range r.Duty {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 6 {
			return nil, service.Invalid("bad_duty", "值班日无效", map[string]string{"duty_days": "值班日无效"})
		}
		out = append(out, time.Weekday(n))
	}
	return out, nil
}

func (w *Pages) teamPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showTeam(c, *u, http.StatusOK, &memberRequest{Category: model.CategoryAdmin}, nil)
}

func (w *Pages) showTeam(c *gin.Context, u model.User, status int, req *memberRequest, err error) {
	uni, manage, ok := w.manageTarget(c, u)
	if !ok {
		return
	}
	if !manage {
		w.kit.Fail(c, errNotManager)
		return
	}
	members, terr := w.svc.Stations.Team(c.Request.Context(), u, uni.ID)
	if terr != nil {
		w.kit.Fail(c, terr)
		return
	}
	p := teamView{University: uni, Members: members, Duty: map[int]bool{}, Category: req.Category, UniQuery: uniQuery(c)}
	for _, d := range mondayFirst {
		p.Weekdays = append(p.Weekdays, weekdayOption{Value: int(d), Name: station.WeekdayNames[d]})
	}
	for _, s := range req.Duty {
		if n, err := strconv.Atoi(s); err == nil {
			p.Duty[n] = true
		}
	}
	d := web.Page{Title: "服务站团队", Form: req.form(), Notice: consoleNotice(c.Query("notice")), Extra: p}
	w.pages.RenderForm(c, status, "station_team", d, withFields(err, map[string]string{"user_not_found": "account", "lead_exists": "category"}))
}

func (w *Pages) teamAdd(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	var req memberRequest
	if err := web.Bind(c, &req); err != nil {
		w.showTeam(c, u, http.StatusBadRequest, &req, err)
		return
	}
	days, err := req.days()
	if err != nil {
		w.showTeam(c, u, 0, &req, err)
		return
	}
	if _, err := w.svc.Stations.AddMember(c.Request.Context(), u, uni.ID, station.Member{
		Account: req.Account, Category: req.Category, RealName: req.RealName, Position: req.Position,
		Phone: req.Phone, QQ: req.QQ, WeChatID: req.WeChatID, DutyDays: days,
	}); err != nil {
		w.showTeam(c, u, 0, &req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery("/h5/station/team"+uniQuery(c), "notice=added"))
}

func (w *Pages) teamRemove(c *gin.Context) {
	u, uni, ok := w.stationTarget(c)
	if !ok {
		return
	}
	back := "/h5/station/team" + uniQuery(c)
	id, err := web.ParamID(c, "member", service.NotFound("member_not_found", "该成员不在本站团队中"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := w.svc.Stations.RemoveMember(c.Request.Context(), u, uni.ID, id); err != nil {
		w.kit.FailPage(c, err, "移除失败", back)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery(back, "notice=removed"))
}
