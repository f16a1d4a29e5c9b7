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
	if pageSize < 1 || pageSize > 200 {
		return nil, fmt.Errorf("graph: page size %d: Graph allows 1 to 200", pageSize)
	}
	target := "/v1.0/me/settings/windows"
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
// source device (its deviceprofile), newest backup first. A device whose profile cannot be
// read is an error naming it, not a silent omission.
func (c *Client) BackupProfiles(ctx context.Context) ([]profile.BackupProfile, error) {
	settings, err := c.WindowsSettings(ctx, "settingType eq 'backup'", DefaultPageSize)
	if err != nil {
		return nil, err
	}
	type device struct {
		profileSetting *backup.WindowsSetting
		contentSetting *backup.WindowsSetting
		opaque         []string
	}
	devices := map[string]*device{}
	var order []string
	for i, s := range settings {
		d := devices[s.WindowsDeviceID]
		if d == nil {
			d = &device{}
			devices[s.WindowsDeviceID] = d
			order = append(order, s.WindowsDeviceID)
		}
		switch s.PayloadType {
		case backup.PayloadDeviceProfile:
			d.profileSetting = &settings[i]
		case backup.PayloadContent:
			d.contentSetting = &settings[i]
		default:
			d.opaque = append(d.opaque, s.PayloadType)
		}
	}
	var ids []string
	for _, id := range order {
		if devices[id].profileSetting != nil { // without a deviceprofile, Windows shows no entry
			ids = append(ids, id)
		}
	}
	profiles := make([]profile.BackupProfile, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, fetchConcurrency)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			d := devices[id]
			p, err := c.profile(ctx, id, d.profileSetting, d.contentSetting)
			if err != nil {
				errs[i] = err
				return
			}
			sort.Strings(d.opaque)
			p.Opaque = d.opaque
			profiles[i] = *p
		}()
	}
	wg.Wait()
	var listed []profile.BackupProfile
	for i, err := range errs {
		var pe *backup.PayloadError
		switch {
		case err == nil:
			listed = append(listed, profiles[i])
		case errors.As(err, &pe) || errors.Is(err, errNoInstances):
			c.log.Warn("previous PC left out: its deviceprofile cannot be read", "windowsDeviceId", ids[i], "error", err)
			if c.onSkip != nil {
				c.onSkip(SkippedProfile{WindowsDeviceID: ids[i], Reason: err.Error()})
			}
		default:
			return nil, err // the service failed, not one backup
		}
	}
	profiles = listed
	sort.SliceStable(profiles, func(i, j int) bool {
		a, b := profiles[i], profiles[j]
		if !a.LastBackup.Equal(b.LastBackup) {
			return a.LastBackup.After(b.LastBackup)
		}
		if a.DeviceName != b.DeviceName {
			return a.DeviceName < b.DeviceName
		}
		return a.WindowsDeviceID < b.WindowsDeviceID
	})
	return profiles, nil
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

func (c *Client) profile(ctx context.Context, deviceID string, profileSetting, contentSetting *backup.WindowsSetting) (*profile.BackupProfile, error) {
	inst, err := c.instancesOf(ctx, profileSetting)
	if err != nil {
		return nil, err
	}
	last, ok := latest(inst)
	if !ok {
		return nil, fmt.Errorf("backup of device %s: %w", deviceID, errNoInstances)
	}
	dp, err := backup.DecodeDeviceProfile(last.Payload)
	if err != nil {
		return nil, fmt.Errorf("backup of device %s: %w", deviceID, err)
	}
	if !strings.EqualFold(backup.DeviceIDOf(dp.ProfileID), deviceID) {
		return nil, fmt.Errorf("backup of device %s: its deviceprofile names profile %s", deviceID, dp.ProfileID)
	}
	p := &profile.BackupProfile{
		WindowsDeviceID: deviceID, DeviceName: dp.DeviceDisplayName, OSVersion: dp.OSVersion,
		LastBackup: time.Unix(dp.LastFullBackupCompletedTime, 0).UTC(), Created: time.Unix(dp.CreatedTime, 0).UTC(),
		Expires: last.ExpirationDateTime, Active: dp.IsActive,
	}
	if contentSetting == nil {
		return p, nil
	}
	p.ContentSettingID = contentSetting.ID
	ci, err := c.instancesOf(ctx, contentSetting)
	if err != nil {
		return nil, err
	}
	if cl, ok := latest(ci); ok {
		content, err := backup.DecodeContent(cl.Payload)
		if err != nil {
			// Listed (Windows would show the PC) but never applied.
			p.ContentError = err.Error()
			return p, nil
		}
		p.Content = content
		p.Summary = profile.Summarize(content)
	}
	return p, nil
}
