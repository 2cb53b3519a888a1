package h5

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerReferralPages mounts referring a question to the campus
// station (转介): a booking on the student's behalf.
func (w *Pages) registerReferralPages(h gin.IRouter) {
	h.GET("/questions/:id/refer", w.referForm)
	h.POST("/questions/:id/refer", w.referSubmit)
}

// referView is the referral form's data.
type referView struct {
	Question question.View
	Station  *station.View
	Service  string
}

type referRequest struct {
	Service string `form:"service" binding:"max=60"`
	Note    string `form:"note"`
}

func (w *Pages) referForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showRefer(c, *u, http.StatusOK, referRequest{}, nil)
}

func (w *Pages) showRefer(c *gin.Context, u model.User, status int, req referRequest, err error) {
	ctx := c.Request.Context()
	id, ierr := questionID(c)
	if ierr != nil {
		w.kit.Fail(c, ierr)
		return
	}
	q, qerr := w.svc.Questions.Get(ctx, u, id)
	if qerr != nil {
		w.kit.Fail(c, qerr)
		return
	}
	if !q.CanAnswer || q.AnswerCrossBoard { // 外校干部 reply, but refer to their own station only
		w.kit.Fail(c, service.Forbidden("not_cadre", "只有本校团学干部可以转介"))
		return
	}
	p := referView{Question: q, Service: req.Service}
	v, serr := w.svc.Stations.ByUniversity(ctx, q.Question.UniversityID)
	switch {
	case serr == nil:
		p.Station = &v
	case !errors.Is(serr, service.ErrNotFound):
		w.kit.Fail(c, serr)
		return
	}
	d := web.Page{Title: "转介到青年之家", Form: map[string]string{"note": req.Note}, Extra: p}
	w.pages.RenderForm(c, status, "booking_refer", d, err)
}

func (w *Pages) referSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	var req referRequest
	if err := web.Bind(c, &req); err != nil {
		w.showRefer(c, u, http.StatusBadRequest, req, err)
		return
	}
	b, err := w.svc.Stations.Refer(c.Request.Context(), u, id, req.Service, req.Note)
	if err != nil {
		w.showRefer(c, u, 0, req, err)
		return
	}
	c.Redirect(http.StatusSeeOther, bookingURL(b.ID)+"?notice=referred")
}
