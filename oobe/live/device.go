package live

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
	"github.com/oobe-dev/oobe/restore/profile"
)

// Device is oobe.Device over a simulated device directory (package device).
type Device struct {
	dir     string
	profile profile.DeviceProfile
}

var _ oobe.Device = (*Device)(nil)

// OpenDevice reads the simulated device in dir.
func OpenDevice(dir string) (*Device, error) {
	d, err := device.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the device being set up: %w", err)
	}
	return &Device{dir: dir, profile: d.State.Profile}, nil
}

// NewDevice is OpenDevice for a device the caller has just created or read (device.Init and
// device.Open return it), without reading its directory again.
func NewDevice(d *device.Device) *Device {
	return &Device{dir: d.Dir, profile: d.State.Profile}
}

// Dir is the device's directory.
func (d *Device) Dir() string { return d.dir }

// Profile is the device profile as it was when the device was opened: setup reads it once.
func (d *Device) Profile() profile.DeviceProfile { return d.profile }

var _ oobe.Namer = (*Device)(nil)

// ApplyDeviceName renames the device as Autopilot does and records the name as managed by the
// profile, so a restored device name is kept out (policy wins).
func (d *Device) ApplyDeviceName(ctx context.Context, name, source string) error {
	value, err := json.Marshal(name)
	if err != nil {
		return err
	}
	_, err = device.Update(ctx, d.dir, func(cur *device.Device) (*device.State, error) {
		next := cur.State.Clone()
		next.Profile.Name = name
		pol := device.Policy{Category: device.CategoryDevice, Name: device.PolicyDeviceName, Value: value, Source: source}
		replaced := false
		for i, p := range next.Policies {
			if p.Category == pol.Category && p.Name == pol.Name {
				next.Policies[i], replaced = pol, true
			}
		}
		if !replaced {
			next.Policies = append(next.Policies, pol)
		}
		return next, nil
	})
	if err != nil {
		return fmt.Errorf("renaming the device to %s: %w", name, err)
	}
	d.profile.Name = name
	return nil
}

// Apply restores content to the device with the apply engine, which refuses a backup that is
// not owner's.
func (d *Device) Apply(ctx context.Context, content *backup.Content, owner backup.Owner) (*apply.Report, error) {
	return apply.ApplyContent(ctx, d.dir, content, owner)
}
