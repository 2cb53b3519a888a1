package notice_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/alertkind"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/notice"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

// world is three universities, A and B of batch 1 (本科) and C of batch
// 2 (公办专科), and D with nobody; their people and the province admin.
type world struct {
	db                     *model.DB
	clk                    *clock.Fake
	svc                    *notice.Service
	uniA, uniB, uniC, uniD model.University
	province               model.User
	adminA                 model.User // university admin and cadre at once
	cadreA, studentA       model.User
	stationA               model.User // a station admin only: no notice
	adminB, cadreB         model.User
	adminC, cadreC         model.User
	unboundCadreB          model.User // no WeChat: a recipient without an alert
}

var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC) // 10:00 Beijing

func setup(t *testing.T, db *model.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{db: db, clk: clock.NewFake(t0)}
	var err error
	if w.svc, err = notice.New(db, w.clk, servicetest.Notifier(t, db, w.clk)); err != nil {
		t.Fatal(err)
	}
	var b1, b2 []model.University
	if err := db.Conn(ctx).Where("batch = ?", model.BatchUndergraduate).Order("code").Limit(3).Find(&b1).Error; err != nil || len(b1) != 3 {
		t.Fatalf("batch 1 universities: %v", err)
	}
	if err := db.Conn(ctx).Where("batch = ?", model.BatchPublicVocational).Order("code").Limit(1).Find(&b2).Error; err != nil || len(b2) != 1 {
		t.Fatalf("batch 2 universities: %v", err)
	}
	w.uniA, w.uniB, w.uniD, w.uniC = b1[0], b1[1], b1[2], b2[0]
	user := func(role string, uni *model.University, name string) model.User {
		var id *uint64
		if uni != nil {
			id = &uni.ID
		}
		return servicetest.NewNamedUser(t, db, role, id, true, name)
	}
	w.province = user(model.RoleProvinceAdmin, nil, "省团委")
	w.adminA = user(model.RoleUniversityAdm, &w.uniA, "甲管理")
	if err := db.Conn(ctx).Model(&model.User{}).Where("id = ?", w.adminA.ID).
		Update("roles", model.RoleMask(model.RoleUniversityAdm, model.RoleCadre)).Error; err != nil {
		t.Fatal(err)
	}
	w.adminA = servicetest.Reload(t, db, w.adminA.ID)
	w.cadreA = user(model.RoleCadre, &w.uniA, "甲干部")
	w.studentA = user(model.RoleStudent, &w.uniA, "甲学生")
	w.stationA = user(model.RoleStationAdmin, &w.uniA, "甲站长")
	w.adminB = user(model.RoleUniversityAdm, &w.uniB, "乙管理")
	w.cadreB = user(model.RoleCadre, &w.uniB, "乙干部")
	w.unboundCadreB = servicetest.NewNamedUser(t, db, model.RoleCadre, &w.uniB.ID, false, "乙干部二")
	w.adminC = user(model.RoleUniversityAdm, &w.uniC, "丙管理")
	w.cadreC = user(model.RoleCadre, &w.uniC, "丙干部")
	return w
}

func (w *world) publish(t *testing.T, in notice.Input) model.Notice {
	t.Helper()
	if in.Title == "" {
		in.Title = "关于做好青年之声平台推广工作的通知"
	}
	if in.Body == "" {
		in.Body = "各高校团委：\n请于 5 个工作日内完成平台推广。"
	}
	n, err := w.svc.Publish(context.Background(), w.province, in)
	if err != nil {
		t.Fatalf("publish %+v: %v", in, err)
	}
	return n
}

