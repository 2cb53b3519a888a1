package account

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// ImportProblem is one thing wrong with an import file: Line is the 1-based
// line of the file (the header is line 1).
type ImportProblem struct {
	Line   int
	Reason string
}

// ImportReport sums up an import. On failure Problems lists every bad row
// and nothing has been written.
type ImportReport struct {
	Added     int
	Updated   int
	Unchanged int
	Problems  []ImportProblem
}

// ImportError is returned when an import file is rejected. errors.Is
// matches its Kind (service.ErrInvalid, or service.ErrConflict when a
// concurrent write clashed with the file), and errors.As finds a
// *service.Error carrying the same Chinese message.
type ImportError struct {
	Kind     error
	Summary  string
	Problems []ImportProblem
}

func (e *ImportError) Error() string {
	var b strings.Builder
	b.WriteString(e.Summary)
	for _, p := range e.Problems {
		b.WriteString("\n")
		if p.Line > 0 {
			fmt.Fprintf(&b, "第 %d 行：", p.Line)
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// Unwrap exposes the sentinel through a *service.Error, so handlers show
// the message and map the status as for any other rule violation.
func (e *ImportError) Unwrap() error {
	return &service.Error{Kind: e.Kind, Code: "import_rejected", Message: e.Error()}
}

func rejected(problems []ImportProblem) error {
	return &ImportError{
		Kind:     service.ErrInvalid,
		Summary:  fmt.Sprintf("导入失败，未写入任何数据。共 %d 处问题：", len(problems)),
		Problems: problems,
	}
}

// importFile is a parsed CSV: the column index of each known field and
// the data rows with their file lines.
type importFile struct {
	col      map[string]int
	rows     []importRow
	problems []ImportProblem // rows that could not be read
}

type importRow struct {
	line   int
	fields []string
}

func (f importFile) get(r importRow, field string) string {
	i, ok := f.col[field]
	if !ok || i >= len(r.fields) {
		return ""
	}
	return strings.TrimSpace(r.fields[i])
}

// importColumn is a known column: its canonical name, the header spellings
// accepted for it (compared case-insensitively), and whether it must exist.
type importColumn struct {
	field    string
	label    string
	aliases  []string
	required bool
}

var accountColumns = []importColumn{
	{"account", "账号", []string{"account", "账号", "帐号"}, true},
	{"password", "密码", []string{"password", "密码"}, true},
	{"university_code", "学校代码", []string{"university_code", "学校代码", "学校标识码"}, true},
	{"name", "姓名", []string{"name", "姓名"}, false},
}

var universityColumns = []importColumn{
	{"code", "学校标识码", []string{"code", "学校标识码", "学校代码", "标识码"}, true},
	{"name", "学校名称", []string{"name", "学校名称", "名称"}, true},
	{"city", "所在地", []string{"city", "所在地", "所在城市", "城市"}, true},
	{"level", "办学层次", []string{"level", "办学层次", "层次"}, true},
	{"ownership", "办学性质", []string{"ownership", "办学性质", "性质", "公办民办"}, true},
	{"note", "备注", []string{"note", "备注"}, false},
}

// parseImport reads a CSV with a header row. Problems with the file as a
// whole (encoding, header) come back as an error listing them; rows with
// the wrong number of cells are left out and listed in f.problems, so the
// other rows can still be checked and every problem reported at once.
func parseImport(r io.Reader, columns []importColumn) (importFile, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return importFile{}, fmt.Errorf("读取导入文件: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\uFEFF"))
	if !utf8.Valid(raw) {
		return importFile{}, rejected([]ImportProblem{{0, "文件不是 UTF-8 编码：在 Excel 中请另存为「CSV UTF-8（逗号分隔）」"}})
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1 // rows with a wrong number of cells are reported per line
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return importFile{}, rejected([]ImportProblem{{0, "文件为空"}})
	}
	if err != nil {
		return importFile{}, rejected([]ImportProblem{{csvLine(err, 1), "CSV 格式错误：" + csvReason(err)}})
	}
	f := importFile{col: map[string]int{}}
	var problems []ImportProblem
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		for _, c := range columns {
			for _, a := range c.aliases {
				if h != strings.ToLower(a) {
					continue
				}
				if _, dup := f.col[c.field]; dup {
					problems = append(problems, ImportProblem{1, "表头中「" + c.label + "」列重复"})
				}
				f.col[c.field] = i
			}
		}
	}
	for _, c := range columns {
		if _, ok := f.col[c.field]; !ok && c.required {
			problems = append(problems, ImportProblem{1, fmt.Sprintf("表头缺少「%s」列（可写作 %s）", c.label, strings.Join(c.aliases, " 或 "))})
		}
	}
	if len(problems) > 0 {
		return importFile{}, rejected(problems)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A broken quote makes the rest of the file unreadable.
			problems = append(problems, ImportProblem{csvLine(err, 0), "CSV 格式错误：" + csvReason(err)})
			break
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			f.problems = append(f.problems, ImportProblem{line, fmt.Sprintf("有 %d 列，表头有 %d 列", len(rec), len(header))})
			continue
		}
		f.rows = append(f.rows, importRow{line: line, fields: rec})
	}
	if len(problems) > 0 {
		return importFile{}, rejected(append(f.problems, problems...))
	}
	if len(f.rows) == 0 && len(f.problems) == 0 {
		return importFile{}, rejected([]ImportProblem{{0, "文件中没有数据行"}})
	}
	return f, nil
}

