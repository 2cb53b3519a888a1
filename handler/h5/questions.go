package h5

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/question"
)

// registerQuestionPages mounts the question pages under /h5.
func (w *Pages) registerQuestionPages(h gin.IRouter) {
	h.GET("/ask", w.askForm)
	w.kit.Upload(h, "/ask", web.PhotoBody, w.askSubmit)
	h.GET("/questions/mine", w.myQuestions)
	h.GET("/questions/:id", w.questionPage)
	w.kit.Upload(h, "/questions/:id/answer", web.PhotoBody, w.answerSubmit)
	h.POST("/questions/:id/followup", w.followUpSubmit)
	h.POST("/questions/:id/resolve", w.resolveSubmit)
	h.GET("/questions/:id/edit", w.editForm)
	h.POST("/questions/:id/edit", w.editSubmit)
	h.GET("/questions/:id/withdraw", w.withdrawConfirm)
	h.POST("/questions/:id/withdraw", w.withdrawSubmit)
	h.POST("/questions/:id/metoo", w.metooSubmit)
	h.POST("/questions/:id/answers/:aid/helpful", w.helpfulSubmit)
	h.POST("/moderate", w.moderateSubmit)
	h.GET("/boards", w.boardsPage)
	h.GET("/boards/:key", w.boardPage)
	h.GET("/search", w.searchPage)
}

// askPage is the ask form's data.
type askPage struct {
	Boards    []model.Board
	Board     string
	Anonymous bool
}

func (w *Pages) askForm(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	w.showAsk(c, *u, http.StatusOK, askRequest{Board: c.Query("board")}, nil)
}

func (w *Pages) showAsk(c *gin.Context, u model.User, status int, req askRequest, err error) {
	boards, berr := w.svc.Questions.Boards(c.Request.Context(), u)
	if berr != nil {
		w.kit.Fail(c, berr)
		return
	}
	d := web.Page{Title: "我要提问", Form: map[string]string{"title": req.Title, "body": req.Body},
		Extra:    askPage{Boards: boards, Board: req.Board, Anonymous: req.Anonymous},
		WeChatJS: w.kit.WeChatJS(c), Scripts: photoScripts}
	if u.UniversityID == nil {
		d.Error = "你的账号还没有选择学校，暂不能提问。"
	}
	w.pages.RenderForm(c, status, "ask", d, err)
}

type askRequest struct {
	Board     string `form:"board" json:"board" binding:"max=40"`
	Title     string `form:"title" json:"title"`
	Body      string `form:"body" json:"body"`
	Anonymous bool   `form:"anonymous" json:"anonymous"`
}

func (w *Pages) askSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req askRequest
	photos, err := web.BindPost(c, &req)
	if err != nil {
		w.showAsk(c, *u, http.StatusBadRequest, req, err)
		return
	}
	q, err := w.svc.Photos.Ask(c.Request.Context(), *u, question.AskInput{
		BoardKey: req.Board, Title: req.Title, Body: req.Body, Anonymous: req.Anonymous,
	}, photos)
	if err != nil {
		w.showAsk(c, *u, 0, req, err)
		return
	}
	notice := "asked"
	if q.Status == model.QuestionReview {
		notice = "review"
	}
	c.Redirect(http.StatusSeeOther, questionURL(q.ID)+"?notice="+notice)
}

func questionURL(id uint64) string { return "/h5/questions/" + strconv.FormatUint(id, 10) }

// listPage is a list of questions: mine, a board's, or search results.
type listPage struct {
	Kind       string // mine, board, search
	Board      *model.Board
	Boards     []model.Board
	Items      []question.Summary
	Query      string
	Unanswered bool
	ByMetoo    bool // sorted by 同问
	Page       int
	PrevURL    string
	NextURL    string
	CanAnswer  bool
}

// listItem is a question as a list page shows it. Flat on purpose: the
// template engine looks up a field promoted from an embedded struct (a
// Summary's model.Question) by a slow, allocating search, and a page of
// 20 questions did that a few hundred times.
type listItem struct {
	ID                                  uint64
	Title, BoardName, AskerName, Status string
	StatusName, Created                 string
	Overdue                             bool
	Metoo                               int
}

