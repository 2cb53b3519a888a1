package stats_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/stats"
)

// Volumes of the benchmark: a busy province over the last 60 days.
const (
	benchUsers        = 20_000
	benchInteractions = 100_000
	benchQuestions    = 10_000
	benchAnswers      = 15_000
	benchBookings     = 3_000
)

// BenchmarkReport is the province admin's 30-day report over all 166
// universities with benchUsers accounts, benchInteractions WeChat pushes
// and so on: go test -run '^$' -bench Report ./service/stats/
// (on MariaDB too when YV_TEST_MYSQL_DSN is set).
func BenchmarkReport(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchReport(b, dbtest.SQLite(b)) })
	if os.Getenv(dbtest.EnvMySQL) != "" {
		b.Run("mysql", func(b *testing.B) { benchReport(b, dbtest.MySQL(b)) })
	}
}

func benchReport(b *testing.B, db *model.DB) {
	ctx := context.Background()
	fillBench(b, db)
	svc, err := stats.New(db, clock.NewFake(now))
	if err != nil {
		b.Fatal(err)
	}
	prov := model.User{Role: model.RoleProvinceAdmin}
	run := func(b *testing.B) {
		for b.Loop() {
			r, err := svc.Report(ctx, prov, stats.Query{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Rows) != 166 || r.Total.Interactions == 0 {
				b.Fatalf("%d rows, %d interactions", len(r.Rows), r.Total.Interactions)
			}
		}
	}
	// The base tables (before the first build), then the roll-ups.
	b.Run("plain", run)
	if _, err := svc.Rebuild(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("rolled", run)
}

func fillBench(b *testing.B, db *model.DB) {
	b.Helper()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(1, 2))
	var unis []model.University
	if err := db.Conn(ctx).Order("id").Find(&unis).Error; err != nil || len(unis) != 166 {
		b.Fatalf("universities: %d %v", len(unis), err)
	}
	// when is a random instant of the 60 days before now.
	when := func() time.Time { return now.Add(-time.Duration(rnd.Int64N(int64(60 * 24 * time.Hour)))).UTC() }
	err := db.WithTx(ctx, func(ctx context.Context) error {
		users := make([]model.User, benchUsers)
		for i := range users {
			uni := unis[rnd.IntN(len(unis))].ID
			at := when()
			oid := fmt.Sprintf("oBench%022d", i)
			role := model.RoleStudent
			if i%20 == 0 {
				role = model.RoleCadre
			}
			users[i] = model.User{Account: fmt.Sprintf("bench%06d", i), AccountKey: fmt.Sprintf("bench%06d", i), PasswordHash: "x",
				Role: role, UniversityID: &uni, OpenID: &oid, ActivatedAt: &at, CreatedAt: at, UpdatedAt: at}
		}
		if err := db.Conn(ctx).CreateInBatches(users, 500).Error; err != nil {
			return err
		}
		its := make([]model.Interaction, benchInteractions)
		for i := range its {
			at := when()
			its[i] = model.Interaction{OpenID: *users[rnd.IntN(len(users))].OpenID, MsgType: "event", Event: "CLICK", SentAt: at, CreatedAt: at}
		}
		if err := db.Conn(ctx).CreateInBatches(its, 1000).Error; err != nil {
			return err
		}
		qs := make([]model.Question, benchQuestions)
		for i := range qs {
			asker := users[rnd.IntN(len(users))]
			at := when()
			qs[i] = model.Question{BoardID: 1, UniversityID: *asker.UniversityID, AskerID: asker.ID, Title: "问题", Body: "",
				Status: model.QuestionOpen, DueAt: at.Add(24 * time.Hour), CreatedAt: at, UpdatedAt: at}
			if i%4 != 0 {
				secs := rnd.Int64N(48 * 3600)
				first := at.Add(time.Duration(secs) * time.Second)
				kept := secs <= 24*3600
				qs[i].Status, qs[i].FirstAnsweredAt, qs[i].FirstResponseS, qs[i].PromiseKept = model.QuestionAnswered, &first, &secs, &kept
				if i%3 == 0 {
					qs[i].Status, qs[i].Rating = model.QuestionResolved, []string{"满意", "一般", "不满意"}[i%3]
				}
			}
		}
		if err := db.Conn(ctx).CreateInBatches(qs, 500).Error; err != nil {
			return err
		}
		as := make([]model.Answer, benchAnswers)
		for i := range as {
			at := when()
			as[i] = model.Answer{QuestionID: qs[rnd.IntN(len(qs))].ID, AuthorID: users[20*rnd.IntN(len(users)/20)].ID,
				Kind: model.AnswerKindAnswer, Body: "答复", Status: model.AnswerPublished, CreatedAt: at, UpdatedAt: at}
		}
		if err := db.Conn(ctx).CreateInBatches(as, 500).Error; err != nil {
			return err
		}
		bks := make([]model.Booking, benchBookings)
		statuses := []string{model.BookingSubmitted, model.BookingAccepted, model.BookingServed, model.BookingNoShow, model.BookingCancelled}
		for i := range bks {
			st := users[rnd.IntN(len(users))]
			at := when()
			bks[i] = model.Booking{StationID: 1, UniversityID: *st.UniversityID, StudentID: st.ID, Service: "心理咨询",
				ContactPhone: "13800000000", Status: statuses[i%len(statuses)], InHours: true,
				DueAt: at.Add(time.Hour), RemindAt: at.Add(45 * time.Minute), CreatedAt: at, UpdatedAt: at}
			if bks[i].Status != model.BookingSubmitted {
				secs := rnd.Int64N(2 * 3600)
				first := at.Add(time.Duration(secs) * time.Second)
				kept := secs <= 3600
				bks[i].FirstResponseAt, bks[i].FirstResponseS, bks[i].PromiseKept, bks[i].HandledBy = &first, &secs, &kept, &users[0].ID
			}
			if bks[i].Status == model.BookingServed {
				bks[i].Rating = 1 + i%5
			}
		}
		return db.Conn(ctx).CreateInBatches(bks, 500).Error
	})
	if err != nil {
		b.Fatalf("filling the database: %v", err)
	}
}
