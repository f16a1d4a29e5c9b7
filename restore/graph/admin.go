package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// An admin's calls on another user's Windows backups, Graph beta's
// /users/{user-id}@{tenant-id}/settings/windows (domain.md §7.4 [G]): they need
// UserWindowsSettings.Read.All (reading) or .ReadWrite.All (deleting) and the caller's
// Microsoft 365 Backup Administrator role; a Global Administrator alone gets 403.

// UserRef names a user as the admin routes do: the user's object id and the tenant id, which
// must be the caller's own.
type UserRef struct {
	ObjectID string
	TenantID string
}

// path is the user's settings collection.
func (u UserRef) path() string {
	return "/beta/users/" + url.PathEscape(strings.ToLower(u.ObjectID)+"@"+strings.ToLower(u.TenantID)) + "/settings/windows"
}

// UserWindowsSettings lists another user's windowsSetting objects matching filter (an OData
// $filter such as "windowsDeviceId eq '<id>'"), instances inline, following @odata.nextLink.
func (c *Client) UserWindowsSettings(ctx context.Context, u UserRef, filter string, pageSize int) ([]backup.WindowsSetting, error) {
	return c.listSettings(ctx, u.path(), filter, pageSize)
}

// UserWindowsSetting reads one of another user's windowsSetting objects.
func (c *Client) UserWindowsSetting(ctx context.Context, u UserRef, id string) (*backup.WindowsSetting, error) {
	var s backup.WindowsSetting
	if err := c.do(ctx, request{method: "GET", target: u.path() + "/" + url.PathEscape(id)}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// DeleteUserWindowsSettings deletes every Windows setting of the user: all their backups, on
// every device. Graph has no per-device delete and no undo [G].
func (c *Client) DeleteUserWindowsSettings(ctx context.Context, u UserRef) error {
	return c.do(ctx, request{method: "DELETE", target: u.path()}, nil)
}

// UserBackups is what an admin's listing shows of a user's backups: the previous PCs their
// device profiles describe, newest backup first, and every setting, with how many each PC has.
type UserBackups struct {
	Devices  []profile.BackupProfile
	Settings []backup.WindowsSetting
	// SettingsByDevice counts the backup settings of each windowsDeviceId (device profiles apart).
	SettingsByDevice map[string]int
	// Skipped are the device profile instances that could not be read.
	Skipped []SkippedProfile
}

// errNotInline means an admin listing came without its instances, which the admin routes
// do not serve on their own.
var errNotInline = errors.New("Graph's listing carried no instances inline, and the admin routes serve none on their own")

// UserBackups lists another user's backups (settingType backup) and reads their previous PCs
// from the device profile instances the listing carries inline, as Microsoft's admin scripts
// do [S]. The content of each PC is not read: an audit needs what and when, not the payloads.
func (c *Client) UserBackups(ctx context.Context, u UserRef) (*UserBackups, error) {
	settings, err := c.UserWindowsSettings(ctx, u, "settingType eq 'backup'", DefaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &UserBackups{Settings: settings, SettingsByDevice: map[string]int{}}
	newest := map[string]*profile.BackupProfile{}
	for _, s := range settings {
		if s.PayloadType != backup.PayloadDeviceProfile {
			out.SettingsByDevice[strings.ToLower(s.WindowsDeviceID)]++
			continue
		}
		if s.Instances == nil {
			return nil, fmt.Errorf("reading %s: %w", s.ID, errNotInline)
		}
		inst := s.Instances
		if s.WindowsDeviceID != "" { // a per-device profile setting: its newest instance
			last, ok := latest(inst)
			if !ok {
				continue
			}
			inst = []backup.WindowsSettingInstance{last}
		}
		for _, in := range inst {
			p, err := profileOf(in)
			if err != nil {
				out.Skipped = append(out.Skipped, SkippedProfile{WindowsDeviceID: "instance " + in.ID, Reason: err.Error()})
				continue
			}
			if old := newest[p.WindowsDeviceID]; old == nil || p.LastBackup.After(old.LastBackup) {
				newest[p.WindowsDeviceID] = p
			}
		}
	}
	for _, p := range newest {
		out.Devices = append(out.Devices, *p)
	}
	sort.Slice(out.Devices, func(i, j int) bool {
		a, b := out.Devices[i], out.Devices[j]
		if !a.LastBackup.Equal(b.LastBackup) {
			return a.LastBackup.After(b.LastBackup)
		}
		return a.WindowsDeviceID < b.WindowsDeviceID
	})
	return out, nil
}
