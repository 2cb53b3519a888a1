package h5

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gdyouth/youthvoice/handler/web"
	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/station"
)

// registerStationPages mounts the public station pages.
func (w *Pages) registerStationPages(h gin.IRouter) {
	h.GET("/stations", w.stationsPage)
	h.GET("/stations/:code", w.stationByCodePage)
}

// inputTime is the value format of <input type="datetime-local"> and of
// the slot options, in Beijing time.
const inputTime = "2006-01-02T15:04"

// bjDay is "05-07 周四" in Beijing time.
func bjDay(t time.Time) string {
	b := t.In(clock.Beijing)
	return b.Format("01-02") + " " + station.WeekdayNames[b.Weekday()]
}

// bjWhen is "05-07 周四 15:04" in Beijing time.
func bjWhen(t time.Time) string { return bjDay(t) + " " + t.In(clock.Beijing).Format("15:04") }

// mondayFirst is the weekdays in the order a Chinese week is shown.
var mondayFirst = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// openState is "正在开放" or "休息中，下次开放 …".
func openState(v station.View) string {
	switch {
	case v.OpenNow:
		return "正在开放"
	case v.NextOpen != nil:
		return "休息中，下次开放 " + bjWhen(*v.NextOpen)
	case !v.Calendar.HasHours():
		return "休息中，暂未设置开放时间"
	}
	return "休息中"
}

type dayHours struct {
	Name   string
	Ranges []station.Range
	Today  bool
}

// stationPage is the public page of a station.
type stationPage struct {
	station.View
	State    string
	Days     []dayHours
	Closures []station.Closure // today and later
	Own      bool              // the viewer's own university: they may book
	Manage   bool
}

func newStationPage(v station.View, own bool) stationPage {
	now := v.Now.In(clock.Beijing)
	p := stationPage{View: v, State: openState(v), Own: own}
	for _, d := range mondayFirst {
		p.Days = append(p.Days, dayHours{Name: station.WeekdayNames[d], Ranges: v.Calendar.Weekly[d], Today: d == now.Weekday()})
	}
	today := now.Format("2006-01-02")
	for _, cl := range v.Calendar.Closed {
		if cl.Date >= today {
			p.Closures = append(p.Closures, cl)
		}
	}
	slices.SortFunc(p.Closures, func(a, b station.Closure) int { return strings.Compare(a.Date, b.Date) })
	if len(p.Closures) > 10 {
		p.Closures = p.Closures[:10]
	}
	return p
}

// noneView is the page of a university whose station is not open yet.
type noneView struct {
	University *model.University
	Manage     bool
}

// stationItem is a station of the list with its open state.
type stationItem struct {
	station.Listing
	State string
}

// stationGroup is a heading of the list and its stations.
type stationGroup struct {
	Title, ID string
	Items     []stationItem
}

// stationsView is the list of stations (附近站点).
type stationsView struct {
	Own        *model.University // the viewer's university; nil: none chosen
	OwnMissing bool              // it has no station yet
	Manage     bool              // … and the viewer may set one up
	Groups     []stationGroup
	Cities     []stationGroup // the groups of other cities, for the jump links
	Total      int
}

// listingState is the list's short open state.
func listingState(l station.Listing) string {
	switch {
	case l.OpenNow:
		return "正在开放"
	case l.NextOpen != nil:
		return "休息中，下次开放 " + bjWhen(*l.NextOpen)
	case !l.HasHours:
		return "暂未设置开放时间"
	}
	return "休息中"
}

// stationsPage lists the stations near the user: their own university's
// first, then the others in its city, then the rest by city.
func (w *Pages) stationsPage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	list, own, err := w.svc.Stations.Nearby(c.Request.Context(), *u)
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	v := stationsView{Own: own, OwnMissing: own != nil, Total: len(list)}
	if own != nil {
		v.Manage = u.HasAny(model.RoleProvinceAdmin, model.RoleUniversityAdm)
	}
	group := func(title, id string) *stationGroup {
		v.Groups = append(v.Groups, stationGroup{Title: title, ID: id})
		return &v.Groups[len(v.Groups)-1]
	}
	var g *stationGroup
	for _, l := range list {
		var title, id string
		switch {
		case l.Own:
			title, id, v.OwnMissing = "本校", "own", false
		case l.SameCity:
			title, id = "同城 · "+l.University.City, "same-city"
		default:
			title, id = l.University.City, fmt.Sprintf("city-%d", len(v.Groups))
		}
		if g == nil || g.Title != title {
			g = group(title, id)
		}
		g.Items = append(g.Items, stationItem{Listing: l, State: listingState(l)})
	}
	for _, g := range v.Groups {
		if strings.HasPrefix(g.ID, "city-") {
			v.Cities = append(v.Cities, g)
		}
	}
	w.pages.Render(c, http.StatusOK, "stations", web.Page{Title: "附近站点", Extra: v})
}

func (w *Pages) stationByCodePage(c *gin.Context) {
	u, ok := w.kit.RequireUser(c)
	if !ok {
		return
	}
	uni, err := w.svc.Accounts.UniversityByCode(c.Request.Context(), c.Param("code"))
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	w.showStation(c, *u, uni.ID, http.StatusNotFound)
}

// showStation renders a university's station, or the "not open yet" page
// with noneStatus.
func (w *Pages) showStation(c *gin.Context, u model.User, uni uint64, noneStatus int) {
	ctx := c.Request.Context()
	own := u.UniversityID != nil && *u.UniversityID == uni
	v, err := w.svc.Stations.ByUniversity(ctx, uni)
	if errors.Is(err, service.ErrNotFound) {
		un, uerr := w.svc.Accounts.UniversityByID(ctx, uni)
		if uerr != nil {
			w.kit.Fail(c, uerr)
			return
		}
		manage := u.Has(model.RoleProvinceAdmin) || (u.Has(model.RoleUniversityAdm) && own)
		w.pages.Render(c, noneStatus, "station_none", web.Page{Title: "青年之家", Extra: noneView{University: &un, Manage: manage}})
		return
	}
	if err != nil {
		w.kit.Fail(c, err)
		return
	}
	p := newStationPage(v, own)
	p.Manage = u.Has(model.RoleProvinceAdmin) || (own && u.HasAny(model.RoleUniversityAdm, model.RoleStationAdmin))
	w.pages.Render(c, http.StatusOK, "station", web.Page{Title: v.Name, Extra: p})
}
