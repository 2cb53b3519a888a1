package audit

import (
	"context"
	"fmt"

	"github.com/gdyouth/youthvoice/model"
)

// VerifyBatch is how many records Verify reads at a time: memory stays
// constant however long the chain.
const VerifyBatch = 1000

// Break is the first broken link of the chain.
type Break struct {
	ID       uint64 // the record where the chain breaks
	Reason   string // in Chinese
	Expected string
	Stored   string
}

func (b *Break) String() string {
	return fmt.Sprintf("审计链在记录 %d 处断开：%s（应为 %s，实际为 %s）", b.ID, b.Reason, show(b.Expected), show(b.Stored))
}

func show(s string) string {
	if s == "" {
		return "空"
	}
	return s
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	Checked int64  // records checked
	FirstID uint64 // the anchor: the oldest kept record
	LastID  uint64
	Break   *Break // nil: the chain is intact
}

// Verify walks the chain in id order from its anchor (the oldest record
// the retention purge kept), batch records at a time, and reports the
// first broken link: a record whose fields no longer give its hash, whose
// prev_hash is not the hash of the record before (one deleted or
// inserted), an id out of sequence, or an end that is not the head's.
func Verify(ctx context.Context, db *model.DB, batch int) (VerifyResult, error) {
	if batch <= 0 {
		batch = VerifyBatch
	}
	var head model.AuditHead
	if err := db.Conn(ctx).Where("id = 1").Take(&head).Error; err != nil {
		return VerifyResult{}, fmt.Errorf("%w: 读取 audit_head 失败: %w", ErrChain, err)
	}
	res := VerifyResult{FirstID: head.AnchorID}
	prevHash, wantID := head.AnchorPrevHash, head.AnchorID
	if wantID == 0 {
		wantID = 1
	}
	after := uint64(0)
	if head.AnchorID > 0 {
		after = head.AnchorID - 1
	}
	for {
		var rows []model.AuditLog
		if err := db.Conn(ctx).Where("id > ?", after).Order("id").Limit(batch).Find(&rows).Error; err != nil {
			return res, fmt.Errorf("读取审计记录失败: %w", err)
		}
		for _, r := range rows {
			switch {
			case r.ID != wantID:
				res.Break = &Break{ID: r.ID, Reason: fmt.Sprintf("记录编号不连续，缺少记录 %d", wantID),
					Expected: fmt.Sprint(wantID), Stored: fmt.Sprint(r.ID)}
			case r.PrevHash != prevHash:
				res.Break = &Break{ID: r.ID, Reason: "与前一条记录的哈希不符（前一条被删除、插入或修改）", Expected: prevHash, Stored: r.PrevHash}
			case Hash(r) != r.Hash:
				res.Break = &Break{ID: r.ID, Reason: "记录内容与其哈希不符（记录被修改）", Expected: Hash(r), Stored: r.Hash}
			}
			if res.Break != nil {
				return res, nil
			}
			res.Checked++
			res.LastID = r.ID
			prevHash, wantID, after = r.Hash, r.ID+1, r.ID
		}
		if len(rows) < batch {
			break
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	if res.LastID != head.LastID || prevHash != head.LastHash {
		res.Break = &Break{ID: head.LastID, Reason: fmt.Sprintf("链尾与 audit_head 不符：最后一条记录应为 %d", head.LastID),
			Expected: head.LastHash, Stored: prevHash}
	}
	return res, nil
}