// Rows are the page's questions for the template.
func (l listPage) Rows() []listItem {
	out := make([]listItem, len(l.Items))
	for i, s := range l.Items {
		out[i] = listItem{ID: s.ID, Title: s.Title, BoardName: s.BoardName, AskerName: s.AskerName, Status: s.Status,
			StatusName: question.StatusName(s.Question), Created: beijingTime(s.CreatedAt), Overdue: s.Overdue,
			Metoo: s.MetooCount}
	}
	return out
}

// pager fills the previous/next links of a list page.
func (l *listPage) pager(base url.Values, path string) {
	link := func(p int) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(p))
		return path + "?" + v.Encode()
	}
	if l.Page > 1 {
		l.PrevURL = link(l.Page - 1)
	}
	if len(l.Items) == question.PageSize {
		l.NextURL = link(l.Page + 1)
	}
}

// cursorPager fills the previous/next links of a list read by cursor.
// The page number only labels the page: the links carry it along.
func (l *listPage) cursorPager(base url.Values, path string, p question.ListPage) {
	link := func(key, cursor string, page int) string {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		v.Set(key, cursor)
		v.Set("page", strconv.Itoa(page))
		return path + "?" + v.Encode()
	}
	if p.Prev == "" {
		l.Page = 1 // the top, whatever the link said
	} else {
		l.PrevURL = link("before", p.Prev, max(l.Page-1, 1))
	}
	if p.Next != "" {
		l.NextURL = link("after", p.Next, l.Page+1)
	}
}

// badCursor: a mangled or outdated page link opens the list's first page.
func badCursor(c *gin.Context, err error, first string) bool {
	if (c.Query("after") == "" && c.Query("before") == "") || !errors.Is(err, service.ErrInvalid) {
		return false
	}
	c.Redirect(http.StatusSeeOther, first)
	return true
}

// pageLabel is ?page= as the label of a page reached by cursor.
func pageLabel(c *gin.Context) int {
	p, err := strconv.Atoi(c.Query("page"))
	if err != nil || p < 1 || p > 1_000_000 {
		return 1
	}
	return p
}

func (w *Pages) myQuestions(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	l := listPage{Kind: "mine", Page: pageLabel(c)}
	p, err := w.svc.Questions.Mine(c.Request.Context(), *u, web.PageOptions(c))
	if err != nil {
		if !badCursor(c, err, "/h5/questions/mine") {
			w.kit.Fail(c, err)
		}
		return
	}
	l.Items = p.Items
	l.cursorPager(url.Values{}, "/h5/questions/mine", p)
	w.pages.Render(c, http.StatusOK, "questions", web.Page{Title: "我的提问", Extra: l})
}

func (w *Pages) boardsPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	boards, err := w.svc.Questions.Boards(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.pages.Render(c, http.StatusOK, "boards", web.Page{Title: "版区", Extra: listPage{Boards: boards}})
}

func (w *Pages) boardPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	l := listPage{Kind: "board", Page: pageLabel(c), Unanswered: c.Query("unanswered") == "1",
		ByMetoo: c.Query("sort") == question.SortMetoo}
	base := url.Values{}
	if l.Unanswered {
		base.Set("unanswered", "1")
	}
	sort := question.SortNewest
	if l.ByMetoo {
		sort = question.SortMetoo
		base.Set("sort", sort)
	}
	path := "/h5/boards/" + url.PathEscape(c.Param("key"))
	b, p, err := w.svc.Questions.List(c.Request.Context(), *u, c.Param("key"),
		question.ListOptions{Unanswered: l.Unanswered, Sort: sort, PageOptions: web.PageOptions(c)})
	if err != nil {
		first := path
		if len(base) > 0 {
			first += "?" + base.Encode()
		}
		if !badCursor(c, err, first) {
			w.kit.Fail(c, err)
		}
		return
	}
	l.Board, l.Items = &b, p.Items
	l.cursorPager(base, path, p)
	w.pages.Render(c, http.StatusOK, "questions", web.Page{Title: b.Name, Extra: l})
}

