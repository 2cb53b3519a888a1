package account_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/account"
)

func bcryptHash(t *testing.T, password, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h[4:]) // "$2a$" → prefix; the rest is the same hash
}

func userByAccount(t *testing.T, e *env, acct string) model.User {
	t.Helper()
	var u model.User
	if err := e.db.Conn(ctx).Where("account_key = ?", strings.ToLower(acct)).Take(&u).Error; err != nil {
		t.Fatalf("user %s: %v", acct, err)
	}
	return u
}

// wantProblems asserts err rejects the import with exactly these lines,
// each problem's reason containing the given fragment.
func wantProblems(t *testing.T, rep account.ImportReport, err error, kind error, want []account.ImportProblem) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want %v", err, kind)
	}
	var ie *account.ImportError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T is not an *ImportError", err)
	}
	var se *service.Error
	if !errors.As(err, &se) || se.Message != err.Error() {
		t.Fatalf("no *service.Error with the message in %v", err)
	}
	if fmt.Sprint(ie.Problems) != fmt.Sprint(rep.Problems) {
		t.Errorf("report problems %v differ from the error's %v", rep.Problems, ie.Problems)
	}
	if len(rep.Problems) != len(want) {
		t.Fatalf("problems:\n%v\nwant:\n%v", rep.Problems, want)
	}
	for i, w := range want {
		p := rep.Problems[i]
		if p.Line != w.Line || !strings.Contains(p.Reason, w.Reason) {
			t.Errorf("problem %d = 第 %d 行：%s, want 第 %d 行 ~ %s", i, p.Line, p.Reason, w.Line, w.Reason)
		}
		if w.Line > 0 && !strings.Contains(err.Error(), fmt.Sprintf("第 %d 行：%s", p.Line, p.Reason)) {
			t.Errorf("error message does not list 第 %d 行：%s:\n%s", p.Line, p.Reason, err)
		}
	}
	if rep.Added != 0 || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Errorf("rejected import counted %+v", rep)
	}
}

func TestImportAccounts(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		h2a, h2b, h2y := bcryptHash(t, "hashA123", "$2a$"), bcryptHash(t, "hashB123", "$2b$"), bcryptHash(t, "hashY123", "$2y$")
		// BOM, Chinese headers, CRLF, a quoted name, spaces around cells.
		file := "\uFEFF账号,密码,学校代码,姓名\r\n" +
			"Plain001,Plain001," + codeSYSU + ",张三\r\n" +
			"hashA001," + h2a + "," + codeBaiyun + ",\"李, 四\"\r\n" +
			" hashB001 ," + h2b + "," + codeChaoshan + ",\r\n" +
			"hashY001," + h2y + "," + codeJiaotong + ",王五\r\n"
		rep, err := e.svc.ImportAccounts(ctx, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 4 || rep.Updated != 0 || len(rep.Problems) != 0 {
			t.Fatalf("report %+v", rep)
		}
		if n := e.userCount(t); n != 4 {
			t.Fatalf("%d users, want 4", n)
		}
		for _, c := range []struct{ acct, password, code, name, hash string }{
			{"Plain001", "Plain001", codeSYSU, "张三", ""},
			{"hashA001", "hashA123", codeBaiyun, "李, 四", h2a},
			{"hashB001", "hashB123", codeChaoshan, "", h2b},
			{"hashY001", "hashY123", codeJiaotong, "王五", h2y},
		} {
			u := userByAccount(t, e, c.acct)
			uni, _ := e.svc.UniversityByCode(ctx, c.code)
			if u.Account != c.acct || u.Name != c.name || u.Role != model.RoleStudent || u.EntryKey != "gaoxiao" ||
				u.Source != "import" || u.ActivatedAt != nil || u.OpenID != nil || u.LastLoginAt != nil ||
				u.UniversityID == nil || *u.UniversityID != uni.ID || !u.CreatedAt.Equal(e.clk.Now()) {
				t.Errorf("%s stored as %+v", c.acct, u)
			}
			if c.hash != "" && u.PasswordHash != c.hash {
				t.Errorf("%s: hash %q not kept as %q", c.acct, u.PasswordHash, c.hash)
			}
			if c.hash == "" {
				if u.PasswordHash == c.password {
					t.Errorf("%s: plaintext password stored", c.acct)
				}
				if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || cost != 4 {
					t.Errorf("%s: hash cost %d, %v; want the service's 4", c.acct, cost, err)
				}
			}
			// The right password logs in; a wrong one does not.
			if _, err := e.svc.Login(ctx, c.acct, c.password+"x", ""); !errors.Is(err, service.ErrUnauthorized) {
				t.Errorf("%s with a wrong password: %v", c.acct, err)
			}
			if _, err := e.svc.Login(ctx, c.acct, c.password, ""); err != nil {
				t.Errorf("%s login: %v", c.acct, err)
			}
		}

		// Imported users activate as 老用户 from WeChat.
		u, err := e.svc.Activate(ctx, account.ActivateInput{Entry: "gaoxiao", Mode: account.ModeOld, Account: "hashy001", Password: "hashY123", OpenID: "oid-imp"})
		if err != nil {
			t.Fatal(err)
		}
		if u.ActivatedAt == nil || strOrNil(u.OpenID) != "oid-imp" {
			t.Fatalf("activated import %+v", u)
		}

		// English headers in any case, no name column; the new file may not
		// repeat accounts already imported.
		rep, err = e.svc.ImportAccounts(ctx, strings.NewReader("Account,PASSWORD,University_Code\nsecond01,second01,"+codeSYSU+"\n"))
		if err != nil || rep.Added != 1 {
			t.Fatalf("second import: %+v, %v", rep, err)
		}
		rep, err = e.svc.ImportAccounts(ctx, strings.NewReader("帐号,密码,学校标识码\nSECOND01,second01,"+codeSYSU+"\n"))
		wantProblems(t, rep, err, service.ErrInvalid, []account.ImportProblem{{Line: 2, Reason: "已存在"}})
	})
}

