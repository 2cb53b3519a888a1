package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
)

func (w *API) registerAudit(r gin.IRouter) {
	r.GET("/admin/audit", w.apiAudit)
	r.GET("/admin/audit/export", w.apiAuditExport)
}

// apiAuditRecord is one record of the audit trail.
type apiAuditRecord struct {
	ID             uint64    `json:"id"`
	At             time.Time `json:"at"`
	ActorID        *uint64   `json:"actor_id"`
	ActorAccount   string    `json:"actor_account"`
	ActorName      string    `json:"actor_name"`
	ActorRole      string    `json:"actor_role"`
	RoleName       string    `json:"role_name"`
	UniversityID   *uint64   `json:"university_id"`
	UniversityName string    `json:"university_name"`
	IP             string    `json:"ip"`
	Action         string    `json:"action"`
	ActionName     string    `json:"action_name"`
	ObjectType     string    `json:"object_type"`
	ObjectID       string    `json:"object_id"`
	Summary        string    `json:"summary"`
	Detail         string    `json:"detail"`
	PrevHash       string    `json:"prev_hash"`
	Hash           string    `json:"hash"`
}

func viewAuditRecord(r audit.View) apiAuditRecord {
	return apiAuditRecord{ID: r.ID, At: r.At, ActorID: r.ActorID, ActorAccount: r.ActorAccount, ActorName: r.ActorName,
		ActorRole: r.ActorRole, RoleName: r.RoleName, UniversityID: r.UniversityID, UniversityName: r.UniversityName, IP: r.IP,
		Action: r.Action, ActionName: r.ActionName, ObjectType: r.ObjectType, ObjectID: r.ObjectID, Summary: r.Summary,
		Detail: r.Detail, PrevHash: r.PrevHash, Hash: r.Hash}
}

// apiAudit is a page of the audit trail, newest first, filtered; a
// university admin gets their university's records only.
func (w *API) apiAudit(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var f audit.Filter
	if err := web.BindQuery(c, &f); err != nil {
		w.kit.Fail(c, err)
		return
	}
	p, err := w.svc.Audit.List(c.Request.Context(), *u, f)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, gin.H{"records": viewAll(p.Records, viewAuditRecord), "next_cursor": p.Next, "page_size": audit.PageSize})
}

var errAuditFormat = service.Invalid("bad_format", "导出格式只能是 csv 或 xlsx", map[string]string{"format": "只能是 csv 或 xlsx"})

// apiAuditExport downloads the filtered records as CSV or XLSX; the
// export is itself recorded.
func (w *API) apiAuditExport(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var f audit.Filter
	if err := web.BindQuery(c, &f); err != nil {
		w.kit.Fail(c, err)
		return
	}
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "xlsx" {
		w.kit.Fail(c, errAuditFormat)
		return
	}
	if err := web.SendAuditFile(c, w.svc.Audit, *u, f, format); err != nil {
		w.kit.Fail(c, err)
	}
}
