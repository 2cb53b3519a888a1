package webtest

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/kv"
)

// FillBoard puts n open questions by asker on board key, two to a second,
// and returns their ids newest first.
func FillBoard(t *testing.T, db *model.DB, key string, asker model.User, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	var b model.Board
	if err := db.Conn(ctx).Where("`key` = ?", key).Take(&b).Error; err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-72 * time.Hour).Truncate(time.Second)
	rows := make([]model.Question, n)
	for i := range rows {
		at := start.Add(time.Duration(i/2) * time.Second)
		rows[i] = model.Question{BoardID: b.ID, UniversityID: *asker.UniversityID, AskerID: asker.ID,
			Title: fmt.Sprintf("翻页问题%02d", i), Body: strings.Repeat("正文", 50), Status: model.QuestionOpen,
			DueAt: at.Add(24 * time.Hour), CreatedAt: at, UpdatedAt: at}
	}
	if err := db.Conn(ctx).CreateInBatches(rows, 50).Error; err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, n)
	for i, r := range rows {
		ids[n-1-i] = r.ID
	}
	return ids
}

// StatsWorld is two universities with people, a question answered within
// the hour at 深圳大学 (rated 满意) and one left unanswered for 25 hours at
// 华南理工大学, and three WeChat pushes of the 深圳大学 student.
type StatsWorld struct {
	S                             *Stack
	Province, AdminSZU            *Client
	Student                       *Client
	StuSZU, CadreSZU, StuSCUT     Person
	ProvAdmin, Admin              Person
	StudentSCUT, Cadre, Asker     *Client
	InteractionsSZU, QuestionsAll int64
}

// NewStatsWorld builds the world on a stack whose clock is two days ago
// at noon, Beijing time, then 25 hours later.
func NewStatsWorld(t *testing.T, db *model.DB, store kv.Store) *StatsWorld {
	t.Helper()
	// Noon Beijing time, so that the 25 hours below stay inside the
	// default period (the last 30 days to today).
	bjNow := time.Now().In(clock.Beijing)
	clk := clock.NewFake(time.Date(bjNow.Year(), bjNow.Month(), bjNow.Day(), 12, 0, 0, 0, clock.Beijing).AddDate(0, 0, -2))
	w := &StatsWorld{S: New(t, db, store, Opts{Clock: clk})}
	s := w.S
	w.StuSZU = s.Member("stStu", CodeSZU, model.RoleStudent)
	w.CadreSZU = s.Member("stCad", CodeSZU, model.RoleCadre)
	w.Admin = s.Member("stAdm", CodeSZU, model.RoleUniversityAdm)
	w.StuSCUT = s.Member("stFar", CodeSCUT, model.RoleStudent)
	w.ProvAdmin = s.Member("stPrv", CodeSCUT, model.RoleProvinceAdmin)
	w.Asker, w.Cadre, w.StudentSCUT = s.Phone(w.StuSZU), s.Phone(w.CadreSZU), s.Phone(w.StuSCUT)
	w.Province, w.AdminSZU, w.Student = s.Phone(w.ProvAdmin), s.Phone(w.Admin), w.Asker

	var q, far struct {
		ID uint64 `json:"id"`
	}
	WantData(t, w.Asker.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "图书馆几点关门"}), http.StatusCreated, &q)
	WantData(t, w.StudentSCUT.API(http.MethodPost, "/api/v1/questions", map[string]string{"title": "宿舍空调报修"}), http.StatusCreated, &far)
	clk.Advance(time.Hour)
	WantStatus(t, w.Cadre.API(http.MethodPost, "/api/v1/questions/"+strconv.FormatUint(q.ID, 10)+"/answers", map[string]string{"body": "晚上十点"}), http.StatusCreated)
	WantStatus(t, w.Asker.API(http.MethodPost, "/api/v1/questions/"+strconv.FormatUint(q.ID, 10)+"/resolve", map[string]string{"rating": "满意"}), http.StatusOK)
	clk.Advance(24 * time.Hour)
	w.QuestionsAll = 2

	for i := range 3 {
		at := clk.Now().Add(-time.Duration(i) * time.Hour).UTC()
		if err := db.Conn(context.Background()).Create(&model.Interaction{OpenID: w.StuSZU.OpenID, MsgType: "text",
			Content: "帮助", SentAt: at, CreatedAt: at}).Error; err != nil {
			t.Fatal(err)
		}
	}
	w.InteractionsSZU = 3
	return w
}
