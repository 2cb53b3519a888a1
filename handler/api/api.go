// Package api serves the JSON API (/api/v1) and its OpenAPI document:
// the twin of every page action in handler/h5, calling the same service
// method, for clients that are not browsers. Responses are {"data": …};
// errors are the kit's envelope (handler/web.ErrorBody).
package api

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/gdyouth/youthvoice/handler/web"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/session"
)

//go:embed openapi.yaml
var openAPISpec []byte

// API serves /api/v1.
type API struct {
	kit *web.Kit
	svc web.Services
}

// New builds the API.
func New(kit *web.Kit, svc web.Services) (*API, error) {
	if kit == nil {
		return nil, web.NilDependency("api.New")
	}
	if err := svc.Check("api.New"); err != nil {
		return nil, err
	}
	return &API{kit: kit, svc: svc}, nil
}

// Register mounts the API under /api/v1.
func (w *API) Register(r gin.IRouter) {
	api := w.kit.Group(r, "/api/v1")
	w.registerAccountAPI(api)
	w.registerPasswordAPI(api)
	w.registerQuestionAPI(api)
	w.registerPhotos(api)
	w.registerStationAPI(api)
	w.registerStatsAPI(api)
	w.registerLiaisons(api)
	w.registerRoster(api)
	w.registerRegistrationForm(api)
	w.registerCadresAPI(api)
	w.registerOnboarding(api)
	w.registerNotices(api)
	w.registerPromotion(api)
	w.registerMessages(api)
	w.registerPrivacy(api)
	w.registerAudit(api)
}

// userView is the public shape of an account.
type userView struct {
	ID      uint64 `json:"id"`
	Account string `json:"account"`
	Name    string `json:"name"`
	// DisplayName is the name others see (某某同学 when none was chosen).
	DisplayName string          `json:"display_name"`
	Role        string          `json:"role"`      // the highest role
	RoleName    string          `json:"role_name"` // its Chinese name
	Roles       []string        `json:"roles"`     // every role the account holds
	Entry       string          `json:"entry"`
	University  *universityView `json:"university,omitempty"`
	WeChat      bool            `json:"wechat_bound"`
	// MustChangePassword: signed in with a temporary password; every
	// other call answers 403 password_change_required until it is changed.
	MustChangePassword bool `json:"must_change_password"`
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

func (w *API) viewUser(c *gin.Context, u model.User) (userView, error) {
	v := userView{ID: u.ID, Account: u.Account, Name: u.Name, DisplayName: u.DisplayName(), Role: u.Role, RoleName: model.RoleName(u.Role), Roles: u.RoleList(),
		Entry: u.EntryKey, WeChat: u.OpenID != nil, MustChangePassword: u.MustChangePassword}
	if u.UniversityID != nil {
		uni, err := w.svc.Accounts.UniversityByID(c.Request.Context(), *u.UniversityID)
		if err != nil {
			return v, err
		}
		uv := viewUniversity(uni)
		v.University = &uv
	}
	return v, nil
}

// registerAccountAPI mounts the session, activation and account routes.
func (w *API) registerAccountAPI(api gin.IRouter) {
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
func (w *API) apiSession(c *gin.Context) {
	cl := web.CallerOf(c)
	out := gin.H{"csrf_token": web.CSRFToken(c), "wechat_identified": cl.Session.OpenID != "", "user": nil}
	if cl.User != nil {
		v, err := w.viewUser(c, *cl.User)
		if err != nil {
			w.kit.Fail(c, err)
			return
		}
		out["user"] = v
	}
	ok(c, http.StatusOK, out)
}

func (w *API) apiLogin(c *gin.Context) {
	var req loginRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	cl := web.CallerOf(c)
	u, err := w.svc.Accounts.SignIn(c.Request.Context(), req.Account, req.Password, c.ClientIP(), cl.Session.OpenID)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondSignedIn(c, u, http.StatusOK)
}

// loginRequest is a password login.
type loginRequest struct {
	Account  string `json:"account"`
	Password string `json:"password"`
}

func (w *API) respondSignedIn(c *gin.Context, u model.User, status int) {
	if err := w.kit.SignIn(c, u); err != nil {
		w.kit.Fail(c, err)
		return
	}
	// The new session has a new CSRF token; the one the client sent no
	// longer works.
	c.Header("X-CSRF-Token", web.CSRFToken(c))
	v, err := w.viewUser(c, u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, status, v)
}

func (w *API) apiLogout(c *gin.Context) {
	w.kit.EndSession(c)
	c.Status(http.StatusNoContent)
}

func (w *API) apiEntries(c *gin.Context) {
	es, err := w.svc.Accounts.Entries(c.Request.Context())
	okList(w, c, es, err, func(e model.Entry) gin.H {
		return gin.H{"key": e.Key, "name": e.Name, "kind": e.Kind, "enabled": e.Enabled}
	})
}

func (w *API) apiUniversities(c *gin.Context) {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "0"))
	if limit < 0 || limit > 500 {
		limit = 0
	}
	us, err := w.svc.Accounts.SearchUniversities(c.Request.Context(), c.Query("q"), limit)
	okList(w, c, us, err, viewUniversity)
}

// activateRequest is steps 4 and 5 of activation: account, password,
// university.
type activateRequest struct {
	Mode       string `json:"mode" binding:"max=10"`
	Account    string `json:"account"`
	Password   string `json:"password"`
	Confirm    string `json:"confirm"`
	University string `json:"university_code" binding:"max=20"`
	Name       string `json:"name"`
	// DisplayName is optional; empty shows 某某同学.
	DisplayName string `json:"display_name"`
}

func (w *API) apiActivate(c *gin.Context) {
	var req activateRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	u, err := w.svc.Accounts.Activate(c.Request.Context(), account.ActivateInput{
		Entry: c.Param("entry"), Mode: req.Mode, Account: req.Account, Password: req.Password, Confirm: req.Confirm,
		UniversityCode: req.University, Name: req.Name, DisplayName: req.DisplayName,
		OpenID: web.CallerOf(c).Session.OpenID, ClientIP: c.ClientIP(),
	})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.respondSignedIn(c, u, http.StatusOK)
}

func (w *API) apiMe(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	v, err := w.viewUser(c, *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, v)
}

func (w *API) apiUnbind(c *gin.Context) {
	u, okUser := w.kit.RequireUser(c)
	if !okUser {
		return
	}
	if err := w.svc.Accounts.Unbind(c.Request.Context(), u.ID); err != nil {
		w.kit.Fail(c, err)
		return
	}
	// The session no longer speaks for that WeChat.
	if err := w.kit.StartSession(c, session.Session{UserID: u.ID}); err != nil {
		w.kit.Fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
