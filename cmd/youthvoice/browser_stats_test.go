package main

// The assessment page (考核统计) on a phone, as the province admin reads
// it: sorted by activity, universities without active users grey (as the
// caption says), and every university's full name readable in the sticky
// first column (wrapped, never cut off with an ellipsis).

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/gdyouth/youthvoice/model"
)

func TestBrowserStatsPhone(t *testing.T) {
	base, b := brServe(t)
	ctx, newPhone := brBrowser(t, base)

	province := newPhone("province")
	brMember(t, b, province, "省团委", "shengtw2026", model.RoleProvinceAdmin)
	province.nav("/h5/admin/stats", "stats-table")
	if got := province.value("#sort"); got != "active" {
		t.Errorf("the page's order is %q, want active (by activity)", got)
	}
	// 活跃用户 never rises down the table.
	sorted, err := chromedp.Run(province.ctx, chromedp.Evaluate[bool](`(() => {
		const col = Array.from(document.querySelectorAll('#stats-table thead th')).findIndex(th => th.textContent === '活跃用户');
		const v = Array.from(document.querySelectorAll('#stats-table tr[data-code]')).map(tr => Number(tr.cells[col].textContent));
		return col > 0 && v.length === 166 && v.every((x, i) => i === 0 || x <= v[i-1]);
	})()`))
	if err != nil || !sorted {
		t.Errorf("the table is not sorted by 活跃用户 (%v)", err)
	}

	// Every name fits its cell: nothing hidden by overflow or an ellipsis.
	cut, err := chromedp.Run(province.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#stats-table tbody td:first-child'))
		.filter(td => td.scrollWidth > td.clientWidth + 1 || getComputedStyle(td).textOverflow === 'ellipsis')
		.map(td => td.textContent)`))
	if err != nil || len(cut) > 0 {
		t.Errorf("names cut off on a 390 px phone: %v %v", cut, err)
	}
	// A long name takes two lines instead.
	lines, err := chromedp.Run(province.ctx, chromedp.Evaluate[float64](`(() => {
		const td = Array.from(document.querySelectorAll('#stats-table tbody td:first-child')).find(td => td.textContent === '广东外语外贸大学南国商学院');
		if (!td) return -1;
		return td.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight);
	})()`))
	if err != nil || lines < 1.5 {
		t.Errorf("广东外语外贸大学南国商学院 takes %.1f lines (%v), want it wrapped", lines, err)
	}
	// Idle rows are grey, the name included (not red).
	colour, err := chromedp.Run(province.ctx, chromedp.Evaluate[[]string](`(() => {
		const tr = document.querySelector('#stats-table tr.idle');
		return tr ? [getComputedStyle(tr.cells[0]).color, getComputedStyle(tr.cells[1]).color] : [];
	})()`))
	if err != nil || len(colour) != 2 || colour[0] != "rgb(178, 178, 178)" || colour[1] != colour[0] {
		t.Errorf("an idle row's name and figures are %v (%v), want grey rgb(178, 178, 178)", colour, err)
	}
	if _, err := chromedp.Run(province.ctx, chromedp.Evaluate[bool](`(() => { const h = document.querySelector('.bar').offsetHeight;
		window.scrollTo(0, document.getElementById('stats-table').getBoundingClientRect().top + window.scrollY - h - 40); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	province.screen("stats-table-phone")
	province.shot("stats-phone")

	if ctx.Err() != nil {
		t.Fatal("the browser test ran out of time")
	}
}

// screen saves what the phone's screen shows now (the viewport, not the
// whole page): what a user scrolled there sees.
func (p *brTab) screen(name string) {
	p.t.Helper()
	*p.seq++
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(p.dir, fmt.Sprintf("%02d-%s.png", *p.seq, name))
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Errorf("save %s: %v", file, err)
	}
}
