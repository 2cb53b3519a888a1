package h5

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
)

// registerAuditPages mounts the audit trail: the list with its filters
// and its downloads.
func (w *Pages) registerAuditPages(h gin.IRouter) {
	h.GET("/admin/audit", w.auditPage)
	h.GET("/admin/audit.csv", w.auditCSV)
	h.GET("/admin/audit.xlsx", w.auditXLSX)
}

// auditView is the page's data.
type auditView struct {
	Province     bool
	Filter       audit.Filter
	Universities []model.University
	Actions      []struct{ Code, Name string }
	Records      []audit.View
	NextURL      string
	CSVURL       string
	XLSXURL      string
	First        bool
	MaxExport    int
}

// auditQuery is the filter as a query string, without the cursor.
func auditQuery(f audit.Filter) url.Values {
	q := url.Values{}
	if f.UniversityID != 0 {
		q.Set("university", strconv.FormatUint(f.UniversityID, 10))
	}
	for k, v := range map[string]string{"actor": f.Actor, "action": f.Action, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

func (w *Pages) auditPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var f audit.Filter
	bindErr := web.BindQuery(c, &f)
	v := auditView{Province: u.Has(model.RoleProvinceAdmin), Filter: f, Actions: audit.Actions, First: f.Cursor == "",
		MaxExport: audit.MaxExport}
	var err error
	if bindErr == nil {
		var p audit.Page
		p, err = w.svc.Audit.List(c.Request.Context(), *u, f)
		if errors.Is(err, service.ErrForbidden) {
			w.kit.Fail(c, err)
			return
		}
		v.Records = p.Records
		q := auditQuery(f)
		if p.Next != "" {
			q.Set("cursor", p.Next)
			v.NextURL = "/h5/admin/audit?" + q.Encode()
			q.Del("cursor")
		}
		v.CSVURL, v.XLSXURL = "/h5/admin/audit.csv?"+q.Encode(), "/h5/admin/audit.xlsx?"+q.Encode()
	} else {
		err = bindErr
	}
	if v.Province {
		unis, uerr := w.svc.Accounts.Universities(c.Request.Context())
		if uerr != nil {
			w.kit.Fail(c, uerr)
			return
		}
		v.Universities = unis
	}
	w.pages.RenderForm(c, http.StatusOK, "audit", web.Page{Title: "审计日志", Extra: v}, err)
}

func (w *Pages) auditCSV(c *gin.Context)  { w.auditFile(c, "csv") }
func (w *Pages) auditXLSX(c *gin.Context) { w.auditFile(c, "xlsx") }

// auditFile sends the filtered records (the export is itself recorded by
// the service before anything is sent).
func (w *Pages) auditFile(c *gin.Context, format string) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	var f audit.Filter
	if err := web.BindQuery(c, &f); err != nil {
		w.kit.Fail(c, err)
		return
	}
	if err := web.SendAuditFile(c, w.svc.Audit, *u, f, format); err != nil {
		w.kit.Fail(c, err)
	}
}