func ids(us ...model.User) []uint64 {
	out := make([]uint64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

func recipients(t *testing.T, db *model.DB, id uint64) []model.NoticeRecipient {
	t.Helper()
	var rs []model.NoticeRecipient
	if err := db.Conn(context.Background()).Where("notice_id = ?", id).Order("user_id").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	return rs
}

func alertsOf(t *testing.T, db *model.DB, id uint64) []model.TemplateMessage {
	t.Helper()
	var out []model.TemplateMessage
	for _, m := range servicetest.Alerts(t, db, alertkind.Notice) {
		if strings.HasSuffix(m.URL, "%2Fh5%2Fnotices%2F"+itoa(id)) {
			out = append(out, m)
		}
	}
	return out
}

func itoa(id uint64) string { return strings.TrimPrefix(notice.Path(id), "/h5/notices/") }

// Each target reaches exactly its universities' admins (and cadres when
// asked), an account with several roles once, as they are at publication;
// each bound one gets one alert.
func TestPublishTargets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := setup(t, db)
		cases := []struct {
			name  string
			in    notice.Input
			want  []model.User
			unis  int
			alert []model.User
		}{
			{"all, admins", notice.Input{Target: model.NoticeTargetAll}, []model.User{w.adminA, w.adminB, w.adminC}, 166,
				[]model.User{w.adminA, w.adminB, w.adminC}},
			{"batch 2 with cadres", notice.Input{Target: model.NoticeTargetBatch, Batch: model.BatchPublicVocational, Cadres: true},
				[]model.User{w.adminC, w.cadreC}, -1, []model.User{w.adminC, w.cadreC}},
			{"chosen A and B with cadres", notice.Input{Target: model.NoticeTargetChosen, Universities: []string{w.uniB.Code, w.uniA.Code, w.uniA.Code}, Cadres: true},
				[]model.User{w.adminA, w.cadreA, w.adminB, w.cadreB, w.unboundCadreB}, 2,
				[]model.User{w.adminA, w.cadreA, w.adminB, w.cadreB}},
			{"batch 1, admins", notice.Input{Target: model.NoticeTargetBatch, Batch: model.BatchUndergraduate},
				[]model.User{w.adminA, w.adminB}, -1, []model.User{w.adminA, w.adminB}},
		}
		for _, c := range cases {
			n := w.publish(t, c.in)
			rs := recipients(t, db, n.ID)
			var got []uint64
			for _, r := range rs {
				got = append(got, r.UserID)
				if r.ReadAt != nil {
					t.Errorf("%s: recipient %d read already", c.name, r.UserID)
				}
				if r.UserID == w.adminA.ID && r.Kind != model.NoticeRecipientAdmin {
					t.Errorf("%s: the admin who is also a cadre is a %q", c.name, r.Kind)
				}
			}
			if !slices.Equal(got, ids(c.want...)) || n.Recipients != len(c.want) {
				t.Errorf("%s: recipients %v (count %d), want %v", c.name, got, n.Recipients, ids(c.want...))
			}
			servicetest.WantRecipients(t, c.name, alertsOf(t, db, n.ID), c.alert...)
			for _, m := range alertsOf(t, db, n.ID) {
				if d := servicetest.AlertData(t, m); !strings.HasPrefix(d["thing1"], "关于做好") || d["time2"] != "2026-12-07 10:00" {
					t.Errorf("%s: alert data %v", c.name, d)
				}
			}
			v, err := w.svc.Open(context.Background(), w.province, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.unis >= 0 && v.Universities != c.unis {
				t.Errorf("%s: %d universities targeted, want %d", c.name, v.Universities, c.unis)
			}
		}
		// The batch's universities are exactly those of that batch.
		var batch1 int64
		db.Conn(context.Background()).Model(&model.University{}).Where("batch = ?", model.BatchUndergraduate).Count(&batch1)
		sent, total, err := w.svc.Sent(context.Background(), w.province, 1)
		if err != nil || total != 4 || len(sent) != 4 || sent[0].Universities != int(batch1) || sent[3].Universities != 166 {
			t.Fatalf("province list: %+v, %d, %v (batch 1 has %d)", sent, total, err, batch1)
		}
	})
}

