package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gdyouth/youthvoice/service/audit"
)

// errChainBroken is auditVerify's error when the chain does not verify:
// the command exits non-zero, after printing where it broke.
var errChainBroken = errors.New("审计链校验失败")

// auditVerify walks the audit trail's hash chain from its anchor in id
// order, audit.VerifyBatch records at a time (constant memory at any
// length), and reports the first broken link.
func auditVerify(ctx context.Context, configFile string, getenv func(string) string, stdout, stderr io.Writer) error {
	b, err := open(ctx, configFile, getenv, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.migrate(ctx); err != nil {
		return err
	}
	r, err := audit.Verify(ctx, b.db, audit.VerifyBatch)
	if err != nil {
		return fmt.Errorf("校验审计链失败: %w", err)
	}
	if r.Break != nil {
		fmt.Fprintf(stdout, "已校验 %d 条记录。\n%s\n", r.Checked, r.Break)
		return fmt.Errorf("%w：记录 %d", errChainBroken, r.Break.ID)
	}
	if r.Checked == 0 {
		fmt.Fprintln(stdout, "审计日志为空，无需校验。")
		return nil
	}
	from := r.FirstID
	if from == 0 {
		from = 1
	}
	fmt.Fprintf(stdout, "审计链完整：记录 %d–%d，共 %d 条。\n", from, r.LastID, r.Checked)
	return nil
}