func csvLine(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.StartLine
	}
	return fallback
}

func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrQuote), errors.Is(pe.Err, csv.ErrBareQuote):
			return "引号不匹配"
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// isBcryptHash tells a stored hash from a plaintext password.
func isBcryptHash(p string) bool {
	return strings.HasPrefix(p, "$2a$") || strings.HasPrefix(p, "$2b$") || strings.HasPrefix(p, "$2y$")
}

const importKeyChunk = 500

// ImportAccounts imports accounts from the previous platform: a CSV with
// the columns account, password (a bcrypt hash, kept, or a plaintext
// password, hashed), university_code and optionally name. Every row is
// checked first; if any fails, nothing is written and the error lists
// every bad row. Otherwise all rows are inserted in one transaction as
// students of the 高校 entry, not yet activated: they activate by logging
// in as 老用户.
func (s *Service) ImportAccounts(ctx context.Context, r io.Reader) (ImportReport, error) {
	f, err := parseImport(r, accountColumns)
	if err != nil {
		return reportOf(err), err
	}
	var unis []model.University
	if err := s.db.Conn(ctx).Find(&unis).Error; err != nil {
		return ImportReport{}, service.Wrap("读取高校列表", err)
	}
	uniID := make(map[string]uint64, len(unis))
	for _, u := range unis {
		uniID[u.Code] = u.ID
	}

	type pending struct {
		line     int
		user     model.User
		password string // plaintext to hash; "" when the file had a hash
	}
	var (
		problems = f.problems
		rows     []pending
		seen     = map[string]int{} // account key → first line
	)
	bad := func(line int, reason string) { problems = append(problems, ImportProblem{line, reason}) }
	for _, row := range f.rows {
		account := f.get(row, "account")
		password := f.get(row, "password")
		code := f.get(row, "university_code")
		name := f.get(row, "name")
		ok := true
		fail := func(reason string) { bad(row.line, reason); ok = false }

		switch {
		case account == "":
			fail("请填写账号")
		case !credentialRE.MatchString(account):
			fail("账号须为 6–32 位英文字母或数字")
		default:
			key := AccountKey(account)
			if first, dup := seen[key]; dup {
				fail(fmt.Sprintf("账号 %s 与第 %d 行重复（不区分大小写）", account, first))
			} else {
				seen[key] = row.line
			}
		}
		var hash, plain string
		switch {
		case password == "":
			fail("请填写密码")
		case isBcryptHash(password):
			if _, err := bcrypt.Cost([]byte(password)); err != nil || len(password) != 60 {
				fail("密码哈希无效：不是完整的 bcrypt 哈希")
			}
			hash = password
		case strings.HasPrefix(password, "$"):
			fail("密码哈希格式不受支持：只接受 bcrypt（$2a$、$2b$、$2y$ 开头）")
		case !credentialRE.MatchString(password):
			fail("密码须为 6–32 位英文字母或数字")
		default:
			plain = password
		}
		var uid uint64
		switch code {
		case "":
			fail("请填写学校代码")
		default:
			id, found := uniID[code]
			if !found {
				fail("学校代码 " + code + " 不存在")
			}
			uid = id
		}
		if utf8.RuneCountInString(name) > MaxName {
			fail(fmt.Sprintf("姓名不能超过 %d 个字", MaxName))
		}
		if !ok {
			continue
		}
		rows = append(rows, pending{line: row.line, password: plain, user: model.User{
			Account: account, AccountKey: AccountKey(account), PasswordHash: hash, Name: name,
			EntryKey: "gaoxiao", UniversityID: &uid, Role: model.RoleStudent, Source: "import",
		}})
	}

	// Accounts already on the platform (registered, or imported before).
	existing, err := s.existingAccountKeys(ctx, seen)
	if err != nil {
		return ImportReport{}, err
	}
	for _, row := range f.rows {
		key := AccountKey(f.get(row, "account"))
		if existing[key] && seen[key] == row.line {
			bad(row.line, "账号 "+f.get(row, "account")+" 已存在（不区分大小写）")
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		err := rejected(problems)
		return ImportReport{Problems: problems}, err
	}

	// bcrypt is slow by design: hash on every CPU before the transaction,
	// so the transaction itself is short.
	if err := s.hashAll(ctx, len(rows), func(i int) *string {
		if rows[i].password == "" {
			return nil
		}
		return &rows[i].password
	}, func(i int, h string) { rows[i].user.PasswordHash = h }); err != nil {
		return ImportReport{}, err
	}

	now := s.clock.Now().UTC()
	users := make([]model.User, len(rows))
	for i, p := range rows {
		p.user.CreatedAt, p.user.UpdatedAt = now, now
		users[i] = p.user
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		return s.db.Conn(ctx).CreateInBatches(users, 200).Error
	})
	if isDuplicate(err) {
		// Someone registered one of the accounts while we were hashing.
		// Everything was rolled back; say which rows clash if we can.
		existing, qerr := s.existingAccountKeys(ctx, seen)
		var clash []ImportProblem
		if qerr == nil {
			for _, p := range rows {
				if existing[p.user.AccountKey] {
					clash = append(clash, ImportProblem{p.line, "账号 " + p.user.Account + " 已被注册（导入期间）"})
				}
			}
		}
		return ImportReport{Problems: clash}, &ImportError{
			Kind:     service.ErrConflict,
			Summary:  "导入期间有账号被抢先注册，已全部回滚，未写入任何数据。请修改后重新导入：",
			Problems: clash,
		}
	}
	if err != nil {
		return ImportReport{}, service.Wrap("导入账号", err)
	}
	s.log.InfoContext(ctx, "accounts imported", "added", len(users))
	return ImportReport{Added: len(users)}, nil
}

