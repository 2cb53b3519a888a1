package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/service/onboarding"
)

func (w *API) registerOnboarding(r gin.IRouter) {
	r.GET("/admin/onboarding", w.apiOnboarding)
	r.GET("/admin/onboarding/:code", w.apiOnboardingOne)
	r.PUT("/admin/onboarding/:code", w.apiSetLaunch)
	r.GET("/admin/onboarding-settings", w.apiOnboardingSettings)
	r.PUT("/admin/onboarding-settings", w.apiSetOnboardingSettings)
}

// apiOnboardingView is one university's onboarding: dates are Beijing
// dates (YYYY-MM-DD), null while unset.
type apiOnboardingView struct {
	Code         string            `json:"code"`
	Name         string            `json:"name"`
	LaunchedOn   *string           `json:"launched_on"`
	LaunchSource string            `json:"launch_source,omitempty"`
	DueOn        *string           `json:"due_on"`
	RemindOn     *string           `json:"remind_on"`
	Status       string            `json:"status"`
	StatusName   string            `json:"status_name"`
	OperatingOn  *string           `json:"operating_on"`
	OnTime       bool              `json:"on_time"`
	WorkdaysLeft *int              `json:"working_days_left"`
	Missing      []string          `json:"missing"`
	MinCadres    int               `json:"min_cadres"`
	Items        []onboarding.Item `json:"items"`
}

func dateOrNull(d string) *string {
	if d == "" {
		return nil
	}
	return &d
}

func viewOnboarding(st onboarding.Status) apiOnboardingView {
	missing := st.Missing
	if missing == nil {
		missing = []string{}
	}
	return apiOnboardingView{Code: st.University.Code, Name: st.University.Name,
		LaunchedOn: dateOrNull(st.LaunchedOn), LaunchSource: st.LaunchSource, DueOn: dateOrNull(st.DueOn), RemindOn: dateOrNull(st.RemindOn),
		Status: st.Status, StatusName: st.StatusName(), OperatingOn: dateOrNull(st.OperatingOn), OnTime: st.OnTime,
		WorkdaysLeft: st.WorkdaysLeft, Missing: missing, MinCadres: st.MinCadres, Items: st.Items}
}

// apiOnboardingQuery filters the list by status.
type apiOnboardingQuery struct {
	Status string `form:"status" binding:"max=20"`
}

// apiOnboarding is the province's 166 (the ones to chase first), or a
// university admin's own.
func (w *API) apiOnboarding(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var q apiOnboardingQuery
	if err := web.BindQuery(c, &q); err != nil {
		w.kit.Fail(c, err)
		return
	}
	sts, err := w.svc.Onboarding.List(c.Request.Context(), *u, q.Status)
	okList(w, c, sts, err, viewOnboarding)
}

func (w *API) apiOnboardingOne(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	st, err := w.svc.Onboarding.Get(c.Request.Context(), *u, c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewOnboarding(st))
}

// apiLaunchRequest sets a launch date (the service checks it).
type apiLaunchRequest struct {
	LaunchedOn string `json:"launched_on" binding:"max=20"`
}

func (w *API) apiSetLaunch(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiLaunchRequest
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	st, err := w.svc.Onboarding.SetLaunch(c.Request.Context(), *u, c.Param("code"), req.LaunchedOn)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, viewOnboarding(st))
}

// apiOnboardingSettingsView is what the province sets for every
// university.
type apiOnboardingSettingsView struct {
	MinCadres int `json:"min_cadres"`
}

func (w *API) apiOnboardingSettings(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	s, err := w.svc.Onboarding.Settings(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiOnboardingSettingsView{MinCadres: s.MinCadres})
}

func (w *API) apiSetOnboardingSettings(c *gin.Context) {
	u, signedIn := w.kit.RequireUser(c)
	if !signedIn {
		return
	}
	var req apiOnboardingSettingsView
	if err := web.Bind(c, &req); err != nil {
		w.kit.Fail(c, err)
		return
	}
	s, err := w.svc.Onboarding.SetSettings(c.Request.Context(), *u, onboarding.Settings{MinCadres: req.MinCadres})
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	ok(c, http.StatusOK, apiOnboardingSettingsView{MinCadres: s.MinCadres})
}
