package stats

import (
	"context"
	"time"
)

// statePurged in stats_state: TimeAt is the start of a Beijing day before
// which the raw interactions may have been deleted (service/retention).
// Their pushes stay in stats_openid_days, which the roll-ups and reports
// read instead: every day before it was counted there, and nothing
// recounts those days from the (gone) interactions again.
const statePurged = "purged"

// AllowInteractionPurge returns the time before which the raw
// interactions may be deleted, at most want: the start of a Beijing day
// (whole days go), and never a day the roll-ups have not counted yet
// (their last complete pass, less the margin for pushes stored late).
// It records that time as the purge watermark first, under the builder
// lease, so a rebuild starting later keeps those days' counts. The zero
// time means nothing may be deleted yet (the roll-ups were never built,
// or are being rebuilt); ErrBusy that a builder is at work (try later).
func (s *Service) AllowInteractionPurge(ctx context.Context, want time.Time) (time.Time, error) {
	// Under its own name: this instance's builder may be mid-pass.
	release, err := s.acquireAs(ctx, s.holder+"-purge")
	if err != nil {
		return time.Time{}, err
	}
	defer release()
	built, err := s.stateTime(ctx, stateBuilt)
	if err != nil || built == nil {
		return time.Time{}, err
	}
	scanned, err := s.stateTime(ctx, stateScanned)
	if err != nil || scanned == nil {
		return time.Time{}, err
	}
	cut := want
	if counted := scanned.Add(-pushMargin); counted.Before(cut) {
		cut = counted
	}
	cut = dayStart(dayNum(cut)).UTC()
	prev, err := s.stateTime(ctx, statePurged)
	if err != nil {
		return time.Time{}, err
	}
	if prev != nil && !cut.After(*prev) {
		return *prev, nil // a run cut short goes on up to the same day
	}
	if err := s.setState(ctx, statePurged, "", &cut); err != nil {
		return time.Time{}, err
	}
	return cut, nil
}

// purgedDay is the first day whose raw interactions are all kept (0: no
// purge has happened).
func (s *Service) purgedDay(ctx context.Context) (int, *time.Time, error) {
	p, err := s.stateTimeOn(s.db.Reports(ctx), statePurged)
	if err != nil || p == nil {
		return 0, nil, err
	}
	return dayNum(*p), p, nil
}