func TestImportAccountsRejectsEveryBadRow(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		e.newUser(t, "Existing1", "pass0001", "")
		file := strings.Join([]string{
			"account,password,university_code,name",
			"good0001,pass0001," + codeSYSU + ",",
			"ab12,pass0001," + codeSYSU + ",",
			"good0002,p!ss0001," + codeSYSU + ",",
			"good0003,pass0001," + codeUnknown + ",",
			"GOOD0001,pass0001," + codeSYSU + ",",
			"existing1,pass0001," + codeSYSU + ",",
			"good0004,$2a$10$tooshort," + codeSYSU + ",",
			"good0005,pass0001,,",
			"good0006,pass0001," + codeSYSU + ",x,extra",
			"good0007,$1$abc$def," + codeSYSU + ",",
			"张三abcdef,pass0001," + codeSYSU + ",",
			"good0008,pass0001," + codeSYSU + "," + strings.Repeat("名", 21),
			",," + codeSYSU + ",",
			"good0009,pass0001," + codeSYSU + ",",
		}, "\n") + "\n"
		rep, err := e.svc.ImportAccounts(ctx, strings.NewReader(file))
		wantProblems(t, rep, err, service.ErrInvalid, []account.ImportProblem{
			{Line: 3, Reason: "账号须为 6–32 位英文字母或数字"},
			{Line: 4, Reason: "密码须为 6–32 位英文字母或数字"},
			{Line: 5, Reason: "学校代码 " + codeUnknown + " 不存在"},
			{Line: 6, Reason: "与第 2 行重复"},
			{Line: 7, Reason: "已存在"},
			{Line: 8, Reason: "密码哈希无效"},
			{Line: 9, Reason: "请填写学校代码"},
			{Line: 10, Reason: "有 5 列，表头有 4 列"},
			{Line: 11, Reason: "只接受 bcrypt"},
			{Line: 12, Reason: "账号须为 6–32 位英文字母或数字"},
			{Line: 13, Reason: "姓名不能超过 20 个字"},
			{Line: 14, Reason: "请填写账号"},
			{Line: 14, Reason: "请填写密码"},
		})
		if !strings.Contains(err.Error(), "第 3 行：账号须为 6–32 位英文字母或数字") {
			t.Errorf("message:\n%s", err)
		}
		if n := e.userCount(t); n != 1 {
			t.Fatalf("%d users after a rejected import, want 1", n)
		}
	})
}

func TestImportAccountsFileProblems(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		gbk := []byte("\xd5\xcb\xba\xc5,\xc3\xdc\xc2\xeb,\xd1\xa7\xd0\xa3\xb4\xfa\xc2\xeb\nabc123,abc123," + codeSYSU + "\n") // 账号,密码,学校代码 in GBK
		for _, c := range []struct {
			name, file string
			want       []account.ImportProblem
		}{
			{"empty", "", []account.ImportProblem{{0, "文件为空"}}},
			{"header only", "account,password,university_code\n", []account.ImportProblem{{0, "没有数据行"}}},
			{"missing column", "account,password,name\nabc123,abc123,x\n", []account.ImportProblem{{1, "缺少「学校代码」列"}}},
			{"duplicate column", "account,账号,password,university_code\na,b,c,d\n", []account.ImportProblem{{1, "「账号」列重复"}}},
			{"GBK", string(gbk), []account.ImportProblem{{0, "UTF-8"}}},
			{"broken quote", "account,password,university_code\nabc123,\"abc123," + codeSYSU + "\n", []account.ImportProblem{{2, "CSV 格式错误"}}},
		} {
			t.Run(c.name, func(t *testing.T) {
				rep, err := e.svc.ImportAccounts(ctx, strings.NewReader(c.file))
				wantProblems(t, rep, err, service.ErrInvalid, c.want)
			})
		}
		if n := e.userCount(t); n != 0 {
			t.Fatalf("%d users", n)
		}
	})
}

