package account_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
	"github.com/gdyouth/youthvoice/service/servicetest"
)

func TestUniversitiesSeededWithNoticeBatches(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		all, err := e.svc.Universities(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 166 {
			t.Fatalf("%d universities, want the MoE list's 166", len(all))
		}
		count := map[int]int{}
		for _, u := range all {
			count[u.Batch]++
			if want := account.BatchFor(u.Level, u.Ownership); u.Batch != want {
				t.Errorf("%s (%s %s): batch %d, want %d", u.Name, u.Level, u.Ownership, u.Batch, want)
			}
		}
		if count[1] != 77 || count[2] != 62 || count[3] != 27 || len(count) != 3 {
			t.Fatalf("batches %v, want 1:77 2:62 3:27", count)
		}
		for _, c := range []struct {
			code, name, level, ownership string
			batch                        int
		}{
			{codeSYSU, "中山大学", "本科", "公办", model.BatchUndergraduate},
			{codeBaiyun, "广东白云学院", "本科", "民办", model.BatchUndergraduate},
			{"4144013684", "珠海科技学院", "本科", "民办", model.BatchUndergraduate}, // former 吉林大学珠海学院
			{codeQinggong, "广东轻工职业技术大学", "本科", "公办", model.BatchUndergraduate},
			{codeJiaotong, "广东交通职业技术学院", "专科", "公办", model.BatchPublicVocational},
			{codeChaoshan, "潮汕职业技术学院", "专科", "民办", model.BatchPrivateVocational},
			{codeHualian, "私立华联学院", "专科", "民办", model.BatchPrivateVocational},
		} {
			u, err := e.svc.UniversityByCode(ctx, c.code)
			if err != nil {
				t.Fatalf("%s: %v", c.code, err)
			}
			if u.Name != c.name || u.Level != c.level || u.Ownership != c.ownership || u.Batch != c.batch {
				t.Errorf("%s = %s %s %s batch %d, want %s %s %s batch %d",
					c.code, u.Name, u.Level, u.Ownership, u.Batch, c.name, c.level, c.ownership, c.batch)
			}
			if byID, err := e.svc.UniversityByID(ctx, u.ID); err != nil || byID.Code != c.code {
				t.Errorf("UniversityByID(%d) = %+v, %v", u.ID, byID, err)
			}
		}
		if _, err := e.svc.UniversityByCode(ctx, codeUnknown); !errors.Is(err, service.ErrNotFound) {
			t.Fatalf("unknown code: %v, want ErrNotFound", err)
		}
	})
}

func TestBatchFor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		level, ownership string
		want             int
	}{
		{"本科", "公办", 1}, {"本科", "民办", 1}, {"专科", "公办", 2}, {"专科", "民办", 3},
	} {
		if got := account.BatchFor(c.level, c.ownership); got != c.want {
			t.Errorf("BatchFor(%s, %s) = %d, want %d", c.level, c.ownership, got, c.want)
		}
	}
}