// Only the province publishes; bad input is refused field by field, in
// Chinese, and nothing is stored.
func TestPublishRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := setup(t, db)
		ctx := context.Background()
		good := notice.Input{Title: "通知", Body: "正文", Target: model.NoticeTargetAll}
		for _, u := range []model.User{w.adminA, w.cadreA, w.studentA} {
			_, err := w.svc.Publish(ctx, u, good)
			servicetest.WantErr(t, "publish by "+u.Role, err, service.ErrForbidden, "not_province_admin")
		}
		cases := []struct {
			name, field string
			edit        func(in *notice.Input)
			parts       []string
		}{
			{"no title", "title", func(in *notice.Input) { in.Title = " \u200b " }, []string{"标题"}},
			{"long title", "title", func(in *notice.Input) { in.Title = strings.Repeat("通", notice.MaxTitle+1) }, []string{"50"}},
			{"no body", "body", func(in *notice.Input) { in.Body = "" }, []string{"正文"}},
			{"long body", "body", func(in *notice.Input) { in.Body = strings.Repeat("文", notice.MaxBody+1) }, []string{"5000"}},
			{"no target", "target", func(in *notice.Input) { in.Target = "" }, []string{"发送范围"}},
			{"bad batch", "batch", func(in *notice.Input) { in.Target, in.Batch = model.NoticeTargetBatch, 4 }, []string{"批次"}},
			{"none chosen", "universities", func(in *notice.Input) { in.Target = model.NoticeTargetChosen }, []string{"至少选择一所"}},
			{"unknown university", "universities", func(in *notice.Input) {
				in.Target, in.Universities = model.NoticeTargetChosen, []string{w.uniA.Code, "0000000000"}
			}, []string{"不存在"}},
			{"too many chosen", "universities", func(in *notice.Input) {
				in.Target, in.Universities = model.NoticeTargetChosen, slices.Repeat([]string{w.uniA.Code}, 301)
			}, []string{"300"}},
			{"nobody there", "target", func(in *notice.Input) {
				in.Target, in.Universities = model.NoticeTargetChosen, []string{w.uniD.Code}
			}, []string{"还没有"}},
		}
		for _, c := range cases {
			in := good
			c.edit(&in)
			_, err := w.svc.Publish(ctx, w.province, in)
			servicetest.WantFieldError(t, c.name, err, c.field, c.parts...)
		}
		var n int64
		db.Conn(ctx).Model(&model.Notice{}).Count(&n)
		if n != 0 || len(servicetest.Alerts(t, db, alertkind.Notice)) != 0 {
			t.Fatalf("%d notices and some alerts stored by refused publications", n)
		}
	})
}

// A recipient's list has the notice, unread first; opening it records
// the time once; the province's table shows per university who read and
// when, and nobody else sees it; others cannot open the notice.
func TestReadReceipts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := setup(t, db)
		ctx := context.Background()
		old := w.publish(t, notice.Input{Title: "旧通知", Target: model.NoticeTargetChosen, Universities: []string{w.uniA.Code}})
		w.clk.Advance(time.Minute)
		n := w.publish(t, notice.Input{Target: model.NoticeTargetChosen, Universities: []string{w.uniA.Code, w.uniB.Code}, Cadres: true})
		if _, err := w.svc.Open(ctx, w.adminA, old.ID); err != nil {
			t.Fatal(err)
		}
		mine, err := w.svc.Mine(ctx, w.adminA)
		if err != nil || len(mine) != 2 || mine[0].Notice.ID != n.ID || mine[0].ReadAt != nil || mine[1].Notice.ID != old.ID || mine[1].ReadAt == nil {
			t.Fatalf("admin A's list: %+v, %v; want the new one unread, then the old one read", mine, err)
		}
		if c, _ := w.svc.Unread(ctx, w.adminA); c != 1 {
			t.Fatalf("admin A has %d unread, want 1", c)
		}
		for _, u := range []model.User{w.studentA, w.stationA, w.adminC} {
			if l, err := w.svc.Mine(ctx, u); err != nil || len(l) != 0 {
				t.Fatalf("%s's list: %+v, %v; want empty", u.Name, l, err)
			}
			_, err := w.svc.Open(ctx, u, n.ID)
			servicetest.WantErr(t, u.Name+" opens", err, service.ErrNotFound, "notice_not_found")
			_, _, err = w.svc.AttachmentOf(ctx, u, n.ID)
			servicetest.WantErr(t, u.Name+" downloads", err, service.ErrNotFound, "notice_not_found")
		}

		w.clk.Advance(10 * time.Minute)
		readAt := w.clk.Now().UTC().Truncate(time.Second)
		v, err := w.svc.Open(ctx, w.adminA, n.ID)
		if err != nil || !v.Recipient || v.ReadAt == nil || !v.ReadAt.Equal(readAt) || !strings.Contains(v.Notice.Body, "5 个工作日") {
			t.Fatalf("first opening: %+v, %v", v, err)
		}
		w.clk.Advance(time.Hour)
		if v, err = w.svc.Open(ctx, w.adminA, n.ID); err != nil || !v.ReadAt.Equal(readAt) {
			t.Fatalf("second opening: read at %v, %v; want the first time %v", v.ReadAt, err, readAt)
		}
		if c, _ := w.svc.Unread(ctx, w.adminA); c != 0 {
			t.Fatalf("admin A has %d unread after reading", c)
		}
		// The province reads it without becoming a reader.
		if v, err = w.svc.Open(ctx, w.province, n.ID); err != nil || v.Recipient {
			t.Fatalf("province opens: %+v, %v", v, err)
		}

		r, err := w.svc.Reads(ctx, w.province, n.ID)
		if err != nil || len(r.Universities) != 2 || r.Notice.ReadCount != 1 {
			t.Fatalf("receipts: %+v, %v", r, err)
		}
		b, a := r.Universities[0], r.Universities[1]
		if b.University.ID != w.uniB.ID || b.Recipients != 3 || b.Read != 0 || b.LastRead != nil || len(b.Unread) != 3 {
			t.Fatalf("university B (most unread, first): %+v", b)
		}
		if a.University.ID != w.uniA.ID || a.Recipients != 2 || a.Read != 1 || a.LastRead == nil || !a.LastRead.Equal(readAt) ||
			len(a.Unread) != 1 || a.Unread[0].Name != "甲干部" || len(a.Readers) != 1 || a.Readers[0].Name != "甲管理" {
			t.Fatalf("university A: %+v", a)
		}
		for _, u := range []model.User{w.adminA, w.adminB, w.cadreA, w.studentA} {
			_, err := w.svc.Reads(ctx, u, n.ID)
			servicetest.WantErr(t, u.Name+"'s receipts", err, service.ErrForbidden, "not_province_admin")
			_, _, err = w.svc.Sent(ctx, u, 1)
			servicetest.WantErr(t, u.Name+"'s sent list", err, service.ErrForbidden, "not_province_admin")
			_, err = w.svc.Remind(ctx, u, n.ID, "")
			servicetest.WantErr(t, u.Name+" reminds", err, service.ErrForbidden, "not_province_admin")
		}
		_, err = w.svc.Reads(ctx, w.province, n.ID+100)
		servicetest.WantErr(t, "receipts of no notice", err, service.ErrNotFound, "notice_not_found")

		// A targeted university with nobody to receive it is listed, last.
		withD := w.publish(t, notice.Input{Target: model.NoticeTargetChosen, Universities: []string{w.uniD.Code, w.uniA.Code, w.uniB.Code}})
		if _, err := w.svc.Open(ctx, w.adminB, withD.ID); err != nil {
			t.Fatal(err)
		}
		r, err = w.svc.Reads(ctx, w.province, withD.ID)
		if err != nil || len(r.Universities) != 3 {
			t.Fatalf("receipts with D: %+v, %v", r, err)
		}
		if got := []uint64{r.Universities[0].University.ID, r.Universities[1].University.ID, r.Universities[2].University.ID}; !slices.Equal(got, []uint64{w.uniA.ID, w.uniB.ID, w.uniD.ID}) ||
			r.Universities[2].Recipients != 0 || r.Universities[1].Read != 1 {
			t.Fatalf("order %v (%+v); want A (unread), B (all read), D (nobody)", got, r.Universities)
		}
	})
}

