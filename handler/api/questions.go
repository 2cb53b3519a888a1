package api

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
	"github.com/gdyouth/youthvoice/service/question"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerQuestionAPI mounts the questions, moderation and cadre API.
// Every route needs a signed-in user; the services decide what the user
// may see and do.
func (w *API) registerQuestionAPI(r gin.IRouter) {
	r.GET("/boards", w.apiBoards)
	r.GET("/boards/:key/questions", w.apiBoardQuestions)
	r.GET("/questions/search", w.apiSearchQuestions)
	r.GET("/questions/mine", w.apiMyQuestions)
	w.kit.Upload(r, "/questions", web.PhotoBody, w.apiAsk)
	r.GET("/questions/:id", w.apiQuestion)
	r.PUT("/questions/:id", w.apiEditQuestion)
	r.POST("/questions/:id/withdraw", w.apiWithdraw)
	w.kit.Upload(r, "/questions/:id/answers", web.PhotoBody, w.apiAnswer)
	r.POST("/questions/:id/followups", w.apiFollowUp)
	r.POST("/questions/:id/resolve", w.apiResolve)
	r.POST("/questions/:id/metoo", w.apiMetoo)
	r.DELETE("/questions/:id/metoo", w.apiMetoo)
	r.POST("/answers/:id/helpful", w.apiHelpful)
	r.DELETE("/answers/:id/helpful", w.apiHelpful)
	r.GET("/moderation/queue", w.apiReviewQueue)
	r.POST("/moderation", w.apiModerate)
	r.GET("/admin/overdue", w.apiOverdue)
	r.GET("/admin/alert-problems", w.apiAlertProblems)
	r.GET("/admin/alerts-unknown", w.apiAlertsUnknown)
	r.POST("/admin/university-admins", w.apiAppointUniversityAdmin)
	r.GET("/cadre/applications", w.apiPendingApplications)
	r.POST("/cadre/applications", w.apiApply)
	r.POST("/cadre/applications/:id/decision", w.apiDecide)
}

// --- views -------------------------------------------------------------------
//
// The models carry no JSON tags and hold what other users must not see
// (openids, password hashes, who asked an anonymous question), so the API
// answers with these views only.