// existingAccountKeys returns which of keys are taken in the database.
func (s *Service) existingAccountKeys(ctx context.Context, keys map[string]int) (map[string]bool, error) {
	all := make([]string, 0, len(keys))
	for k := range keys {
		all = append(all, k)
	}
	out := map[string]bool{}
	for start := 0; start < len(all); start += importKeyChunk {
		chunk := all[start:min(start+importKeyChunk, len(all))]
		var found []string
		if err := s.db.Conn(ctx).Model(&model.User{}).Where("account_key IN ?", chunk).Pluck("account_key", &found).Error; err != nil {
			return nil, service.Wrap("查询已有账号", err)
		}
		for _, k := range found {
			out[strings.ToLower(k)] = true
		}
	}
	return out, nil
}

// hashAll bcrypt-hashes the n passwords plain(i) returns (nil: skip) on
// at most runtime.NumCPU goroutines and hands each hash to set.
func (s *Service) hashAll(ctx context.Context, n int, plain func(i int) *string, set func(i int, hash string)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	workers := min(runtime.NumCPU(), max(n, 1))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				p := plain(i)
				if p == nil {
					continue
				}
				h, err := s.hash(*p)
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("计算密码哈希: %w", err); cancel() })
					continue
				}
				set(i, h)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// ImportUniversities upserts institutions from a CSV in the format of the