func TestImportAccountsManyRows(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		var b strings.Builder
		b.WriteString("account,password,university_code\n")
		const n = 250 // more than one insert batch (200)
		for i := range n {
			fmt.Fprintf(&b, "bulk%05d,pw%06d,%s\n", i, i, codeSYSU)
		}
		rep, err := e.svc.ImportAccounts(ctx, strings.NewReader(b.String()))
		if err != nil || rep.Added != n {
			t.Fatalf("%+v, %v", rep, err)
		}
		if c := e.userCount(t); c != n {
			t.Fatalf("%d users, want %d", c, n)
		}
		if _, err := e.svc.Login(ctx, fmt.Sprintf("bulk%05d", n-1), fmt.Sprintf("pw%06d", n-1), ""); err != nil {
			t.Fatal(err)
		}
		var empty int64
		e.db.Conn(ctx).Model(&model.User{}).Where("password_hash NOT LIKE ?", "$2%").Count(&empty)
		if empty != 0 {
			t.Fatalf("%d users without a bcrypt hash", empty)
		}
	})
}

// A registration that lands between the checks and the insert makes the
// whole import roll back and be reported as a conflict.
func TestImportAccountsRollsBackOnUniqueViolation(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		fired := false
		err := e.db.Conn(ctx).Callback().Create().Before("gorm:create").Register("test:race", func(tx *gorm.DB) {
			if fired || tx.Statement.Table != "users" {
				return
			}
			fired = true
			// The concurrent registration, simulated on the same connection.
			now := e.clk.Now().UTC()
			tx.Session(&gorm.Session{NewDB: true}).Exec(
				"INSERT INTO users (account, account_key, password_hash, name, entry_key, role, source, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
				"RACER002", "racer002", "$2a$04$xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "", "gaoxiao", model.RoleStudent, "", now, now)
		})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.svc.ImportAccounts(ctx, strings.NewReader("account,password,university_code\nracer001,racer001,"+codeSYSU+"\nracer002,racer002,"+codeSYSU+"\n"))
		if !fired {
			t.Fatal("the race hook did not run")
		}
		if !errors.Is(err, service.ErrConflict) || !strings.Contains(err.Error(), "已全部回滚") {
			t.Fatalf("import: %+v, %v; want ErrConflict", rep, err)
		}
		if rep.Added != 0 {
			t.Fatalf("report %+v", rep)
		}
		if n := e.userCount(t); n != 0 {
			t.Fatalf("%d users after the rolled-back import", n)
		}
	})
}

