package tenant

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/oobe-dev/oobe/backup"
)

// BenchmarkListBackups250 lists a user's 250 backup profiles over loopback HTTP the way the
// restore page's client does, with raw requests: the settings pages (filter settingType eq
// 'backup', 200 per page), then, per device, the instances of its deviceprofile and content
// settings. "settings" is the listing alone; "settings+instances" adds the 500 instance reads.
func BenchmarkListBackups250(b *testing.B) {
	h := newHarness(b, withGeneratedUser(250))
	tok := h.tokenFor(pagingUPN, pagingPassword)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	get := func(target string, header ...string) []byte {
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %v", target, resp.StatusCode, err)
		}
		return body
	}
	list := func() (settings []backup.WindowsSetting, requests int) {
		for next := h.url("/v1.0/me/settings/windows" + backupFilter); next != ""; requests++ {
			var page settingsPage
			if err := json.Unmarshal(get(next, "Prefer", "odata.maxpagesize=200"), &page); err != nil {
				b.Fatal(err)
			}
			settings = append(settings, page.Value...)
			next = page.NextLink
		}
		return settings, requests
	}
	for _, withInstances := range []bool{false, true} {
		name := "settings"
		if withInstances {
			name = "settings+instances"
		}
		b.Run(name, func(b *testing.B) {
			requests := 0
			for b.Loop() {
				settings, n := list()
				requests += n
				profiles := 0
				for _, s := range settings {
					if s.PayloadType == backup.PayloadDeviceProfile {
						profiles += len(s.Instances) // one setting, an instance per device (domain.md §7.4)
					}
					if withInstances && s.PayloadType != backup.PayloadBackupUnitStore {
						// What a client that ignores the inline instances pays: a request a setting.
						var page instancesPage
						if err := json.Unmarshal(get(h.url("/v1.0/me/settings/windows/"+url.PathEscape(s.ID)+"/instances")), &page); err != nil || len(page.Value) == 0 {
							b.Fatalf("instances of %s: %v", s.ID, err)
						}
						requests++
					}
				}
				if profiles != 250 {
					b.Fatalf("%d profiles, want 250", profiles)
				}
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.ReportMetric(250*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
		})
	}
}
