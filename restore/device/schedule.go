package device

import (
	"context"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/clock"
)

// BackupInterval is how often Windows backs a device up on its own (domain.md §1: every 8 days).
const BackupInterval = 8 * 24 * time.Hour

// Schedule is Windows Backup's automatic schedule, run on an injected clock so that weeks of
// backups take no real time under a clock.Virtual.
type Schedule struct {
	// Interval between backups; zero means BackupInterval.
	Interval time.Duration
}

func (s Schedule) interval() time.Duration {
	if s.Interval <= 0 {
		return BackupInterval
	}
	return s.Interval
}

// NextBackup returns when the backup after one made at last is due; a device that never
// backed up (zero last) is due at once, which the zero time says.
func (s Schedule) NextBackup(last time.Time) time.Time {
	if last.IsZero() {
		return time.Time{}
	}
	return last.Add(s.interval())
}

// Due reports whether a device that last backed up at last is due at now.
func (s Schedule) Due(last, now time.Time) bool { return !now.Before(s.NextBackup(last)) }

// Sender hands a backup to the tenant: in the simulator, a POST of up to backup.UploadPath
// with the user's bearer token.
type Sender func(ctx context.Context, up *backup.Upload) error

// RunDue makes one backup of the device in dir if one is due at clk.Now(): it builds it for
// owner, sends it, and only then records it on the device, so a backup that did not reach
// the tenant is tried again. It returns the backup sent, or nil when none was due.
func (s Schedule) RunDue(ctx context.Context, clk clock.Clock, dir string, owner backup.Owner, send Sender) (*backup.Upload, error) {
	now := clk.Now().UTC().Truncate(time.Second) // the deviceprofile keeps Unix seconds
	dev, err := Open(dir)
	if err != nil {
		return nil, err
	}
	if !s.Due(dev.State.Backups.Last, now) {
		return nil, nil
	}
	up, err := UploadFor(dev.State, owner, now)
	if err != nil {
		return nil, err
	}
	if err := send(ctx, up); err != nil {
		return nil, err
	}
	if err := RecordBackup(ctx, dir, now); err != nil {
		return nil, err
	}
	return up, nil
}

// RecordBackup notes on the device in dir that a backup made at `at` reached the tenant.
func RecordBackup(ctx context.Context, dir string, at time.Time) error {
	_, err := Update(ctx, dir, func(cur *Device) (*State, error) {
		next := cur.State.Clone()
		if next.Backups.First.IsZero() {
			next.Backups.First = at
		}
		next.Backups.Last = at
		next.Backups.Count++
		return next, nil
	})
	return err
}

// RunUntil backs the device up each time a backup falls due, sleeping on clk in between,
// until the next one would be after until. It returns how many backups it sent.
func (s Schedule) RunUntil(ctx context.Context, clk clock.Clock, dir string, owner backup.Owner, send Sender, until time.Time) (int, error) {
	sent := 0
	for {
		up, err := s.RunDue(ctx, clk, dir, owner, send)
		if err != nil {
			return sent, err
		}
		if up != nil {
			sent++
		}
		dev, err := Open(dir)
		if err != nil {
			return sent, err
		}
		next := s.NextBackup(dev.State.Backups.Last)
		if next.After(until) {
			return sent, nil
		}
		if err := clk.Sleep(ctx, next.Sub(clk.Now())); err != nil {
			return sent, err
		}
	}
}
