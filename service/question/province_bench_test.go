package question

import (
	"context"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// BenchmarkProvince times the board list, the reminder sweep, the alert
// recipients and the overdue view on a database at province volume,
// named by YV_BENCH_PROVINCE_DSN (read only, apart from what a sweep
// finds due). Skipped without it.
//
//	YV_BENCH_PROVINCE_DSN='root@tcp(127.0.0.1:3306)/yv_scale?parseTime=true' \
//	  go test -run '^$' -bench Province ./service/question/
func BenchmarkProvince(b *testing.B) {
	ctx := context.Background()
	db := servicetest.ProvinceDB(b)
	svc, err := New(db, clock.Real{}, servicetest.Notifier(b, db, clock.Real{}), ParseWords(nil), servicetest.DiscardLog())
	if err != nil {
		b.Fatal(err)
	}
	var board model.Board
	if err := db.Conn(ctx).Raw("SELECT boards.* FROM boards JOIN (SELECT board_id, COUNT(*) AS n FROM questions GROUP BY board_id ORDER BY n DESC LIMIT 1) t ON t.board_id = boards.id").
		Scan(&board).Error; err != nil || board.ID == 0 {
		b.Fatalf("the largest board: %v", err)
	}
	var student, cadre, prov, uniAdmin model.User
	for _, u := range []struct {
		u     *model.User
		where string
		args  []any
	}{
		{&student, "role = ?", []any{model.RoleStudent}},
		{&cadre, "role = ? AND university_id = ?", []any{model.RoleCadre, board.UniversityID}},
		{&prov, "role = ?", []any{model.RoleProvinceAdmin}},
		{&uniAdmin, "role = ? AND university_id = ?", []any{model.RoleUniversityAdm, board.UniversityID}},
	} {
		if err := db.Conn(ctx).Where(u.where, u.args...).Order("id").Take(u.u).Error; err != nil {
			b.Fatalf("a user with %s %v: %v", u.where, u.args, err)
		}
	}
	// Pages 500–550 of the board, each read from the database (the page
	// cache starts afresh every iteration).
	deep := func(viewer model.User) []string {
		var out []string
		o := ListOptions{PageOptions: PageOptions{Page: maxPage}}
		for range 50 {
			_, p, err := svc.List(ctx, viewer, board.Key, o)
			if err != nil || p.Next == "" {
				b.Fatalf("deep pages: %v", err)
			}
			out = append(out, p.Next)
			o = ListOptions{PageOptions: PageOptions{After: p.Next}}
		}
		return out
	}
	for _, c := range []struct {
		name   string
		viewer model.User
	}{{"board-deep-page/student", student}, {"board-deep-page/cadre", cadre}} {
		cursors := deep(c.viewer)
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				svc.lists.changed() // read from the database every time
				if _, _, err := svc.List(ctx, c.viewer, board.Key, ListOptions{PageOptions: PageOptions{After: cursors[i%len(cursors)]}}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("sweep-nothing-due", func(b *testing.B) {
		svc.Sweep(ctx) // whatever is due now
		for b.Loop() {
			if _, _, err := svc.Sweep(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("recipients/province-admins", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.usersWith(ctx, nil, model.RoleProvinceAdmin); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("recipients/cadres-and-admins-of-a-university", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.usersWith(ctx, board.UniversityID, model.RoleCadre, model.RoleUniversityAdm); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name  string
		admin model.User
	}{{"overdue/province", prov}, {"overdue/university", uniAdmin}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := svc.OverdueFor(ctx, c.admin); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