func (w *Pages) searchPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	l := listPage{Kind: "search", Page: web.PageParam(c), Query: c.Query("q")}
	d := web.Page{Title: "搜索问题"}
	if key := c.Query("board"); key != "" {
		b, err := w.svc.Questions.Board(c.Request.Context(), key)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		l.Board = &b
	}
	if l.Query != "" {
		boardKey := ""
		if l.Board != nil {
			boardKey = l.Board.Key
		}
		items, err := w.svc.Questions.Search(c.Request.Context(), *u, boardKey, l.Query, l.Page)
		if err != nil {
			d.Extra = l
			w.pages.RenderForm(c, 0, "questions", d, err)
			return
		}
		l.Items = items
		base := url.Values{"q": {l.Query}}
		if boardKey != "" {
			base.Set("board", boardKey)
		}
		l.pager(base, "/h5/search")
	}
	d.Extra = l
	w.pages.Render(c, http.StatusOK, "questions", d)
}

// questionView is the question page's data.
type questionView struct {
	question.View
	Ratings []string
	// ClearDraft: the page right after asking, whose script clears the
	// ask form's draft kept on the phone (see app.js).
	ClearDraft bool
	// Gallery is the photos of the question and its shown answers.
	Gallery photo.Gallery
}

// errNoQuestion answers an :id that names no question.
var errNoQuestion = service.NotFound("question_not_found", "问题不存在或已被删除")

func questionID(c *gin.Context) (uint64, error) {
	return web.ParamID(c, "id", errNoQuestion)
}

func (w *Pages) questionPage(c *gin.Context) {
	if _, ok := w.kit.RequireUser(c); !ok {
		return
	}
	w.showQuestion(c, http.StatusOK, nil, nil)
}

// showQuestion renders the question page, with err and the typed form
// when a post failed.
func (w *Pages) showQuestion(c *gin.Context, status int, form map[string]string, err error) {
	u := web.CallerOf(c).User
	id, ierr := questionID(c)
	if ierr != nil {
		w.kit.Fail(c, ierr)
		return
	}
	v, verr := w.svc.Questions.Get(c.Request.Context(), *u, id)
	if verr != nil {
		w.kit.Fail(c, verr)
		return
	}
	g, gerr := w.svc.Photos.Of(c.Request.Context(), v)
	if gerr != nil {
		w.kit.Fail(c, gerr)
		return
	}
	d := web.Page{Title: v.Question.Title, Notice: questionNotice(c.Query("notice")), Form: form, FormURL: questionURL(id),
		Extra:    questionView{View: v, Ratings: question.Ratings, Gallery: g, ClearDraft: v.Mine && (c.Query("notice") == "asked" || c.Query("notice") == "review")},
		WeChatJS: w.kit.WeChatJS(c), Scripts: photoScripts}
	w.pages.RenderForm(c, status, "question", d, err)
}

func questionNotice(key string) string {
	switch key {
	case "asked":
		return "提问成功！本校团学干部会在 24 小时内答复，答复后会通过公众号消息通知你。"
	case "review":
		return "你的提问包含需要审核的内容，正在由本校团委审核，通过后会公开并通知干部答复。"
	case "answered":
		return "答复已发布，提问者会收到通知。"
	case "followed":
		return "追问已发送，答复过的干部会收到通知。"
	case "resolved":
		return "感谢评价！问题已标记为已解决。"
	case "held":
		return "内容包含需要审核的词语，正在由本校团委审核，通过后会公开。"
	case "crossed":
		return "回帖已发布，提问者会收到通知。外校回帖不算作该校的答复，问题仍由该校团学干部在 24 小时内答复。"
	case "cross_held":
		return "内容包含需要审核的词语，正在由提问者所在学校的团委审核，通过后会公开。"
	case "moderated":
		return "已处理，作者会收到通知。"
	case "metoo":
		return "已同问：有答复时会和提问者一样收到通知。"
	case "edited":
		return "修改已保存。"
	case "edited_review":
		return "修改后的内容包含需要审核的词语，正在由本校团委审核，通过后会重新公开。"
	case "withdrawn":
		return "问题已撤回，其他同学和干部不再能看到它。"
	}
	return ""
}

