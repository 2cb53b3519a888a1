package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/audit"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func uni(id uint64) *uint64 { return &id }

func record(t *testing.T, db *model.DB, e audit.Entry) {
	t.Helper()
	if e.Action == "" {
		e.Action = audit.ActionPostHide
	}
	if e.Summary == "" {
		e.Summary = "隐藏问题"
	}
	if err := audit.Record(context.Background(), db, e); err != nil {
		t.Fatalf("record: %v", err)
	}
}

func verify(t *testing.T, db *model.DB) audit.VerifyResult {
	t.Helper()
	// A small batch, so the walk crosses batch boundaries.
	r, err := audit.Verify(context.Background(), db, 3)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

func newService(t *testing.T, db *model.DB, clk clock.Clock) *audit.Service {
	t.Helper()
	s, err := audit.New(db, clk, audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestChainRecordsWhoWhatWhereAndVerifies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		admin := servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, uni(3), false, "李老师")
		ctx := audit.WithRequest(context.Background(), "203.0.113.7", "Mozilla/5.0 MicroMessenger")
		if err := audit.Record(ctx, db, audit.Entry{Actor: &admin, UniversityID: uni(3), Action: audit.ActionPostHide,
			ObjectType: "question", ObjectID: "42", Summary: "隐藏问题「食堂」",
			Detail: map[string]any{"before": "open", "after": "hidden"}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ {
			record(t, db, audit.Entry{Summary: fmt.Sprintf("第 %d 条", i)})
		}
		var first model.AuditLog
		if err := db.Conn(context.Background()).Take(&first, 1).Error; err != nil {
			t.Fatal(err)
		}
		if first.ActorID == nil || *first.ActorID != admin.ID || first.ActorRole != model.RoleUniversityAdm || first.ActorName != "李老师" ||
			first.IP != "203.0.113.7" || first.UniversityID == nil || *first.UniversityID != 3 || first.ObjectID != "42" ||
			!strings.Contains(first.Detail, `"after":"hidden"`) || first.PrevHash != "" || len(first.Hash) != 64 {
			t.Fatalf("first record = %+v", first)
		}
		r := verify(t, db)
		if r.Break != nil || r.Checked != 7 || r.LastID != 7 {
			t.Fatalf("verify = %+v (%v), want 7 intact records", r, r.Break)
		}
	})
}

func TestVerifyNamesTheTamperedRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		for i := 0; i < 10; i++ {
			record(t, db, audit.Entry{Summary: fmt.Sprintf("第 %d 条", i)})
		}
		c := db.Conn(context.Background())
		if err := c.Exec("UPDATE audit_log SET summary = '无事发生' WHERE id = 5").Error; err != nil {
			t.Fatal(err)
		}
		r := verify(t, db)
		if r.Break == nil || r.Break.ID != 5 || r.Checked != 4 {
			t.Fatalf("after editing record 5: verify = %+v, want a break at 5", r)
		}
		if !strings.Contains(r.Break.String(), "5") || r.Break.Expected == r.Break.Stored {
			t.Fatalf("break = %s", r.Break)
		}
	})
}

func TestVerifyDetectsADeletedRecord(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		for i := 0; i < 10; i++ {
			record(t, db, audit.Entry{Summary: fmt.Sprintf("第 %d 条", i)})
		}
		c := db.Conn(context.Background())
		if err := c.Exec("DELETE FROM audit_log WHERE id = 6").Error; err != nil {
			t.Fatal(err)
		}
		if r := verify(t, db); r.Break == nil || r.Break.ID != 7 {
			t.Fatalf("after deleting record 6: verify = %+v, want a break at 7", r)
		}
		// The last record deleted: the chain no longer reaches the head.
		if err := c.Exec("DELETE FROM audit_log WHERE id >= 6").Error; err != nil {
			t.Fatal(err)
		}
		if r := verify(t, db); r.Break == nil || r.Break.ID != 10 {
			t.Fatalf("after deleting the tail: verify = %+v, want a break naming 10", r)
		}
	})
}

func TestConcurrentAppendsKeepOneChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		const workers, each = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					// Each append in a transaction that also writes, as an
					// action does.
					errs <- db.WithTx(context.Background(), func(ctx context.Context) error {
						return audit.Record(ctx, db, audit.Entry{Action: audit.ActionTeamAdd, Summary: fmt.Sprintf("worker %d #%d", w, i)})
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		r := verify(t, db)
		if r.Break != nil || r.Checked != workers*each {
			t.Fatalf("verify = %+v (%v), want %d intact records", r, r.Break, workers*each)
		}
	})
}

