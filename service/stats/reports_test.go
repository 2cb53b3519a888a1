package stats_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdyouth/youthvoice/model"
	"github.com/gdyouth/youthvoice/model/dbtest"
	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/stats"
)

func TestReportAsOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *model.DB) {
		f := setup(t, db)
		r := report(t, f, f.province, march)
		// No replica: the figures are the primary's, as of when the report
		// was made.
		if !r.AsOf.Equal(r.GeneratedAt) || !r.AsOf.Equal(now.UTC()) {
			t.Fatalf("as_of %v, generated_at %v; want both %v", r.AsOf, r.GeneratedAt, now.UTC())
		}
	})
}

func TestReportTimeoutTellsTheAdmin(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&model.ReportTimeoutError{Limit: 10e9, Err: errors.New("Error 1969")}, "10 秒"},
		{&model.ReportTimeoutError{Limit: 120e9, Err: errors.New("deadline")}, "2 分钟"},
	} {
		err := service.Wrap("统计", stats.ReportErrorForTest(tc.err))
		var se *service.Error
		if !errors.Is(err, service.ErrUnavailable) || !errors.As(err, &se) || se.Code != "report_timeout" {
			t.Fatalf("%v → %v, want an ErrUnavailable report_timeout", tc.err, err)
		}
		for _, w := range []string{tc.want, "已自动停止", "缩短统计区间"} {
			if !strings.Contains(se.Message, w) {
				t.Errorf("message %q lacks %q", se.Message, w)
			}
		}
	}
	other := errors.New("connection refused")
	if got := stats.ReportErrorForTest(other); got != other { //nolint:errorlint // returned unchanged, not wrapped
		t.Fatalf("another error became %v", got)
	}
}
