package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/cadre"
)

func (w *API) registerLiaisons(r gin.IRouter) {
	r.GET("/admin/liaisons", w.apiLiaisons)
	r.PUT("/admin/liaisons/:code", w.apiSetLiaison)
}

// apiLiaisonView is one university's line of the liaison directory.
type apiLiaisonView struct {
	University universityView `json:"university"`
	Named      bool           `json:"named"`
	RealName   string         `json:"real_name,omitempty"`
	Position   string         `json:"position,omitempty"`
	Phone      string         `json:"phone,omitempty"`
	Email      string         `json:"email,omitempty"`
	Account    string         `json:"account,omitempty"`
	UpdatedAt  *time.Time     `json:"updated_at,omitempty"`
}

func viewLiaison(e cadre.LiaisonEntry) apiLiaisonView {
	v := apiLiaisonView{University: viewUniversity(e.University), Named: e.Liaison != nil, Account: e.Account}
	if l := e.Liaison; l != nil {
		v.RealName, v.Position, v.Phone, v.Email, v.UpdatedAt = l.RealName, l.Position, l.Phone, l.Email, &l.UpdatedAt
	}
	return v
}

// apiLiaisons is the directory: the province's 166, missing first; a
// university admin's own.
func (w *API) apiLiaisons(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	es, err := w.svc.Cadres.Liaisons(c.Request.Context(), *u)
	okList(w, c, es, err, viewLiaison)
}

// apiLiaisonRequest names a liaison (the service checks every field).
type apiLiaisonRequest struct {
	RealName string `json:"real_name"`
	Position string `json:"position"`
	Phone    string `json:"phone"`
	Email    string `json:"email"`
	Account  string `json:"account"`
}

func (w *API) apiSetLiaison(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiLiaisonRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	l, err := w.svc.Cadres.SetLiaison(c.Request.Context(), *u, uni.ID,
		cadre.LiaisonInput{RealName: req.RealName, Position: req.Position, Phone: req.Phone, Email: req.Email, Account: req.Account})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewLiaison(cadre.LiaisonEntry{University: uni, Liaison: &l, Account: req.Account}))
}
