package graph

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/profile"
)

// DefaultPageSize is the page size the client asks for; Graph allows 1 to 200.
const DefaultPageSize = 200

// fetchConcurrency bounds the instance requests a listing has in flight at once.
const fetchConcurrency = 8

type settingsPage struct {
	Value    []backup.WindowsSetting `json:"value"`
	NextLink string                  `json:"@odata.nextLink"`
}

type instancesPage struct {
	Value    []backup.WindowsSettingInstance `json:"value"`
	NextLink string                          `json:"@odata.nextLink"`
}

// WindowsSettings lists the signed-in user's windowsSetting objects matching filter (an OData
// $filter such as "settingType eq 'backup'"), following @odata.nextLink to the last page.
func (c *Client) WindowsSettings(ctx context.Context, filter string, pageSize int) ([]backup.WindowsSetting, error) {
	return c.listSettings(ctx, "/v1.0/me/settings/windows", filter, pageSize)
}

// listSettings lists the windowsSetting collection at target (a user's own, or an admin's view
// of another user's), following @odata.nextLink to the last page.
func (c *Client) listSettings(ctx context.Context, target, filter string, pageSize int) ([]backup.WindowsSetting, error) {
	if pageSize < 1 || pageSize > 200 {
		return nil, fmt.Errorf("graph: page size %d: Graph allows 1 to 200", pageSize)
	}
	if filter != "" {
		target += "?$filter=" + url.QueryEscape(filter)
	}
	prefer := map[string]string{"Prefer": "odata.maxpagesize=" + strconv.Itoa(pageSize)}
	var all []backup.WindowsSetting
	seen := map[string]bool{}
	for pages := 0; target != ""; pages++ {
		if pages > 100000 {
			return nil, errors.New("graph: more than 100,000 pages of settings; stopping")
		}
		var page settingsPage
		if err := c.do(ctx, request{method: "GET", target: target, headers: prefer}, &page); err != nil {
			return nil, err
		}
		for _, s := range page.Value {
			if seen[s.ID] {
				// Paging must list each setting once; a repeat is the service's bug, and a
				// restore page built on it would show a PC twice.
				return nil, fmt.Errorf("graph: setting %s was listed twice while paging", s.ID)
			}
			seen[s.ID] = true
			all = append(all, s)
		}
		target = page.NextLink
	}
	return all, nil
}

// Instances lists the stored instances of one windowsSetting.
func (c *Client) Instances(ctx context.Context, settingID string) ([]backup.WindowsSettingInstance, error) {
	target := "/v1.0/me/settings/windows/" + url.PathEscape(settingID) + "/instances"
	var all []backup.WindowsSettingInstance
	for target != "" {
		var page instancesPage
		if err := c.do(ctx, request{method: "GET", target: target}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Value...)
		target = page.NextLink
	}
	return all, nil
}

// SkippedProfile is a previous PC whose deviceprofile could not be read: Windows shows no
// entry for it, and neither does the list — but it is reported, not silently dropped.
type SkippedProfile struct {
	WindowsDeviceID string `json:"windowsDeviceId"`
	Reason          string `json:"reason"`
}

