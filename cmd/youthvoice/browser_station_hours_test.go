package main

// The station hours editor and the province's station list in a real
// (headless) browser on a phone: a university admin opens 开放 on Monday,
// picks 09:00–12:00 and 14:00–17:30 with the time pickers, taps
// 复制到所有工作日 and saves; the station page shows those hours Tuesday
// to Friday. A period ending before it starts is refused with the weekday
// named. The province admin filters the list by city, searches a name,
// opens a row and downloads the exports.

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

// brSetTime sets a time picker as a user's choice does: the value, then
// the input and change events.
func brSetTime(p *brTab, id, value string) {
	p.t.Helper()
	p.do("pick "+value+" in "+id, chromedp.SetValue(chromedp.ID(id), value),
		chromedp.Evaluate[chromedp.Void](`(() => { const e = document.getElementById("`+id+`");
  e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`))
}

func TestBrowserStationHoursAndList(t *testing.T) {
	base, b := brServe(t)
	_, newPhone := brBrowser(t, base)

	admin := newPhone("university admin")
	brMember(t, b, admin, "李老师", "lils2026", model.RoleUniversityAdm)
	admin.nav("/h5/station/edit", "profile-form")
	// Script on: spare rows hidden, 休息 days without periods, the copy bar.
	if hidden, err := chromedp.Run(admin.ctx, chromedp.Evaluate[bool](`document.getElementById("period-1-2").hidden &&
  getComputedStyle(document.querySelector("#hours-day-1 .periods")).display === "none" &&
  !document.getElementById("hours-copy").hidden`)); err != nil || !hidden {
		admin.fail("the editor's initial state", err)
	}
	if ph, err := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#hours-form input, #closed")).map(e => e.placeholder || "").join("")`)); err != nil || ph != "" {
		t.Fatalf("the hours editor has placeholders %q (%v)", ph, err)
	}
	admin.shot("hours-new")

	admin.do("switch Monday to 开放", chromedp.Click(chromedp.CSS(`label[for="open_1"], #hours-day-1 .hours-switch`)))
	brSetTime(admin, "hours_1_0_open", "09:00")
	brSetTime(admin, "hours_1_0_close", "12:00")
	admin.do("add a period", chromedp.Click(chromedp.ID("add-1")), chromedp.WaitVisible(chromedp.ID("period-1-2")))
	brSetTime(admin, "hours_1_1_open", "14:00")
	brSetTime(admin, "hours_1_1_close", "17:30")
	admin.do("copy to the weekdays", chromedp.Click(chromedp.ID("copy-weekdays")), chromedp.WaitVisible(chromedp.ID("period-5-2")))
	for _, id := range []string{"hours_2_0_open", "hours_5_1_close"} {
		want := map[string]string{"hours_2_0_open": "09:00", "hours_5_1_close": "17:30"}[id]
		if got := admin.value(chromedp.CSS("#" + id)); got != want {
			t.Fatalf("after 复制到所有工作日 %s = %q, want %q", id, got, want)
		}
	}
	if off, err := chromedp.Run(admin.ctx, chromedp.Evaluate[bool](`!document.getElementById("open_6").checked && document.getElementById("hours-day-6").classList.contains("day-off")`)); err != nil || !off {
		admin.fail("Saturday stays 休息", err)
	}
	admin.shot("hours-copied")
	if st := admin.tap("#profile-submit", "#notice"); st != http.StatusOK {
		t.Fatalf("save: HTTP %d", st)
	}
	admin.wantText("#notice", "已保存")

	// The station page: those hours Monday to Friday, the weekend 休息.
	admin.nav("/h5/stations/4144010590", "hours")
	rows, err := chromedp.Run(admin.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#hours tr")).map(tr => tr.innerText.replace(/今天/, "").replace(/\s+/g, " ").trim())`))
	if err != nil {
		admin.fail("read the hours", err)
	}
	joined := strings.Join(rows, "|")
	for _, day := range []string{"周一", "周二", "周三", "周四", "周五"} {
		if !strings.Contains(joined, day+" 09:00–12:00 14:00–17:30") {
			t.Fatalf("the station page's hours %q lack %s 09:00–12:00 14:00–17:30", joined, day)
		}
	}
	if !strings.Contains(joined, "周六 休息") || !strings.Contains(joined, "周日 休息") {
		t.Fatalf("the weekend is not 休息: %q", joined)
	}
	admin.shot("station-hours")

	// A Wednesday period ending before it starts: refused, the day named,
	// the page keeps what was picked.
	admin.nav("/h5/station/edit", "profile-form")
	brSetTime(admin, "hours_3_0_close", "08:00")
	if st := admin.tap("#profile-submit", "#form-error"); st != http.StatusOK { // back through POST-redirect-GET
		t.Fatalf("a bad period: HTTP %d", st)
	}
	admin.wantText(`[data-field="hours_3"]`, "周三 第1段：结束时间须晚于开始时间")
	admin.wantText("#form-error", "周三")
	if got := admin.value("#hours_3_0_close"); got != "08:00" {
		t.Fatalf("the bad end shows %q after the error", got)
	}
	admin.do("scroll to Wednesday", chromedp.ScrollIntoView(chromedp.ID("hours-day-3")))
	admin.shot("hours-error")

	// The province admin: filter by city, search a name, open the row,
	// download the exports.
	prov := newPhone("province admin")
	brMember(t, b, prov, "省团委", "gdprov2026", model.RoleProvinceAdmin)
	prov.nav("/h5/admin/stations", "list-filter")
	prov.shot("list")
	prov.do("pick 深圳市", chromedp.SetValue(chromedp.ID("list-city"), "深圳市"))
	prov.tap("#list-submit", "#construction-list")
	if q := prov.location().Query(); q.Get("city") != "深圳市" {
		t.Fatalf("the city filter is not in the address: %v", q)
	}
	prov.wantText("#list-count", "共")
	cityRows, err := chromedp.Run(prov.ctx, chromedp.Evaluate[int](`document.querySelectorAll(".st-row").length`))
	if err != nil || cityRows < 2 || cityRows > 50 {
		t.Fatalf("深圳市 lists %d rows (%v)", cityRows, err)
	}
	prov.do("search 深圳大学", chromedp.SendKeys(chromedp.ID("list-q"), "深圳大学"))
	prov.tap("#list-submit", "#construction-list")
	prov.wantText("#list-count", "共 1 所")
	prov.wantText("#row-4144010590", "深圳大学")
	prov.wantText("#row-4144010590", "已开放")
	prov.do("open the row", chromedp.Click(chromedp.CSS("#row-4144010590 summary")), chromedp.WaitVisible(chromedp.CSS("#row-4144010590 .st-detail")))
	prov.wantText("#row-4144010590 .st-detail", "每周开放 32.5 小时")
	prov.shot("list-filtered")

	type file struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Size   int    `json:"size"`
		Text   string `json:"text"`
	}
	fetch := func(id string) file {
		t.Helper()
		got, err := chromedp.Run(prov.ctx, chromedp.Evaluate[file](`(async () => {
  const r = await fetch(document.getElementById("`+id+`").href);
  const b = await r.arrayBuffer();
  return {status: r.status, type: r.headers.get("content-type") || "", size: b.byteLength,
    text: r.headers.get("content-type").startsWith("text/") ? new TextDecoder("utf-8", {ignoreBOM: true}).decode(b) : ""};
})()`, chromedp.EvalAwaitPromise))
		if err != nil {
			prov.fail("download "+id, err)
		}
		return got
	}
	x := fetch("export-xlsx")
	if x.Status != 200 || x.Type != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" || x.Size < 1000 {
		t.Fatalf("the Excel export: %+v", x)
	}
	c := fetch("export-csv")
	lines := regexp.MustCompile(`\r?\n`).Split(strings.TrimSpace(c.Text), -1)
	if c.Status != 200 || !strings.HasPrefix(c.Text, "\ufeff学校标识码") || len(lines) != 2 || !strings.HasPrefix(lines[1], "4144010590,深圳大学,深圳市") {
		t.Fatalf("the CSV export: %+v", c)
	}
}