// No action without its record: when the record cannot be written, the
// transaction it shares with the action rolls back.
func TestActionRollsBackWhenItsRecordFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		if err := db.Conn(ctx).Exec("DELETE FROM audit_head").Error; err != nil {
			t.Fatal(err)
		}
		err := db.WithTx(ctx, func(ctx context.Context) error {
			if err := db.Conn(ctx).Exec("UPDATE universities SET note = 'changed' WHERE id = 1").Error; err != nil {
				return err
			}
			return audit.Record(ctx, db, audit.Entry{Action: audit.ActionStationUpdate, Summary: "修改"})
		})
		if !errors.Is(err, audit.ErrChain) {
			t.Fatalf("err = %v, want ErrChain", err)
		}
		var note string
		if err := db.Conn(ctx).Raw("SELECT note FROM universities WHERE id = 1").Scan(&note).Error; err != nil {
			t.Fatal(err)
		}
		if note == "changed" {
			t.Fatal("the action committed without its record")
		}
	})
}

func TestListIsScopedFilteredAndPaged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		s := newService(t, db, clock.Real{})
		ctx := context.Background()
		prov := servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, false)
		uadm := servicetest.NewUser(t, db, model.RoleUniversityAdm, uni(1), false)
		other := servicetest.NewNamedUser(t, db, model.RoleUniversityAdm, uni(2), false, "王五")
		student := servicetest.NewUser(t, db, model.RoleStudent, uni(1), false)
		base := time.Now().Add(-time.Hour)
		for i := 0; i < 60; i++ {
			record(t, db, audit.Entry{Actor: &uadm, UniversityID: uni(1), Action: audit.ActionPostHide, At: base.Add(time.Duration(i) * time.Second)})
		}
		for i := 0; i < 5; i++ {
			record(t, db, audit.Entry{Actor: &other, UniversityID: uni(2), Action: audit.ActionTeamAdd, Summary: "添加成员", At: base.Add(time.Duration(i) * time.Second)})
		}
		record(t, db, audit.Entry{Actor: &prov, Action: audit.ActionNoticePublish, Summary: "发布通知", At: base})

		if _, err := s.List(ctx, student, audit.Filter{}); !errors.Is(err, service.ErrForbidden) {
			t.Fatalf("student list: err = %v, want forbidden", err)
		}
		// The university admin sees their university only, whatever they ask.
		p, err := s.List(ctx, uadm, audit.Filter{UniversityID: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Records) != audit.PageSize || p.Next == "" {
			t.Fatalf("first page: %d records, next %q", len(p.Records), p.Next)
		}
		seen := map[uint64]bool{}
		for {
			for _, r := range p.Records {
				if r.UniversityID == nil || *r.UniversityID != 1 {
					t.Fatalf("university admin of 1 sees %+v", r.AuditLog)
				}
				if seen[r.ID] {
					t.Fatalf("record %d on two pages", r.ID)
				}
				seen[r.ID] = true
			}
			if p.Next == "" {
				break
			}
			if p, err = s.List(ctx, uadm, audit.Filter{Cursor: p.Next}); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 60 {
			t.Fatalf("paged through %d records, want 60", len(seen))
		}
		// The province admin filters by actor name, action, university.
		for _, c := range []struct {
			f    audit.Filter
			want int
		}{
			{audit.Filter{}, 50}, {audit.Filter{Actor: "王五"}, 5}, {audit.Filter{Actor: strings.ToUpper(other.Account)}, 5},
			{audit.Filter{Actor: "nobody"}, 0}, {audit.Filter{Action: audit.ActionNoticePublish}, 1},
			{audit.Filter{UniversityID: 2}, 5}, {audit.Filter{UniversityID: 1, Action: audit.ActionTeamAdd}, 0},
			{audit.Filter{From: base.Add(-48 * time.Hour).In(clock.Beijing).Format(time.DateOnly), To: base.Add(-24 * time.Hour).In(clock.Beijing).Format(time.DateOnly)}, 0},
		} {
			p, err := s.List(ctx, prov, c.f)
			if err != nil {
				t.Fatalf("%+v: %v", c.f, err)
			}
			if len(p.Records) != c.want {
				t.Errorf("filter %+v: %d records, want %d", c.f, len(p.Records), c.want)
			}
		}
		_, err = s.List(ctx, prov, audit.Filter{From: "2026-13-01"})
		servicetest.WantFieldError(t, "bad date", err, "from", "日期格式")
		_, err = s.List(ctx, prov, audit.Filter{Action: "drop.table"})
		servicetest.WantFieldError(t, "bad action", err, "action")
		_, err = s.List(ctx, prov, audit.Filter{Cursor: "x"})
		servicetest.WantFieldError(t, "bad cursor", err, "cursor")
	})
}

