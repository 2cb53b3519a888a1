package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/cadre"
)

func (w *API) registerRoster(r gin.IRouter) {
	r.GET("/admin/roster", w.apiRoster)
	r.GET("/admin/roster/completeness", w.apiRosterCompleteness)
	r.POST("/admin/roster", w.apiRosterAdd)
	r.PUT("/admin/roster/:id", w.apiRosterUpdate)
	r.POST("/admin/roster/:id/link", w.apiRosterLink)
	r.POST("/admin/roster/:id/leave", w.apiRosterLeave)
	r.POST("/admin/university-admins/revoke", w.apiRevokeUniversityAdmin)
}

// apiRosterView is one person of a university's roster.
type apiRosterView struct {
	ID           uint64     `json:"id"`
	Category     string     `json:"category"`
	CategoryName string     `json:"category_name"`
	Position     string     `json:"position"`
	RealName     string     `json:"real_name"`
	Phone        string     `json:"phone"`
	Email        string     `json:"email"`
	QQ           string     `json:"qq"`
	WeChatID     string     `json:"wechat_id"`
	Status       string     `json:"status"`
	StatusName   string     `json:"status_name"`
	Account      string     `json:"account,omitempty"`
	LeftReason   string     `json:"left_reason,omitempty"`
	LeftAt       *time.Time `json:"left_at,omitempty"`
}

func viewRosterEntry(l cadre.RosterLine) apiRosterView {
	return apiRosterView{ID: l.ID, Category: l.Category, CategoryName: model.CategoryName(l.Category), Position: l.Position,
		RealName: l.RealName, Phone: l.Phone, Email: l.Email, QQ: l.QQ, WeChatID: l.WeChatID, Status: l.Status,
		StatusName: model.RosterStatusName(l.Status), Account: l.Account, LeftReason: l.LeftReason, LeftAt: l.LeftAt}
}

// apiCompletenessView is one university's line of the province's table.
type apiCompletenessView struct {
	University universityView `json:"university"`
	Expected   int            `json:"expected"`
	Registered int            `json:"registered"`
	Left       int            `json:"left"`
	Rate       float64        `json:"rate"`
}

// university is the university a roster request is about: ?university=
// when given, else the caller's own.
func (w *API) university(c *gin.Context, u model.User) (model.University, bool) {
	code := c.Query("university")
	if code == "" {
		if u.UniversityID == nil {
			w.kit.Fail(c, service.Invalid("university_required", "请用 university 参数指定学校代码", nil))
			return model.University{}, false
		}
		uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		if err != nil {
			w.kit.Fail(c, err)
			return uni, false
		}
		return uni, true
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), code)
	if err != nil {
		w.kit.Fail(c, err)
		return uni, false
	}
	return uni, true
}

func (w *API) apiRoster(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	uni, ok := w.university(c, *u)
	if !ok {
		return
	}
	ls, err := w.svc.Cadres.Roster(c.Request.Context(), *u, uni.ID)
	okList(w, c, ls, err, viewRosterEntry)
}

func (w *API) apiRosterCompleteness(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	cs, err := w.svc.Cadres.Completenesses(c.Request.Context(), *u, c.Query("sort"))
	okList(w, c, cs, err, func(c cadre.Completeness) apiCompletenessView {
		return apiCompletenessView{University: viewUniversity(c.University), Expected: c.Expected, Registered: c.Registered,
			Left: c.Left, Rate: c.Rate()}
	})
}

// apiPersonRequest is one person (the service checks every field; an
// empty category is guessed from the position).
type apiPersonRequest struct {
	Category string `json:"category"`
	Position string `json:"position"`
	RealName string `json:"real_name"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	QQ       string `json:"qq"`
	WeChatID string `json:"wechat_id"`
}

func (p apiPersonRequest) person() cadre.Person {
	return cadre.Person{Category: p.Category, Position: p.Position, RealName: p.RealName, Phone: p.Phone, Email: p.Email,
		QQ: p.QQ, WeChatID: p.WeChatID}
}

// rosterLine answers one entry as the roster shows it.
func (w *API) rosterLine(c *gin.Context, status int, e model.RosterEntry, err error) {
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, status, viewRosterEntry(cadre.RosterLine{RosterEntry: e}))
}

func (w *API) apiRosterAdd(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiPersonRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	uni, ok := w.university(c, *u)
	if !ok {
		return
	}
	e, err := w.svc.Cadres.AddPerson(c.Request.Context(), *u, uni.ID, req.person())
	w.rosterLine(c, http.StatusCreated, e, err)
}

// entryID is the :id of a roster route.
func (w *API) entryID(c *gin.Context) (uint64, bool) {
	id, err := web.ParamID(c, "id", errBadID)
	if err != nil {
		w.kit.Fail(c, err)
		return 0, false
	}
	return id, true
}

func (w *API) apiRosterUpdate(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiPersonRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	id, ok := w.entryID(c)
	if !ok {
		return
	}
	e, err := w.svc.Cadres.UpdatePerson(c.Request.Context(), *u, id, req.person())
	w.rosterLine(c, http.StatusOK, e, err)
}

func (w *API) apiRosterLink(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req struct {
		Account string `json:"account"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	id, ok := w.entryID(c)
	if !ok {
		return
	}
	e, err := w.svc.Cadres.LinkAccount(c.Request.Context(), *u, id, req.Account)
	w.rosterLine(c, http.StatusOK, e, err)
}

func (w *API) apiRosterLeave(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req struct {
		Reason    string            `json:"reason"`
		Successor *apiPersonRequest `json:"successor"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	id, ok := w.entryID(c)
	if !ok {
		return
	}
	var successor *cadre.Person
	if req.Successor != nil {
		p := req.Successor.person()
		successor = &p
	}
	e, err := w.svc.Cadres.Leave(c.Request.Context(), *u, id, req.Reason, successor)
	w.rosterLine(c, http.StatusOK, e, err)
}

// apiRevokeUniversityAdmin ends a university admin's appointment
// (province admin), with a reason the person is told.
func (w *API) apiRevokeUniversityAdmin(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req struct {
		Account string `json:"account"`
		Reason  string `json:"reason"`
	}
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	got, err := w.svc.Cadres.RevokeUniversityAdmin(c.Request.Context(), *u, req.Account, req.Reason)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"user_id": got.ID, "roles": got.RoleList()})
}