type textRequest struct {
	Body string `form:"body" json:"body"`
}

func (w *Pages) answerSubmit(c *gin.Context) {
	w.postText(c, func(u model.User, id uint64, body string, photos []photo.Upload) (string, error) {
		a, err := w.svc.Photos.Answer(c.Request.Context(), u, id, body, photos)
		switch {
		case a.Status == model.AnswerReview && a.CrossBoard:
			return "cross_held", err
		case a.Status == model.AnswerReview:
			return "held", err
		case a.CrossBoard:
			return "crossed", err
		}
		return "answered", err
	})
}

func (w *Pages) followUpSubmit(c *gin.Context) {
	w.postText(c, func(u model.User, id uint64, body string, _ []photo.Upload) (string, error) {
		a, err := w.svc.Questions.FollowUp(c.Request.Context(), u, id, body)
		if a.Status == model.AnswerReview {
			return "held", err
		}
		return "followed", err
	})
}

// postText handles a text form posted on the question page, with the
// photos the answer form may carry.
func (w *Pages) postText(c *gin.Context, do func(u model.User, id uint64, body string, photos []photo.Upload) (string, error)) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	var req textRequest
	photos, err := web.BindPost(c, &req)
	if err != nil {
		w.showQuestion(c, http.StatusBadRequest, map[string]string{"body": req.Body}, err)
		return
	}
	notice, err := do(u, id, req.Body, photos)
	if err != nil {
		w.showQuestion(c, 0, map[string]string{"body": req.Body}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, questionURL(id)+"?notice="+notice)
}

// toggleRequest sets (on=1) or withdraws (on=0) a 同问 or 有用: the page
// posts the state it wants, so a second tap of the same form is one.
type toggleRequest struct {
	On string `form:"on" json:"on" binding:"max=1"`
}

func (w *Pages) metooSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	var req toggleRequest
	if err := web.Bind(c, &req); err != nil {
		w.showQuestion(c, http.StatusBadRequest, nil, err)
		return
	}
	if _, err := w.svc.Questions.Metoo(c.Request.Context(), u, id, req.On == "1"); err != nil {
		w.showQuestion(c, 0, nil, err)
		return
	}
	next := questionURL(id) + "#question"
	if req.On == "1" {
		next = questionURL(id) + "?notice=metoo#question"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// helpfulSubmit sets or withdraws 有用 on answer :aid, shown on question
// :id's page.
func (w *Pages) helpfulSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	aid, err := web.ParamID(c, "aid", service.NotFound("answer_not_found", "答复不存在或已被删除"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	var req toggleRequest
	if err := web.Bind(c, &req); err != nil {
		w.showQuestion(c, http.StatusBadRequest, nil, err)
		return
	}
	if _, err := w.svc.Questions.Helpful(c.Request.Context(), u, aid, req.On == "1"); err != nil {
		w.showQuestion(c, 0, nil, err)
		return
	}
	c.Redirect(http.StatusSeeOther, questionURL(id)+"#answer-"+strconv.FormatUint(aid, 10))
}

type resolveRequest struct {
	Rating  string `form:"rating" json:"rating" binding:"max=10"`
	Comment string `form:"comment" json:"comment"`
}

func (w *Pages) resolveSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	var req resolveRequest
	if err := web.Bind(c, &req); err != nil {
		w.showQuestion(c, http.StatusBadRequest, nil, err)
		return
	}
	if _, err := w.svc.Questions.Resolve(c.Request.Context(), u, id, req.Rating, req.Comment); err != nil {
		w.showQuestion(c, 0, map[string]string{"comment": req.Comment}, err)
		return
	}
	c.Redirect(http.StatusSeeOther, questionURL(id)+"?notice=resolved")
}

type moderateRequest struct {
	Target string `form:"target" json:"target" binding:"max=10"`
	ID     uint64 `form:"id" json:"id" binding:"max=9223372036854775807"`
	Action string `form:"action" json:"action" binding:"max=10"`
	Reason string `form:"reason" json:"reason"`
	Back   string `form:"back" json:"-" binding:"max=200"`
}

// moderate runs one moderation action.
func (w *Pages) moderate(c *gin.Context, u model.User, req moderateRequest) error {
	ctx := c.Request.Context()
	switch req.Action {
	case "hide":
		return w.svc.Questions.Hide(ctx, u, req.Target, req.ID, req.Reason)
	case "reopen":
		return w.svc.Questions.Reopen(ctx, u, req.Target, req.ID)
	case "approve":
		return w.svc.Questions.Approve(ctx, u, req.Target, req.ID)
	}
	return service.Invalid("bad_action", "未知的操作", nil)
}

func (w *Pages) moderateSubmit(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var req moderateRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	back := web.SafeNext(req.Back)
	if err := w.moderate(c, *u, req); err != nil {
		var se *service.Error
		if errors.As(err, &se) && se.Code == "reason_required" {
			se = &service.Error{Kind: se.Kind, Code: se.Code, Message: "隐藏或驳回时必须填写原因（会告知作者），请返回重新填写。"}
			err = se
		}
		w.kit.FailPage(c, err, "处理失败", back)
		return
	}
	c.Redirect(http.StatusSeeOther, addQuery(back, "notice=moderated"))
}

// editPage is the edit form's data: the question as it stands.
type editPage struct {
	Question model.Question
}

type editRequest struct {
	Title string `form:"title" json:"title"`
	Body  string `form:"body" json:"body"`
}

// ownQuestion loads the caller's question for the edit and withdraw
// pages; a question they may no longer change goes back to its page.
func (w *Pages) ownQuestion(c *gin.Context) (model.User, question.View, bool) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return u, question.View{}, false
	}
	v, err := w.svc.Questions.Get(c.Request.Context(), u, id)
	if err != nil {
		w.kit.Fail(c, err)
		return u, v, false
	}
	if !v.CanEdit {
		c.Redirect(http.StatusSeeOther, questionURL(id))
		return u, v, false
	}
	return u, v, true
}