// 提醒未读 alerts the unread only, a university's or all, and nobody
// twice within the hour (the publication's alert counts).
func TestRemind(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := setup(t, db)
		ctx := context.Background()
		n := w.publish(t, notice.Input{Target: model.NoticeTargetChosen, Universities: []string{w.uniA.Code, w.uniB.Code}, Cadres: true})
		published := len(alertsOf(t, db, n.ID))
		if _, err := w.svc.Open(ctx, w.adminA, n.ID); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(20 * time.Minute)
		res, err := w.svc.Remind(ctx, w.province, n.ID, "")
		if err != nil || res.Reminded != 0 || res.Waiting != 4 || res.Next == nil || !res.Next.Equal(t0.Add(time.Hour)) {
			t.Fatalf("remind 20 minutes after publishing: %+v, %v; want nobody, 4 waiting until %v", res, err, t0.Add(time.Hour))
		}
		w.clk.Advance(45 * time.Minute)
		res, err = w.svc.Remind(ctx, w.province, n.ID, w.uniB.Code)
		if err != nil || res.Reminded != 3 || res.Waiting != 0 {
			t.Fatalf("remind university B: %+v, %v", res, err)
		}
		all := alertsOf(t, db, n.ID)
		servicetest.WantRecipients(t, "reminder to B", all[published:], w.adminB, w.cadreB)
		if d := servicetest.AlertData(t, all[len(all)-1]); !strings.HasPrefix(d["thing1"], "【未读提醒】") {
			t.Fatalf("reminder data %v", d)
		}
		w.clk.Advance(time.Minute)
		res, err = w.svc.Remind(ctx, w.province, n.ID, "")
		if err != nil || res.Reminded != 1 || res.Waiting != 3 {
			t.Fatalf("remind all a minute later: %+v, %v; want only A's cadre", res, err)
		}
		servicetest.WantRecipients(t, "reminder to all", alertsOf(t, db, n.ID)[len(all):], w.cadreA)
		// B's admin reads; an hour later only the other two of B are due.
		if _, err := w.svc.Open(ctx, w.adminB, n.ID); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(59 * time.Minute)
		res, _ = w.svc.Remind(ctx, w.province, n.ID, "")
		if res.Reminded != 2 || res.Waiting != 1 {
			t.Fatalf("remind after the hour: %+v; want B's two cadres, A's cadre waiting", res)
		}
		rs := recipients(t, db, n.ID)
		for _, r := range rs {
			// Every unread one was reminded; who read before the hour never.
			if (r.ReadAt == nil && r.RemindedAt == nil) || (r.UserID == w.adminA.ID && r.RemindedAt != nil) {
				t.Errorf("recipient %d: read %v, reminded %v", r.UserID, r.ReadAt, r.RemindedAt)
			}
		}
		_, err = w.svc.Remind(ctx, w.province, n.ID, "0000000000")
		servicetest.WantErr(t, "remind an unknown university", err, service.ErrNotFound, "university_not_found")
	})
}