func names(us []model.University) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func TestSearchUniversities(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		search := func(q string) []model.University {
			t.Helper()
			us, err := e.svc.SearchUniversities(ctx, q, 0)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			return us
		}

		// By name fragment.
		got := search("华南")
		if len(got) == 0 {
			t.Fatal("华南: no results")
		}
		hasSCUT := false
		for _, u := range got {
			if !strings.Contains(u.Name, "华南") && !strings.Contains(u.City, "华南") {
				t.Errorf("华南 matched %s (%s)", u.Name, u.City)
			}
			hasSCUT = hasSCUT || u.Name == "华南理工大学"
		}
		if !hasSCUT {
			t.Errorf("华南 misses 华南理工大学: %v", names(got))
		}

		// By city, with or without 市.
		gz, gzShi := search("广州"), search("广州市")
		if len(gz) < 50 {
			t.Fatalf("广州: only %d results", len(gz))
		}
		if strings.Join(names(gz), ",") != strings.Join(names(gzShi), ",") {
			t.Fatalf("广州 and 广州市 differ: %d vs %d", len(gz), len(gzShi))
		}
		inCity := 0
		for _, u := range gz {
			if u.City == "广州市" {
				inCity++
			} else if !strings.Contains(u.Name, "广州") {
				t.Errorf("广州 matched %s (%s)", u.Name, u.City)
			}
		}
		all, _ := e.svc.Universities(ctx)
		wantInCity := 0
		for _, u := range all {
			if u.City == "广州市" {
				wantInCity++
			}
		}
		if inCity != wantInCity {
			t.Errorf("广州 found %d institutions in 广州市, want %d", inCity, wantInCity)
		}
		sz := search("深圳市")
		if len(sz) == 0 {
			t.Fatal("深圳市: no results")
		}
		for _, u := range sz {
			if u.City != "深圳市" && !strings.Contains(u.Name, "深圳") {
				t.Errorf("深圳市 matched %s (%s)", u.Name, u.City)
			}
		}

		// Every word must match.
		both := search("深圳 职业")
		if len(both) == 0 {
			t.Fatal("深圳 职业: no results")
		}
		for _, u := range both {
			if !strings.Contains(u.Name, "职业") || (u.City != "深圳市" && !strings.Contains(u.Name, "深圳")) {
				t.Errorf("深圳 职业 matched %s (%s)", u.Name, u.City)
			}
		}
		if len(both) >= len(sz) {
			t.Errorf("深圳 职业 (%d) should narrow 深圳 (%d)", len(both), len(sz))
		}
		if got := search("中山大学 汕头"); len(got) != 0 {
			t.Errorf("中山大学 汕头 matched %v", names(got))
		}

		// No match, empty query, limit.
		if got := search("不存在的大学"); len(got) != 0 {
			t.Errorf("nonsense matched %v", names(got))
		}
		if got := search(""); len(got) != 166 {
			t.Errorf("empty query: %d, want all 166", len(got))
		}
		if got, _ := e.svc.SearchUniversities(ctx, "广州", 5); len(got) != 5 {
			t.Errorf("limit 5: %d results", len(got))
		}

		// Overlong queries are refused; the limit counts characters, not
		// UTF-8 bytes.
		if got, err := e.svc.SearchUniversities(ctx, strings.Repeat("广", 100), 0); err != nil || len(got) != 0 {
			t.Errorf("100 characters: %v, %v", names(got), err)
		}
		_, err := e.svc.SearchUniversities(ctx, strings.Repeat("广", 101), 0)
		se := servicetest.WantErr(t, "", err, service.ErrInvalid, "")
		if !strings.Contains(se.Message, "太长") {
			t.Errorf("overlong message %q", se.Message)
		}
	})
}

func TestEntries(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		es, err := e.svc.Entries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 3 || es[0].Key != "gaoxiao" || !es[0].Enabled {
			t.Fatalf("entries %+v", es)
		}
		en, err := e.svc.Entry(ctx, "gaoxiao")
		if err != nil || en.Name != "高校" || en.Kind != model.EntryKindUniversity {
			t.Fatalf("高校 entry: %+v, %v", en, err)
		}

		_, err = e.svc.Entry(ctx, "dishi")
		se := servicetest.WantErr(t, "", err, service.ErrInvalid, "")
		if !strings.Contains(se.Message, "地市") || !strings.Contains(se.Message, "暂未开放") {
			t.Errorf("disabled entry message %q", se.Message)
		}
		_, err = e.svc.Entry(ctx, "nope")
		servicetest.WantErr(t, "", err, service.ErrNotFound, "")

		// Activation through a disabled entry is refused before anything else.
		_, err = e.svc.Activate(ctx, account.ActivateInput{
			Entry: "dishi", Mode: account.ModeNew, Account: "abcdef1", Password: "abcdef1", Confirm: "abcdef1", UniversityCode: codeSYSU,
		})
		servicetest.WantErr(t, "", err, service.ErrInvalid, "")
		_, err = e.svc.Activate(ctx, account.ActivateInput{Entry: "", Mode: account.ModeNew})
		servicetest.WantErr(t, "", err, service.ErrNotFound, "")
		if n := e.userCount(t); n != 0 {
			t.Fatalf("%d users after refused activations", n)
		}
	})
}