func (w *Pages) editForm(c *gin.Context) {
	_, v, ok := w.ownQuestion(c)
	if !ok {
		return
	}
	w.showEdit(c, http.StatusOK, v.Question, editRequest{Title: v.Question.Title, Body: v.Question.Body}, nil)
}

func (w *Pages) showEdit(c *gin.Context, status int, q model.Question, req editRequest, err error) {
	d := web.Page{Title: "编辑问题", Form: map[string]string{"title": req.Title, "body": req.Body},
		Extra: editPage{Question: q}}
	w.pages.RenderForm(c, status, "question_edit", d, err)
}

func (w *Pages) editSubmit(c *gin.Context) {
	u, v, ok := w.ownQuestion(c)
	if !ok {
		return
	}
	var req editRequest
	if err := web.Bind(c, &req); err != nil {
		w.showEdit(c, http.StatusBadRequest, v.Question, req, err)
		return
	}
	q, err := w.svc.Questions.Edit(c.Request.Context(), u, v.Question.ID, question.EditInput{Title: req.Title, Body: req.Body})
	if err != nil {
		w.showEdit(c, 0, v.Question, req, err)
		return
	}
	notice := "edited"
	if q.Status == model.QuestionReview && v.Question.Status != model.QuestionReview {
		notice = "edited_review"
	}
	c.Redirect(http.StatusSeeOther, questionURL(q.ID)+"?notice="+notice)
}

// withdrawConfirm asks before withdrawing: a page of its own, so the
// confirmation works without script.
func (w *Pages) withdrawConfirm(c *gin.Context) {
	_, v, ok := w.ownQuestion(c)
	if !ok {
		return
	}
	w.pages.Render(c, http.StatusOK, "question_withdraw", web.Page{Title: "撤回问题", Extra: editPage{Question: v.Question}})
}

func (w *Pages) withdrawSubmit(c *gin.Context) {
	u, id, ok := w.kit.UserAndID(c, "id", errNoQuestion)
	if !ok {
		return
	}
	if err := w.svc.Questions.Withdraw(c.Request.Context(), u, id); err != nil {
		w.showQuestion(c, 0, nil, err)
		return
	}
	c.Redirect(http.StatusSeeOther, questionURL(id)+"?notice=withdrawn")
}