func TestExportIsScopedAndRecorded(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		s := newService(t, db, clock.Real{})
		ctx := context.Background()
		uadm := servicetest.NewUser(t, db, model.RoleUniversityAdm, uni(1), false)
		record(t, db, audit.Entry{UniversityID: uni(1)})
		record(t, db, audit.Entry{UniversityID: uni(2)})
		recs, truncated, err := s.Export(ctx, uadm, audit.Filter{}, "csv")
		if err != nil || truncated || len(recs) != 1 {
			t.Fatalf("export = %d records, %v, %v", len(recs), truncated, err)
		}
		p, err := s.List(ctx, uadm, audit.Filter{Action: audit.ActionExportPersonal})
		if err != nil || len(p.Records) != 1 || *p.Records[0].ActorID != uadm.ID || !strings.Contains(p.Records[0].Summary, "审计日志") {
			t.Fatalf("the export's own record: %+v, %v", p.Records, err)
		}
	})
}

func TestRetentionFloor(t *testing.T) {
	db := dbtest.SQLite(t)
	if _, err := audit.New(db, clock.Real{}, audit.Options{RetentionDays: 179}); err == nil || !strings.Contains(err.Error(), "180") {
		t.Fatalf("179 days: err = %v, want refused naming 180", err)
	}
	if _, err := audit.New(db, clock.Real{}, audit.Options{RetentionDays: 400}); err != nil {
		t.Fatal(err)
	}
}

func TestPurgeKeepsTheChainVerifiable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		s := newService(t, db, clock.NewFake(now))
		old := now.AddDate(0, 0, -200)
		n := audit.PurgeBatch + 20 // more than one batch
		// Insert the old records fast: one transaction.
		if err := db.WithTx(context.Background(), func(ctx context.Context) error {
			for i := 0; i < n; i++ {
				if err := audit.Record(ctx, db, audit.Entry{Action: audit.ActionPostHide, Summary: "旧记录", At: old.Add(time.Duration(i) * time.Second)}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			record(t, db, audit.Entry{Summary: "新记录", At: now.AddDate(0, 0, -10)})
		}
		purged, err := s.Purge(context.Background())
		if err != nil || purged != int64(n) {
			t.Fatalf("purged %d, %v; want %d", purged, err, n)
		}
		r := verify(t, db)
		if r.Break != nil || r.FirstID != uint64(n+1) {
			t.Fatalf("after purge: verify = %+v (%v), want intact from %d", r, r.Break, n+1)
		}
		var kept []model.AuditLog
		db.Conn(context.Background()).Order("id").Find(&kept)
		purges := 0
		for _, k := range kept {
			if k.Summary == "旧记录" {
				t.Fatalf("record %d past retention kept", k.ID)
			}
			if k.Action == audit.ActionAuditPurge && k.ActorID == nil && k.ActorRole == "system" {
				purges++
			}
		}
		if purges != 2 || len(kept) != 7 {
			t.Fatalf("kept %d records with %d purge records, want 5 + 2", len(kept), purges)
		}
		// Appending after a purge and a second purge with nothing to do.
		record(t, db, audit.Entry{Summary: "之后"})
		if purged, err := s.Purge(context.Background()); err != nil || purged != 0 {
			t.Fatalf("second purge: %d, %v", purged, err)
		}
		if r := verify(t, db); r.Break != nil || r.Checked != 8 {
			t.Fatalf("verify = %+v (%v)", r, r.Break)
		}
		// Deleting the oldest kept record breaks the anchored chain too.
		if err := db.Conn(context.Background()).Exec("DELETE FROM audit_log WHERE id = ?", n+1).Error; err != nil {
			t.Fatal(err)
		}
		if r := verify(t, db); r.Break == nil || r.Break.ID != uint64(n+2) {
			t.Fatalf("after deleting the anchor: verify = %+v", r)
		}
	})
}

func TestMaskPhone(t *testing.T) {
	if got := audit.MaskPhone("13812345678"); got != "138****5678" {
		t.Fatal(got)
	}
}
