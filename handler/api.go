package handler

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/session"
)

//go:embed openapi.yaml
var openAPISpec []byte

// userView is the public shape of an account.
type userView struct {
	ID         uint64          `json:"id"`
	Account    string          `json:"account"`
	Name       string          `json:"name"`
	Role       string          `json:"role"`
	RoleName   string          `json:"role_name"`
	Entry      string          `json:"entry"`
	University *universityView `json:"university,omitempty"`
	WeChat     bool            `json:"wechat_bound"`
}

type universityView struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	City      string `json:"city"`
	Level     string `json:"level"`
	Ownership string `json:"ownership"`
	Batch     int    `json:"batch"`
}

func viewUniversity(u model.University) universityView {
	return universityView{Code: u.Code, Name: u.Name, City: u.City, Level: u.Level, Ownership: u.Ownership, Batch: u.Batch}
}

func (w *Web) viewUser(c *gin.Context, u model.User) (userView, error) {
	v := userView{ID: u.ID, Account: u.Account, Name: u.Name, Role: u.Role, RoleName: model.RoleName(u.Role),
		Entry: u.EntryKey, WeChat: u.OpenID != nil}
	if u.UniversityID != nil {
		uni, err := w.accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		if err != nil {
			return v, err
		}
		uv := viewUniversity(uni)
		v.University = &uv
	}
	return v, nil
}

func (w *Web) registerAPI(api gin.IRouter) {
	api.GET("/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml; charset=utf-8", openAPISpec) })
	api.GET("/session", w.apiSession)
	api.POST("/session", w.apiLogin)
	api.DELETE("/session", w.apiLogout)
	api.GET("/entries", w.apiEntries)
	api.GET("/universities", w.apiUniversities)
	api.POST("/entries/:entry/activate", w.apiActivate)
	api.GET("/me", w.apiMe)
	api.DELETE("/me/wechat", w.apiUnbind)
}

// apiSession tells a client who it is and gives it the CSRF token to
// send as X-CSRF-Token.
func (w *Web) apiSession(c *gin.Context) {
	cl := callerOf(c)
	out := gin.H{"csrf_token": w.csrfToken(c), "wechat_identified": cl.Session.OpenID != "", "user": nil}
	if cl.User != nil {
		v, err := w.viewUser(c, *cl.User)
		if err != nil {
			w.fail(c, err)
			return
		}
		out["user"] = v
	}
	ok(c, http.StatusOK, out)
}

func (w *Web) apiLogin(c *gin.Context) {
	var req loginRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		w.fail(c, badJSON)
		return
	}
	cl := callerOf(c)
	u, err := w.accounts.SignIn(c.Request.Context(), req.Account, req.Password, c.ClientIP(), cl.Session.OpenID)
	if err != nil {
		w.fail(c, err)
		return
	}
	w.respondSignedIn(c, u, http.StatusOK)
}

func (w *Web) respondSignedIn(c *gin.Context, u model.User, status int) {
	if err := w.startSession(c, session.Session{UserID: u.ID, OpenID: callerOf(c).Session.OpenID}); err != nil {
		w.fail(c, err)
		return
	}
	v, err := w.viewUser(c, u)
	if err != nil {
		w.fail(c, err)
		return
	}
	ok(c, status, v)
}

func (w *Web) apiLogout(c *gin.Context) {
	w.endSession(c)
	c.Status(http.StatusNoContent)
}

func (w *Web) apiEntries(c *gin.Context) {
	es, err := w.accounts.Entries(c.Request.Context())
	okList(w, c, es, err, func(e model.Entry) gin.H {
		return gin.H{"key": e.Key, "name": e.Name, "kind": e.Kind, "enabled": e.Enabled}
	})
}

func (w *Web) apiUniversities(c *gin.Context) {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "0"))
	if limit < 0 || limit > 500 {
		limit = 0
	}
	us, err := w.accounts.SearchUniversities(c.Request.Context(), c.Query("q"), limit)
	okList(w, c, us, err, viewUniversity)
}

func (w *Web) apiActivate(c *gin.Context) {
	var req activateRequest
	if err := c.ShouldBindJSON(&req); err != nil {
		w.fail(c, badJSON)
		return
	}
	u, err := w.accounts.Activate(c.Request.Context(), req.input(c.Param("entry"), c))
	if err != nil {
		w.fail(c, err)
		return
	}
	w.respondSignedIn(c, u, http.StatusOK)
}

func (w *Web) apiMe(c *gin.Context) {
	u, okUser := w.requireUser(c)
	if !okUser {
		return
	}
	v, err := w.viewUser(c, *u)
	if err != nil {
		w.fail(c, err)
		return
	}
	ok(c, http.StatusOK, v)
}

func (w *Web) apiUnbind(c *gin.Context) {
	if w.unbindCaller(c) {
		c.Status(http.StatusNoContent)
	}
}
