package apply

import (
	"context"
	"errors"
	"fmt"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/device"
)

// ErrStale is wrapped when a plan is applied to a device that changed after it was made.
var ErrStale = errors.New("the device changed since the plan was made; plan again")

// Apply carries out plan on the device in dir and returns the report. It writes only when
// the plan applies something, through the device's redo journal: once the journal is
// written the restore is committed, and if the process dies after that, the next writer (or
// the next Apply) finishes it, so a killed apply run again ends exactly as one that was not
// killed. ctx can stop it only before that point.
func Apply(ctx context.Context, dir string, plan *Plan) (*Report, error) {
	changed, err := device.Update(ctx, dir, func(cur *device.Device) (*device.State, error) {
		if cur.Generation != plan.base {
			return nil, fmt.Errorf("%s: %w (planned at change %d, the device is at %d)", dir, ErrStale, plan.base, cur.Generation)
		}
		if plan.next == nil {
			return nil, nil
		}
		return plan.next.Clone(), nil
	})
	if err != nil {
		return nil, err
	}
	r := plan.Report()
	r.Changed = changed
	return r, nil
}

// ApplyPayload restores a content payload (backup.PayloadContent, base64) for owner onto the
// device in dir: decode, plan, apply. A bad payload — not base64 or JSON, an unknown
// version, past backup.MaxPayloadBytes, a checksum that does not match — or another user's
// or tenant's backup is refused before anything is written: the directory is left byte for
// byte as it was.
func ApplyPayload(ctx context.Context, dir, payload string, owner backup.Owner) (*Report, error) {
	content, err := backup.DecodeContent(payload)
	if err != nil {
		return nil, fmt.Errorf("refusing the backup: %w", err)
	}
	return ApplyContent(ctx, dir, content, owner)
}

// ApplyContent plans and applies decoded content; if another writer changes the device
// between the plan and the apply, it plans again.
func ApplyContent(ctx context.Context, dir string, content *backup.Content, owner backup.Owner) (*Report, error) {
	const attempts = 3
	var err error
	for range attempts {
		var dev *device.Device
		if dev, err = device.Open(dir); err != nil {
			return nil, err
		}
		var plan *Plan
		if plan, err = NewPlan(content, dev, owner); err != nil {
			return nil, fmt.Errorf("refusing the backup: %w", err)
		}
		var r *Report
		r, err = Apply(ctx, dir, plan)
		if !errors.Is(err, ErrStale) {
			return r, err
		}
	}
	return nil, err
}