func TestImportUniversities(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		sysu, _ := e.svc.UniversityByCode(ctx, codeSYSU) // also fills the cache
		jiaotong, _ := e.svc.UniversityByCode(ctx, codeJiaotong)
		student := e.newUser(t, "sysu0001", "sysu0001", "")

		file := "\uFEFF学校标识码,学校名称,所在地,办学层次,办学性质,备注\n" +
			codeSYSU + ",中山大学（改名测试）,广州市,本科,公办,\n" +
			codeJNU + ",暨南大学,广州市,本科,公办,\n" +
			codeJiaotong + ",广东交通职业技术学院,广州市,本科,公办,升格\n" +
			"4144099991,深圳新职业学院,深圳市,专科,民办,新设\n" +
			"4144099992,汕尾新学院,汕尾,本科,民办,\n" // city written without 市
		rep, err := e.svc.ImportUniversities(ctx, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 2 || rep.Updated != 2 || rep.Unchanged != 1 || len(rep.Problems) != 0 {
			t.Fatalf("report %+v, want added 2 updated 2 unchanged 1", rep)
		}
		if n := e.uniCount(t); n != 168 {
			t.Fatalf("%d universities, want 168", n)
		}

		// Updated in place: same id, new details, visible at once.
		got, err := e.svc.UniversityByCode(ctx, codeSYSU)
		if err != nil || got.ID != sysu.ID || got.Name != "中山大学（改名测试）" {
			t.Fatalf("中山大学 after import: %+v, %v", got, err)
		}
		got, _ = e.svc.UniversityByCode(ctx, codeJiaotong)
		if got.ID != jiaotong.ID || got.Level != "本科" || got.Note != "升格" || got.Batch != model.BatchUndergraduate {
			t.Fatalf("广东交通职业技术学院 after import: %+v", got)
		}
		// The student's university still resolves, to the new name.
		u := e.reload(t, student.ID)
		if uni, err := e.svc.UniversityByID(ctx, *u.UniversityID); err != nil || uni.Name != "中山大学（改名测试）" {
			t.Fatalf("student's university: %+v, %v", uni, err)
		}
		// New ones get the notice's batch and are searchable.
		for code, batch := range map[string]int{"4144099991": model.BatchPrivateVocational, "4144099992": model.BatchUndergraduate} {
			got, err := e.svc.UniversityByCode(ctx, code)
			if err != nil || got.Batch != batch {
				t.Fatalf("%s: %+v, %v; want batch %d", code, got, err, batch)
			}
		}
		if found, _ := e.svc.SearchUniversities(ctx, "深圳 新职业", 0); len(found) != 1 || found[0].Code != "4144099991" {
			t.Fatalf("search for the new one: %v", names(found))
		}
		if found, _ := e.svc.SearchUniversities(ctx, "汕尾市 新学院", 0); len(found) != 1 || found[0].Code != "4144099992" {
			t.Fatalf("汕尾市 should find the institution filed under 汕尾: %v", names(found))
		}
		// Students can pick the new one.
		in := newInput("newuni01", "newuni01")
		in.UniversityCode = "4144099991"
		if _, err := e.svc.Activate(ctx, in); err != nil {
			t.Fatal(err)
		}

		// Importing the same file again changes nothing.
		rep, err = e.svc.ImportUniversities(ctx, strings.NewReader(file))
		if err != nil || rep.Added != 0 || rep.Updated != 0 || rep.Unchanged != 5 {
			t.Fatalf("re-import: %+v, %v", rep, err)
		}
	})
}

func TestImportUniversitiesSeedFileIsUnchanged(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		f, err := os.Open("../../model/seed/gd_universities_2025.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rep, err := e.svc.ImportUniversities(ctx, f)
		if err != nil || rep.Unchanged != 166 || rep.Added != 0 || rep.Updated != 0 {
			t.Fatalf("seed re-import: %+v, %v", rep, err)
		}
	})
}

func TestImportUniversitiesRejectsEveryBadRow(t *testing.T) {
	t.Parallel()
	each(t, envOpt{}, func(t *testing.T, e *env) {
		file := strings.Join([]string{
			"code,name,city,level,ownership,note",
			codeSYSU + ",中山大学（不应写入）,广州市,本科,公办,",
			"414401055,短代码学院,广州市,本科,公办,",
			"41440105AB,字母学院,广州市,本科,公办,",
			"4144099993,,广州市,本科,公办,",
			"4144099994,研究生院,广州市,研究生,公办,",
			"4144099995,合作学院,广州市,本科,中外合作,",
			codeSYSU + ",中山大学,广州市,本科,公办,",
			"4144099996,无城市学院,,专科,公办,",
			"4144099997,好学院,广州市,专科,公办,",
		}, "\n")
		rep, err := e.svc.ImportUniversities(ctx, strings.NewReader(file))
		wantProblems(t, rep, err, service.ErrInvalid, []account.ImportProblem{
			{Line: 3, Reason: "10 位数字"},
			{Line: 4, Reason: "10 位数字"},
			{Line: 5, Reason: "请填写学校名称"},
			{Line: 6, Reason: "办学层次须为「本科」或「专科」"},
			{Line: 7, Reason: "办学性质须为「公办」或「民办」"},
			{Line: 8, Reason: "与第 2 行重复"},
			{Line: 9, Reason: "请填写所在地"},
		})
		if n := e.uniCount(t); n != 166 {
			t.Fatalf("%d universities after a rejected import", n)
		}
		if got, _ := e.svc.UniversityByCode(ctx, codeSYSU); got.Name != "中山大学" {
			t.Fatalf("中山大学 renamed to %s by a rejected import", got.Name)
		}
		rep, err = e.svc.ImportUniversities(ctx, strings.NewReader("code,name,city,level\n4144099997,好学院,广州市,专科\n"))
		wantProblems(t, rep, err, service.ErrInvalid, []account.ImportProblem{{Line: 1, Reason: "缺少「办学性质」列"}})
	})
}