// apiBoardView is a board.
type apiBoardView struct {
	ID   uint64 `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

func apiViewBoard(b model.Board) apiBoardView {
	return apiBoardView{ID: b.ID, Key: b.Key, Name: b.Name, Kind: b.Kind}
}

// apiQuestionView is a question. The asker is only named (possibly as
// 匿名同学), never identified by id.
type apiQuestionView struct {
	ID              uint64     `json:"id"`
	BoardID         uint64     `json:"board_id"`
	BoardName       string     `json:"board_name,omitempty"`
	Title           string     `json:"title"`
	Body            string     `json:"body"`
	Anonymous       bool       `json:"anonymous"`
	AskerName       string     `json:"asker_name,omitempty"`
	Mine            bool       `json:"mine"`
	Status          string     `json:"status"`
	StatusName      string     `json:"status_name"`
	Overdue         bool       `json:"overdue"`
	DueAt           time.Time  `json:"due_at"`
	FirstAnsweredAt *time.Time `json:"first_answered_at,omitempty"`
	PromiseKept     *bool      `json:"promise_kept,omitempty"`
	Rating          string     `json:"rating,omitempty"`
	RatingComment   string     `json:"rating_comment,omitempty"`
	HiddenReason    string     `json:"hidden_reason,omitempty"`
	MetooCount      int        `json:"metoo_count"`
	// Edited: the asker edited it (已编辑); Withdrawn: the asker
	// withdrew it (已撤回, status hidden).
	Edited    bool      `json:"edited"`
	Withdrawn bool      `json:"withdrawn"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func apiViewQuestion(q model.Question, viewer *model.User) apiQuestionView {
	return apiQuestionView{
		ID: q.ID, BoardID: q.BoardID, Title: q.Title, Body: q.Body, Anonymous: q.Anonymous,
		Mine: viewer != nil && viewer.ID == q.AskerID, Status: q.Status, StatusName: question.StatusName(q),
		DueAt: q.DueAt, FirstAnsweredAt: q.FirstAnsweredAt, PromiseKept: q.PromiseKept,
		Rating: q.Rating, RatingComment: q.RatingComment, HiddenReason: q.HiddenReason, MetooCount: q.MetooCount,
		Edited: question.Edited(q), Withdrawn: question.Withdrawn(q), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

// apiSummaryView is a question in a list: the body's beginning instead of
// the body, which lists do not read.
type apiSummaryView struct {
	apiQuestionView
	Body    *string `json:"body,omitempty"` // always nil: hides the embedded body
	Excerpt string  `json:"excerpt"`
}

func apiViewSummary(s question.Summary, viewer *model.User) apiSummaryView {
	v := apiViewQuestion(s.Question, viewer)
	v.BoardName, v.AskerName, v.Overdue = s.BoardName, s.AskerName, s.Overdue
	return apiSummaryView{apiQuestionView: v, Excerpt: s.Excerpt}
}

func apiViewSummaries(ss []question.Summary, viewer *model.User) []apiSummaryView {
	return viewAll(ss, func(s question.Summary) apiSummaryView { return apiViewSummary(s, viewer) })
}

// apiAnswerView is an answer or a follow-up.
type apiAnswerView struct {
	ID           uint64    `json:"id"`
	QuestionID   uint64    `json:"question_id"`
	Kind         string    `json:"kind"`
	Body         string    `json:"body"`
	Status       string    `json:"status"`
	HiddenReason string    `json:"hidden_reason,omitempty"`
	AuthorName   string    `json:"author_name"`
	AuthorRole   string    `json:"author_role"`
	Mine         bool      `json:"mine"`
	CreatedAt    time.Time `json:"created_at"`
	// HelpfulCount: how many said 有用; Helpful: the caller did;
	// CanHelpful: the caller may say or withdraw it.
	HelpfulCount int  `json:"helpful_count"`
	Helpful      bool `json:"helpful"`
	CanHelpful   bool `json:"can_helpful"`
	// CrossBoard: a reply by another university's cadre (author_role
	// 外校干部, author_university theirs); it is not the question's answer
	// for its own university.
	CrossBoard       bool   `json:"cross_board"`
	AuthorUniversity string `json:"author_university,omitempty"`
	// Images are the answer's photos (question details only).
	Images []apiImage `json:"images,omitempty"`
}

// apiViewAnswerOf is an answer with its author as the viewer sees it.
func apiViewAnswerOf(a question.AnswerView) apiAnswerView {
	av := apiViewAnswer(a.Answer)
	av.AuthorName, av.AuthorRole, av.Mine = a.AuthorName, a.AuthorRole, a.Mine
	av.CrossBoard, av.AuthorUniversity = a.CrossBoard, a.AuthorUniversity
	av.Helpful, av.CanHelpful = a.Helpful, a.CanHelpful
	return av
}

func apiViewAnswer(a model.Answer) apiAnswerView {
	return apiAnswerView{ID: a.ID, QuestionID: a.QuestionID, Kind: a.Kind, Body: a.Body, Status: a.Status,
		HiddenReason: a.HiddenReason, HelpfulCount: a.HelpfulCount, CreatedAt: a.CreatedAt}
}

// apiAnswerPosted is a just-posted answer or follow-up; notice says when
// it waits for review.
type apiAnswerPosted struct {
	apiAnswerView
	Notice string `json:"notice,omitempty"`
}

// apiQuestionDetail is a question page.
type apiQuestionDetail struct {
	apiQuestionView
	Board       apiBoardView    `json:"board"`
	Answers     []apiAnswerView `json:"answers"`
	CanAnswer   bool            `json:"can_answer"`
	CanFollowUp bool            `json:"can_follow_up"`
	CanResolve  bool            `json:"can_resolve"`
	CanModerate bool            `json:"can_moderate"`
	// CanEdit: the caller asked it and may still edit or withdraw it (no
	// answer yet; PUT /questions/{id}, POST /questions/{id}/withdraw).
	CanEdit bool `json:"can_edit"`
	// Metoo: the caller said 同问; CanMetoo: the caller may say or
	// withdraw it (not the asker; published questions only).
	Metoo    bool `json:"metoo"`
	CanMetoo bool `json:"can_metoo"`
	// AnswerCrossBoard: the caller's answer would be a cross-board reply
	// (外校回帖), not an answer for the question's university.
	AnswerCrossBoard bool `json:"answer_cross_board"`
	// Referral: the question was referred to the campus station (shown
	// to the asker and the asker's university's cadres and admins).
	Referral *apiReferralView `json:"referral,omitempty"`
	// Images are the question's photos, in order.
	Images []apiImage `json:"images"`
}

// apiReferralView is the booking a question was referred to.
type apiReferralView struct {
	BookingID  uint64    `json:"booking_id"`
	Status     string    `json:"status"`
	StatusName string    `json:"status_name"`
	CreatedAt  time.Time `json:"created_at"`
}

// apiAsked is a new question; notice says when it is held for review.
type apiAsked struct {
	apiQuestionView
	Notice string `json:"notice,omitempty"`
}

const (
	apiNoticeQuestionReview = "问题包含需要审核的内容，已提交高校团委审核，审核通过后才会公开并通知团学干部"
	apiNoticeAnswerReview   = "内容包含需要审核的内容，已提交审核，审核通过后才会公开"
)

// apiReviewItem is a question or answer waiting for review.
type apiReviewItem struct {
	Kind     string          `json:"kind"`
	ID       uint64          `json:"id"`
	Body     string          `json:"body"`
	Question apiQuestionView `json:"question"`
}

// apiApplicationView is a cadre application; the phone is always masked
// (MaskPhone keeps an already masked number as it is).
type apiApplicationView struct {
	ID           uint64     `json:"id"`
	UserID       uint64     `json:"user_id"`
	UniversityID uint64     `json:"university_id"`
	Position     string     `json:"position"`
	RealName     string     `json:"real_name"`
	Phone        string     `json:"phone"`
	Email        string     `json:"email"`
	QQ           string     `json:"qq"`
	WeChatID     string     `json:"wechat_id"`
	Status       string     `json:"status"`
	Reason       string     `json:"reason,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

func apiViewApplication(a model.CadreApplication) apiApplicationView {
	return apiApplicationView{ID: a.ID, UserID: a.UserID, UniversityID: a.UniversityID, Position: a.Position,
		RealName: a.RealName, Phone: cadre.MaskPhone(a.Phone), Email: a.Email, QQ: a.QQ, WeChatID: a.WeChatID, Status: a.Status,
		Reason: a.Reason, DecidedAt: a.DecidedAt, CreatedAt: a.CreatedAt}
}

// --- requests ----------------------------------------------------------------

// The binding limits are generous; the services enforce the real ones
// with precise messages.
// apiAskRequest is JSON, or multipart/form-data with photos (field
// images, up to 3 files).
type apiAskRequest struct {
	Board     string `json:"board" form:"board" binding:"max=40"`
	Title     string `json:"title" form:"title"`
	Body      string `json:"body" form:"body"`
	Anonymous bool   `json:"anonymous" form:"anonymous"`
}

type apiEditRequest struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

type apiPostRequest struct {
	Body string `json:"body" form:"body"`
}

type apiResolveRequest struct {
	Rating  string `json:"rating" binding:"max=10"`
	Comment string `json:"comment"`
}

type apiModerateRequest struct {
	Target string `json:"target" binding:"max=20"`
	ID     uint64 `json:"id" binding:"required,max=9223372036854775807"`
	Action string `json:"action" binding:"max=20"`
	Reason string `json:"reason"`
}

type apiApplyRequest struct {
	Position string `json:"position"`
	RealName string `json:"real_name"`
	Phone    string `json:"phone" binding:"max=30"`
	Email    string `json:"email"`
	QQ       string `json:"qq" binding:"max=30"`
	WeChatID string `json:"wechat_id"`
}

type apiDecideRequest struct {
	Approve *bool  `json:"approve" binding:"required"`
	Reason  string `json:"reason"`
}

type apiAppointRequest struct {
	UserID uint64 `json:"user_id" binding:"required,max=9223372036854775807"`
}

var errBadID = service.Invalid("bad_id", "编号无效，应为正整数", map[string]string{"id": "编号无效"})

func apiFlag(c *gin.Context, name string) bool {
	switch strings.ToLower(c.Query(name)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// apiMaxSearchQuery bounds ?q= of a search.
const apiMaxSearchQuery = 100

// --- boards and questions ----------------------------------------------------

func (w *API) apiBoards(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	bs, err := w.svc.Questions.Boards(c.Request.Context(), *u)
	okList(w, c, bs, err, apiViewBoard)
}

func (w *API) apiBoardQuestions(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	page := web.PageParam(c)
	b, p, err := w.svc.Questions.List(c.Request.Context(), *u, c.Param("key"),
		question.ListOptions{Unanswered: apiFlag(c, "unanswered"), Sort: c.Query("sort"), PageOptions: web.PageOptions(c)})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := gin.H{"board": apiViewBoard(b), "page": page, "questions": apiViewSummaries(p.Items, u)}
	if p.Next != "" {
		out["next_cursor"] = p.Next
	}
	if p.Prev != "" {
		out["prev_cursor"] = p.Prev
	}
	ok(c, http.StatusOK, out)
}

func (w *API) apiSearchQuestions(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	q := c.Query("q")
	if utf8.RuneCountInString(q) > apiMaxSearchQuery {
		w.kit.Fail(c, service.Invalid("query_too_long", "搜索词过长", map[string]string{"q": "搜索词不能超过 100 个字"}))
		return
	}
	qs, err := w.svc.Questions.Search(c.Request.Context(), *u, c.Query("board"), q, web.PageParam(c))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewSummaries(qs, u))
}

func (w *API) apiMyQuestions(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	p, err := w.svc.Questions.Mine(c.Request.Context(), *u, web.PageOptions(c))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	// The list stays an array; the neighbouring pages are in Link (RFC 8288).
	var links []string
	for _, l := range []struct{ rel, key, cursor string }{{"prev", "before", p.Prev}, {"next", "after", p.Next}} {
		if l.cursor != "" {
			links = append(links, "</api/v1/questions/mine?"+url.Values{l.key: {l.cursor}}.Encode()+`>; rel="`+l.rel+`"`)
		}
	}
	if len(links) > 0 {
		c.Header("Link", strings.Join(links, ", "))
	}
	ok(c, http.StatusOK, apiViewSummaries(p.Items, u))
}

func (w *API) apiAsk(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiAskRequest
	photos, err := web.BindPost(c, &req)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	q, err := w.svc.Photos.Ask(c.Request.Context(), *u, question.AskInput{
		BoardKey: req.Board, Title: req.Title, Body: req.Body, Anonymous: req.Anonymous}, photos)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := apiAsked{apiQuestionView: apiViewQuestion(q, u)}
	out.AskerName = u.PublicName()
	if q.Status == model.QuestionReview {
		out.Notice = apiNoticeQuestionReview
	}
	ok(c, http.StatusCreated, out)
}

func (w *API) apiQuestion(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	v, err := w.svc.Questions.Get(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := apiQuestionDetail{apiQuestionView: apiViewQuestion(v.Question, &u), Board: apiViewBoard(v.Board),
		Answers: make([]apiAnswerView, 0, len(v.Answers)), CanAnswer: v.CanAnswer, AnswerCrossBoard: v.AnswerCrossBoard, CanFollowUp: v.CanFollowUp,
		CanResolve: v.CanResolve, CanModerate: v.CanModerate, Metoo: v.Metoo, CanMetoo: v.CanMetoo, CanEdit: v.CanEdit}
	out.BoardName, out.AskerName, out.Mine = v.Board.Name, v.AskerName, v.Mine
	if r := v.Referral; r != nil {
		out.Referral = &apiReferralView{BookingID: r.BookingID, Status: r.Status, StatusName: station.StatusName(r.Status), CreatedAt: r.CreatedAt}
	}
	g, err := w.svc.Photos.Of(c.Request.Context(), v)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out.Images = apiImages(g.Question)
	for _, a := range v.Answers {
		av := apiViewAnswerOf(a)
		av.Images = apiImages(g.Answers[a.ID])
		out.Answers = append(out.Answers, av)
	}
	ok(c, http.StatusOK, out)
}

// apiEditQuestion changes the caller's own question before its first
// answer; notice says when the new text is held for review.
func (w *API) apiEditQuestion(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	var req apiEditRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	q, err := w.svc.Questions.Edit(c.Request.Context(), u, id, question.EditInput{Title: req.Title, Body: req.Body})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := apiAsked{apiQuestionView: apiViewQuestion(q, &u)}
	if q.Status == model.QuestionReview {
		out.Notice = apiNoticeQuestionReview
	}
	ok(c, http.StatusOK, out)
}

// apiWithdraw withdraws the caller's own question before its first answer.
func (w *API) apiWithdraw(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	if err := w.svc.Questions.Withdraw(c.Request.Context(), u, id); err != nil {
		w.kit.Fail(c, err)
		return
	}
	v, err := w.svc.Questions.Get(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewQuestion(v.Question, &u))
}

func (w *API) apiAnswer(c *gin.Context) {
	w.apiPost(c, model.AnswerKindAnswer)
}

func (w *API) apiFollowUp(c *gin.Context) {
	w.apiPost(c, model.AnswerKindFollowUp)
}

// apiPost posts a cadre's answer or the asker's follow-up.
func (w *API) apiPost(c *gin.Context, kind string) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	var req apiPostRequest
	photos, err := web.BindPost(c, &req)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	if len(photos) > 0 && kind == model.AnswerKindFollowUp {
		w.kit.Fail(c, service.Invalid("no_images", "追问不能带图片", map[string]string{"images": "追问不能带图片"}))
		return
	}
	var a question.AnswerView
	if kind == model.AnswerKindFollowUp {
		a.Answer, err = w.svc.Questions.FollowUp(c.Request.Context(), u, id, req.Body)
		a.AuthorName, a.AuthorRole, a.Mine = u.PublicName(), "提问者", true
	} else {
		a, err = w.svc.Photos.Answer(c.Request.Context(), u, id, req.Body, photos)
	}
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	out := apiAnswerPosted{apiAnswerView: apiViewAnswerOf(a)}
	if a.Status == model.AnswerReview {
		out.Notice = apiNoticeAnswerReview
	}
	ok(c, http.StatusCreated, out)
}

func (w *API) apiResolve(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	var req apiResolveRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	q, err := w.svc.Questions.Resolve(c.Request.Context(), u, id, req.Rating, req.Comment)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewQuestion(q, &u))
}

// --- moderation and admin views ----------------------------------------------

func (w *API) apiReviewQueue(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	items, err := w.svc.Questions.ReviewQueue(c.Request.Context(), *u)
	okList(w, c, items, err, func(it question.ReviewItem) apiReviewItem {
		return apiReviewItem{Kind: it.Kind, ID: it.ID, Body: it.Body, Question: apiViewQuestion(it.Question, u)}
	})
}

// Moderation actions.
const (
	apiActionHide    = "hide"
	apiActionReopen  = "reopen"
	apiActionApprove = "approve"
)

func (w *API) apiModerate(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiModerateRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	ctx := c.Request.Context()
	var err error
	switch req.Action {
	case apiActionHide:
		err = w.svc.Questions.Hide(ctx, *u, req.Target, req.ID, req.Reason)
	case apiActionReopen:
		err = w.svc.Questions.Reopen(ctx, *u, req.Target, req.ID)
	case apiActionApprove:
		err = w.svc.Questions.Approve(ctx, *u, req.Target, req.ID)
	default:
		err = service.Invalid("bad_action", "操作只能是 hide（隐藏/驳回）、reopen（恢复）或 approve（审核通过）",
			map[string]string{"action": "请选择操作"})
	}
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"target": req.Target, "id": req.ID, "action": req.Action})
}

func (w *API) apiOverdue(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	o, err := w.svc.Questions.OverdueFor(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	by := o.ByUniversity
	if by == nil {
		by = []question.UniversityCount{}
	}
	ok(c, http.StatusOK, gin.H{"total": o.Total, "questions": apiViewSummaries(o.Questions, u), "by_university": by})
}

// apiAlertProblems lists templates WeChat rejected as misconfigured.
func (w *API) apiAlertProblems(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	ps, err := w.svc.Outbox.ConfigProblemsFor(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, ps)
}

// apiAlertsUnknown lists the alerts whose delivery is 状态未知.
func (w *API) apiAlertsUnknown(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	r, err := w.svc.Outbox.UnknownFor(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, r)
}

func (w *API) apiAppointUniversityAdmin(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiAppointRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := w.svc.Cadres.AppointUniversityAdmin(c.Request.Context(), *u, req.UserID); err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"user_id": req.UserID, "role": model.RoleUniversityAdm,
		"role_name": model.RoleName(model.RoleUniversityAdm)})
}

// --- cadre applications ------------------------------------------------------

func (w *API) apiApply(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiApplyRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	app, err := w.svc.Cadres.Apply(c.Request.Context(), *u, cadre.Application{Position: req.Position,
		RealName: req.RealName, Phone: req.Phone, Email: req.Email, QQ: req.QQ, WeChatID: req.WeChatID})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusCreated, apiViewApplication(app))
}

func (w *API) apiPendingApplications(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	apps, err := w.svc.Cadres.Pending(c.Request.Context(), *u)
	okList(w, c, apps, err, apiViewApplication)
}

func (w *API) apiDecide(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	var req apiDecideRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	app, err := w.svc.Cadres.Decide(c.Request.Context(), u, id, *req.Approve, req.Reason)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiViewApplication(app))
}

// apiMetoo sets (POST) or withdraws (DELETE) the caller's 同问; either
// may be repeated, so a double tap counts once.
func (w *API) apiMetoo(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	t, err := w.svc.Questions.Metoo(c.Request.Context(), u, id, c.Request.Method == http.MethodPost)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"metoo_count": t.Count, "metoo": t.On})
}

// apiHelpful sets (POST) or withdraws (DELETE) the caller's 有用 on an
// answer, as apiMetoo.
func (w *API) apiHelpful(c *gin.Context) {
	u, id, valid := w.kit.UserAndID(c, "id", errBadID)
	if !valid {
		return
	}
	t, err := w.svc.Questions.Helpful(c.Request.Context(), u, id, c.Request.Method == http.MethodPost)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"helpful_count": t.Count, "helpful": t.On})
}
