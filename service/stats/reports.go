package stats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/service"
)

// The statistics read through model.DB.Reports: a read replica when one
// is configured, every statement under the report time limit.

// asOf is how fresh the report's figures are: the replica's heartbeat,
// or now when they come from the primary.
func (s *Service) asOf(ctx context.Context, now time.Time) (time.Time, error) {
	at, err := s.db.ReportsAsOf(ctx)
	if err != nil {
		return time.Time{}, err
	}
	at = at.UTC().Truncate(time.Second)
	if at.After(now) {
		at = now // the primary: now is the service clock's
	}
	return at, nil
}

// reportError tells the admin in Chinese when a statement hit the report
// time limit (and was stopped, so as not to slow everyone else down).
func reportError(err error) error {
	var te *model.ReportTimeoutError
	if !errors.As(err, &te) {
		return err
	}
	return &service.Error{Kind: service.ErrUnavailable, Code: "report_timeout",
		Message: fmt.Sprintf("统计查询超过 %s 仍未完成，已自动停止，以免拖慢服务号和其他页面。请缩短统计区间后重试，或稍后再试", limitText(te.Limit))}
}

// limitText writes a limit as 10 秒 or 2 分钟.
func limitText(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	}
	return fmt.Sprintf("%g 秒", d.Seconds())
}
