package h5

import (
	"testing"
	"time"
)

func TestStatsLagText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "", 59 * time.Second: "", 90 * time.Second: "约 1 分钟", 59 * time.Minute: "约 59 分钟", 150 * time.Minute: "约 2.5 小时",
	} {
		if got := lagText(d); got != want {
			t.Errorf("lagText(%v) = %q, want %q", d, got, want)
		}
	}
}
