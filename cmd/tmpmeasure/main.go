package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

func main() {
	ctx := context.Background()
	db, err := model.OpenMySQL(ctx, os.Args[1])
	if err != nil {
		panic(err)
	}
	svc, _ := stats.New(db, clock.Real{})
	prov := model.User{Role: model.RoleProvinceAdmin}
	var uid uint64
	db.Conn(ctx).Raw("SELECT university_id FROM questions GROUP BY university_id ORDER BY COUNT(*) DESC LIMIT 1").Scan(&uid)
	uadm := model.User{Role: model.RoleUniversityAdm, UniversityID: &uid}
	now := time.Now()
	type q struct {
		name string
		who  model.User
		q    stats.Query
	}
	var qs []q
	for _, r := range stats.QuickRanges(now) {
		qs = append(qs, q{"province " + r.Label, prov, stats.Query{From: r.From, To: r.To}})
	}
	b := now.In(clock.Beijing)
	qs = append(qs, q{"province custom 366d ending 40d ago", prov, stats.Query{From: b.AddDate(0, 0, -405).Format("2006-01-02"), To: b.AddDate(0, 0, -40).Format("2006-01-02")}})
	last := stats.QuickRanges(now)
	qs = append(qs, q{"university 近一年", uadm, stats.Query{From: last[len(last)-1].From, To: last[len(last)-1].To}})
	qs = append(qs, q{"university custom 366d ending 40d ago", uadm, stats.Query{From: b.AddDate(0, 0, -405).Format("2006-01-02"), To: b.AddDate(0, 0, -40).Format("2006-01-02")}})
	for _, x := range qs {
		var ds []time.Duration
		var tot int64
		for range 5 {
			t0 := time.Now()
			r, err := svc.Report(ctx, x.who, x.q)
			if err != nil {
				panic(err)
			}
			ds = append(ds, time.Since(t0))
			tot = r.Total.Active
		}
		fmt.Printf("%-40s %v active=%d\n", x.name, ds, tot)
	}
}