// BackupProfiles lists the user's previous PCs the way the restore page does: one entry per
// source device, newest backup first. Graph keeps the device profiles as one setting with one
// instance per device (domain.md §7.4 [G]); each instance's profileId, without braces, is the
// windowsDeviceId that keys the device's other settings. A tenant that still keeps a
// deviceprofile setting per device (windowsDeviceId set) is read too. A device whose profile
// cannot be read is left out and reported (OnSkip), not silently dropped.
func (c *Client) BackupProfiles(ctx context.Context) ([]profile.BackupProfile, error) {
	settings, err := c.WindowsSettings(ctx, "settingType eq 'backup'", DefaultPageSize)
	if err != nil {
		return nil, err
	}
	type device struct {
		profile        backup.WindowsSettingInstance
		legacy         bool // read from a per-device deviceprofile setting
		contentSetting *backup.WindowsSetting
		opaque         []string
	}
	devices := map[string]*device{}
	var profileSettings []*backup.WindowsSetting
	var order []string
	for i, s := range settings {
		if s.PayloadType == backup.PayloadDeviceProfile {
			profileSettings = append(profileSettings, &settings[i])
			continue
		}
		id := strings.ToLower(s.WindowsDeviceID)
		d := devices[id]
		if d == nil {
			d = &device{}
			devices[id] = d
		}
		switch s.PayloadType {
		case backup.PayloadContent:
			d.contentSetting = &settings[i]
		default:
			d.opaque = append(d.opaque, s.PayloadType)
		}
	}
	skip := func(deviceID string, err error) {
		c.log.Warn("previous PC left out: its deviceprofile cannot be read", "windowsDeviceId", deviceID, "error", err)
		if c.onSkip != nil {
			c.onSkip(SkippedProfile{WindowsDeviceID: deviceID, Reason: err.Error()})
		}
	}
	profiles := map[string]*profile.BackupProfile{}
	for _, ps := range profileSettings {
		inst, err := c.instancesOf(ctx, ps)
		if err != nil {
			return nil, err // the service failed, not one backup
		}
		legacy := ps.WindowsDeviceID != ""
		if legacy {
			// One setting per device: its newest instance is the device's profile.
			last, ok := latest(inst)
			if !ok {
				skip(strings.ToLower(ps.WindowsDeviceID), fmt.Errorf("backup of device %s: %w", ps.WindowsDeviceID, errNoInstances))
				continue
			}
			inst = []backup.WindowsSettingInstance{last}
		}
		for _, in := range inst {
			p, err := profileOf(in)
			if err == nil && legacy && !strings.EqualFold(p.WindowsDeviceID, ps.WindowsDeviceID) {
				err = fmt.Errorf("its deviceprofile names profile {%s}", p.WindowsDeviceID)
			}
			if err != nil {
				id := strings.ToLower(ps.WindowsDeviceID)
				if id == "" {
					id = "instance " + in.ID
				}
				skip(id, fmt.Errorf("backup of device %s: %w", id, err))
				continue
			}
			// One instance per device; should a device appear twice, its newest backup wins.
			if old := profiles[p.WindowsDeviceID]; old == nil || p.LastBackup.After(old.LastBackup) {
				if old == nil {
					order = append(order, p.WindowsDeviceID)
				}
				profiles[p.WindowsDeviceID] = p
			}
		}
	}
	out := make([]profile.BackupProfile, len(order))
	errs := make([]error, len(order))
	sem := make(chan struct{}, fetchConcurrency)
	var wg sync.WaitGroup
	for i, id := range order {
		p := profiles[id]
		d := devices[id]
		if d == nil {
			out[i] = *p
			continue
		}
		sort.Strings(d.opaque)
		p.Opaque = d.opaque
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = c.readContent(ctx, p, d.contentSetting)
			out[i] = *p
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err // the service failed, not one backup
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.LastBackup.Equal(b.LastBackup) {
			return a.LastBackup.After(b.LastBackup)
		}
		if a.DeviceName != b.DeviceName {
			return a.DeviceName < b.DeviceName
		}
		return a.WindowsDeviceID < b.WindowsDeviceID
	})
	return out, nil
}

// errNoInstances means a deviceprofile setting has no live instance.
var errNoInstances = errors.New("its deviceprofile has no instances")

// latest returns the most recently modified instance.
func latest(in []backup.WindowsSettingInstance) (backup.WindowsSettingInstance, bool) {
	if len(in) == 0 {
		return backup.WindowsSettingInstance{}, false
	}
	best := in[0]
	for _, x := range in[1:] {
		if x.LastModifiedDateTime.After(best.LastModifiedDateTime) {
			best = x
		}
	}
	return best, true
}

// instancesOf returns a setting's instances: the ones its listing carried inline, or, when the
// answer had none (an older Graph, a client-side filter), the ones …/{id}/instances lists.
func (c *Client) instancesOf(ctx context.Context, s *backup.WindowsSetting) ([]backup.WindowsSettingInstance, error) {
	if s.Instances != nil {
		return s.Instances, nil
	}
	return c.Instances(ctx, s.ID)
}

// profileOf reads one deviceprofile instance as the previous PC it describes.
func profileOf(in backup.WindowsSettingInstance) (*profile.BackupProfile, error) {
	dp, err := backup.DecodeDeviceProfile(in.Payload)
	if err == nil {
		err = dp.CheckText() // its name is shown on the restore page and printed
	}
	if err != nil {
		return nil, err
	}
	// The restore page and `oobe backups` name the release from the full version, whichever
	// form the payload has (Validate accepted one of the two).
	full, _ := backup.FullOSVersion(dp.OSVersion)
	return &profile.BackupProfile{
		WindowsDeviceID: strings.ToLower(backup.DeviceIDOf(dp.ProfileID)), DeviceName: dp.DeviceDisplayName, OSVersion: full,
		LastBackup: time.Unix(dp.LastFullBackupCompletedTime, 0).UTC(), Created: time.Unix(dp.CreatedTime, 0).UTC(),
		Expires: in.ExpirationDateTime, Active: dp.IsActive,
	}, nil
}

// readContent fills in the previous PC's content from its content setting, if it has one. A
// content payload that cannot be read leaves the PC listed (Windows would show it) but never
// applied; only the service failing is an error.
func (c *Client) readContent(ctx context.Context, p *profile.BackupProfile, contentSetting *backup.WindowsSetting) error {
	if contentSetting == nil {
		return nil
	}
	p.ContentSettingID = contentSetting.ID
	ci, err := c.instancesOf(ctx, contentSetting)
	if err != nil {
		return err
	}
	if cl, ok := latest(ci); ok {
		content, err := backup.DecodeContent(cl.Payload)
		if err == nil {
			// Its names are shown and printed: a tenant that stored control characters in them
			// (the simulator refuses them; another might not) gets its backup listed, never
			// applied, as one that cannot be read.
			err = content.CheckText()
		}
		if err != nil {
			p.ContentError = err.Error()
			return nil
		}
		p.Content = content
		p.Summary = profile.Summarize(content)
	}
	return nil
}