// seed list (code,name,city,level,ownership,note): a known code has its
// details and batch updated in place (its id, which users reference,
// does not change); a new code is added. All or nothing.
func (s *Service) ImportUniversities(ctx context.Context, r io.Reader) (ImportReport, error) {
	f, err := parseImport(r, universityColumns)
	if err != nil {
		return reportOf(err), err
	}
	var (
		problems = f.problems
		rows     []model.University
		seen     = map[string]int{}
	)
	for _, row := range f.rows {
		u := model.University{
			Code: f.get(row, "code"), Name: f.get(row, "name"), City: f.get(row, "city"),
			Level: f.get(row, "level"), Ownership: f.get(row, "ownership"), Note: f.get(row, "note"),
		}
		n := len(problems)
		bad := func(reason string) { problems = append(problems, ImportProblem{row.line, reason}) }
		switch {
		case u.Code == "":
			bad("请填写学校标识码")
		case !isDigits(u.Code, 10):
			bad("学校标识码须为 10 位数字：" + u.Code)
		default:
			if first, dup := seen[u.Code]; dup {
				bad(fmt.Sprintf("学校标识码 %s 与第 %d 行重复", u.Code, first))
			} else {
				seen[u.Code] = row.line
			}
		}
		switch {
		case u.Name == "":
			bad("请填写学校名称")
		case utf8.RuneCountInString(u.Name) > 100:
			bad("学校名称不能超过 100 个字")
		}
		switch {
		case u.City == "":
			bad("请填写所在地")
		case utf8.RuneCountInString(u.City) > 20:
			bad("所在地不能超过 20 个字")
		}
		if u.Level != "本科" && u.Level != "专科" {
			bad("办学层次须为「本科」或「专科」：" + strconv.Quote(u.Level))
		}
		if u.Ownership != "公办" && u.Ownership != "民办" {
			bad("办学性质须为「公办」或「民办」：" + strconv.Quote(u.Ownership))
		}
		if utf8.RuneCountInString(u.Note) > 100 {
			bad("备注不能超过 100 个字")
		}
		if len(problems) == n {
			u.Batch = BatchFor(u.Level, u.Ownership)
			rows = append(rows, u)
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return ImportReport{Problems: problems}, rejected(problems)
	}

	var rep ImportReport
	now := s.clock.Now().UTC()
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		rep = ImportReport{}
		var existing []model.University
		if err := s.db.Conn(ctx).Find(&existing).Error; err != nil {
			return err
		}
		byCode := make(map[string]model.University, len(existing))
		for _, u := range existing {
			byCode[u.Code] = u
		}
		var added []model.University
		for _, u := range rows {
			old, ok := byCode[u.Code]
			if !ok {
				u.CreatedAt, u.UpdatedAt = now, now
				added = append(added, u)
				continue
			}
			if old.Name == u.Name && old.City == u.City && old.Level == u.Level &&
				old.Ownership == u.Ownership && old.Note == u.Note && old.Batch == u.Batch {
				rep.Unchanged++
				continue
			}
			if err := s.db.Conn(ctx).Model(&model.University{}).Where("id = ?", old.ID).Updates(map[string]any{
				"name": u.Name, "city": u.City, "level": u.Level, "ownership": u.Ownership,
				"note": u.Note, "batch": u.Batch, "updated_at": now,
			}).Error; err != nil {
				return err
			}
			rep.Updated++
		}
		if len(added) > 0 {
			if err := s.db.Conn(ctx).CreateInBatches(added, 100).Error; err != nil {
				return err
			}
		}
		rep.Added = len(added)
		return nil
	})
	if isDuplicate(err) {
		return ImportReport{}, service.Conflict("import_conflict", "另一个导入正在进行，已全部回滚，请稍后重试", nil)
	}
	if err != nil {
		return ImportReport{}, service.Wrap("导入高校", err)
	}
	s.invalidateUniversities()
	s.log.InfoContext(ctx, "universities imported", "added", rep.Added, "updated", rep.Updated, "unchanged", rep.Unchanged)
	return rep, nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// reportOf returns the report carrying a rejection's problems.
func reportOf(err error) ImportReport {
	var ie *ImportError
	if errors.As(err, &ie) {
		return ImportReport{Problems: ie.Problems}
	}
	return ImportReport{}
}

// sortProblems orders problems by line, keeping each line's order.
func sortProblems(ps []ImportProblem) {
	slices.SortStableFunc(ps, func(a, b ImportProblem) int { return cmp.Compare(a.Line, b.Line) })
}