func docx(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		f, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><x/>`))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xlsx(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetCellValue("Sheet1", "A1", "学校")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// PDF is a minimal PDF file.
var PDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

// ole is the start of an OLE2 compound file (.doc, .xls), without what
// tells which: as some writers leave it.
var ole = append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 1024)...)

// An attachment is PDF, Word, Excel or an image, by its content, of at
// most 10 MiB; its recipients and the province download it as uploaded.
func TestAttachments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		w := setup(t, db)
		ctx := context.Background()
		in := notice.Input{Title: "附件测试", Body: "见附件", Target: model.NoticeTargetChosen, Universities: []string{w.uniA.Code}}
		bad := []struct {
			name, file string
			data       []byte
			part       string
		}{
			{"a program", "setup.exe", []byte("MZ\x90\x00"), "只能是"},
			{"a PNG named .pdf", "通知.pdf", png, "不符"},
			{"text named .docx", "通知.docx", []byte("hello"), "不符"},
			{"empty", "通知.pdf", []byte{}, "空文件"},
			{"too large", "通知.pdf", append(slices.Clone(PDF), make([]byte, notice.MaxAttachment)...), "10 MiB"},
			{"no name", ".pdf", PDF, "文件名"},
			{"a Word 97 file named .pdf", "通知.pdf", ole, "不符"},
		}
		for _, c := range bad {
			in := in
			in.Attachment = &notice.Attachment{Name: c.file, Data: c.data}
			_, err := w.svc.Publish(ctx, w.province, in)
			servicetest.WantFieldError(t, c.name, err, "attachment", c.part)
		}
		good := []struct {
			file, wantName, ctype string
			data                  []byte
		}{
			{`C:\Users\团委\附件1 青年之声推广方案.PDF`, "附件1 青年之声推广方案.PDF", "application/pdf", PDF},
			{"报名表.docx", "报名表.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx(t)},
			{"名单.xlsx", "名单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx(t)},
			{"海报.png", "海报.png", "image/png", png},
			{"旧表格.doc", "旧表格.doc", "application/msword", ole},
			{"满额.pdf", "满额.pdf", "application/pdf", append(slices.Clone(PDF), make([]byte, notice.MaxAttachment-len(PDF))...)},
			{strings.Repeat("长", 120) + ".pdf", strings.Repeat("长", notice.MaxAttachmentName-4) + ".pdf", "application/pdf", PDF},
		}
		for _, c := range good {
			in := in
			in.Attachment = &notice.Attachment{Name: c.file, Data: c.data}
			n, err := w.svc.Publish(ctx, w.province, in)
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			if n.AttachmentName != c.wantName || n.AttachmentType != c.ctype || n.AttachmentSize != int64(len(c.data)) {
				t.Fatalf("%s: stored as %q %q %d", c.file, n.AttachmentName, n.AttachmentType, n.AttachmentSize)
			}
			for _, u := range []model.User{w.adminA, w.province} {
				got, data, err := w.svc.AttachmentOf(ctx, u, n.ID)
				if err != nil || !bytes.Equal(data, c.data) || got.AttachmentName != c.wantName {
					t.Fatalf("%s downloads %s: %d bytes, %v", u.Name, c.file, len(data), err)
				}
			}
			_, _, err = w.svc.AttachmentOf(ctx, w.adminB, n.ID)
			servicetest.WantErr(t, "another university's admin downloads", err, service.ErrNotFound, "notice_not_found")
		}
		plain := w.publish(t, notice.Input{Target: model.NoticeTargetChosen, Universities: []string{w.uniA.Code}})
		_, _, err := w.svc.AttachmentOf(ctx, w.adminA, plain.ID)
		servicetest.WantErr(t, "a notice without attachment", err, service.ErrNotFound, "no_attachment")
	})
}

// A notice to all 166 universities with their cadres reaches every one
// of a few thousand accounts in one publication: the recipients and the
// alerts (inserted in batches of 500) are all there, each once, and the
// receipts have a line per university.
func TestPublishToAll(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		clk := clock.NewFake(t0)
		svc, err := notice.New(db, clk, servicetest.Notifier(t, db, clk))
		if err != nil {
			t.Fatal(err)
		}
		province := servicetest.NewUser(t, db, model.RoleProvinceAdmin, nil, true)
		var unis []model.University
		if err := db.Conn(ctx).Order("id").Find(&unis).Error; err != nil || len(unis) != 166 {
			t.Fatalf("universities: %d, %v", len(unis), err)
		}
		const perUni = 7 // an admin, five cadres, a student
		now := time.Now().UTC()
		var users []model.User
		for i, u := range unis {
			for j := range perUni {
				acct := fmt.Sprintf("scale%03d%d", i, j)
				oid := "oScale" + acct
				role := model.RoleCadre
				switch j {
				case 0:
					role = model.RoleUniversityAdm
				case perUni - 1:
					role = model.RoleStudent
				}
				users = append(users, model.User{Account: acct, AccountKey: acct, PasswordHash: "x", Role: role,
					UniversityID: &u.ID, OpenID: &oid, CreatedAt: now, UpdatedAt: now})
			}
		}
		if err := db.Conn(ctx).CreateInBatches(users, 500).Error; err != nil {
			t.Fatal(err)
		}
		n, err := svc.Publish(ctx, province, notice.Input{Title: "全省通知", Body: "正文", Target: model.NoticeTargetAll, Cadres: true})
		want := 166 * (perUni - 1)
		if err != nil || n.Recipients != want {
			t.Fatalf("publish to all: %d recipients, %v; want %d", n.Recipients, err, want)
		}
		if got := len(recipients(t, db, n.ID)); got != want {
			t.Fatalf("%d recipient rows, want %d", got, want)
		}
		ms := alertsOf(t, db, n.ID)
		seen := map[string]bool{}
		for _, m := range ms {
			seen[m.OpenID] = true
		}
		if len(ms) != want || len(seen) != want {
			t.Fatalf("%d alerts to %d accounts, want %d each once", len(ms), len(seen), want)
		}
		r, err := svc.Reads(ctx, province, n.ID)
		if err != nil || len(r.Universities) != 166 || r.Universities[0].Recipients != perUni-1 || len(r.Universities[165].Unread) != perUni-1 {
			t.Fatalf("receipts: %d universities, %v", len(r.Universities), err)
		}
	})
}

// The two reads that grow with the province: one notice's receipts (the
// primary key's prefix) and a person's unread notices
// (idx_notice_recipient_user), each one indexed lookup.
func TestNoticeIndexes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		ctx := context.Background()
		idx, err := db.Conn(ctx).Migrator().GetIndexes("notice_recipients")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ix := range idx {
			if ix.Name() == "idx_notice_recipient_user" {
				found = slices.Equal(ix.Columns(), []string{"user_id", "read_at"})
			}
		}
		if !found {
			t.Fatalf("notice_recipients has no idx_notice_recipient_user (user_id, read_at): %v", idx)
		}
		if db.Dialect() != model.MySQL {
			return
		}
		for query, index := range map[string]string{
			"SELECT user_id, read_at FROM notice_recipients WHERE notice_id = 7":                "PRIMARY",
			"SELECT COUNT(*) FROM notice_recipients WHERE user_id = 7 AND read_at IS NULL":      "idx_notice_recipient_user",
			"SELECT notice_id FROM notice_recipients WHERE user_id = 7 AND read_at IS NOT NULL": "idx_notice_recipient_user",
		} {
			var plan []map[string]any
			if err := db.Conn(ctx).Raw("EXPLAIN " + query).Scan(&plan).Error; err != nil {
				t.Fatal(err)
			}
			if len(plan) != 1 || fmt.Sprint(plan[0]["key"]) != index {
				t.Errorf("EXPLAIN %s: %v, want %s", query, plan, index)
			}
		}
	})
}
