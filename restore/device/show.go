package device

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/oobe-dev/oobe/backup"
)

// Show writes a readable summary of the device: its profile, then each part with its count
// and up to limit entries (0: all).
func Show(w io.Writer, d *Device, limit int) error {
	s := d.State
	p := s.Profile
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	release := p.OS
	if v, err := s.Version(); err == nil {
		release = fmt.Sprintf("%s (%s)", v.Release(), p.OS)
	}
	fmt.Fprintf(tw, "%s: %s, %s, %s\n", p.Name, release, p.Edition, s.Arch())
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	row("directory", d.Dir)
	row("join", p.Join)
	row("provisioning", p.Provisioning)
	row("cloud", p.Cloud)
	row("shared", yesNo(p.Shared))
	if p.InstallQualityUpdates {
		row("quality updates", "installed during setup")
	} else {
		row("quality updates", "not installed during setup")
	}
	row("device id", orNone(p.DeviceID))
	row("tenant id", orNone(p.TenantID))
	row("generation", fmt.Sprint(d.Generation))

	more := func(n int) {
		if limit > 0 && n > limit {
			fmt.Fprintf(tw, "  … and %d more (--all or --json shows every one)\n", n-limit)
		}
	}
	shown := func(n int) int {
		if limit > 0 && n > limit {
			return limit
		}
		return n
	}

	var counts []string
	total := 0
	for _, cat := range Categories() {
		n := len(s.Settings[cat])
		total += n
		counts = append(counts, fmt.Sprintf("%s %d", backup.CategoryTitle(cat), n))
	}
	// Semicolons: a category's title may hold commas ("Accounts, Wi-Fi networks and passwords").
	fmt.Fprintf(tw, "\nSettings: %d (%s)\n", total, strings.Join(counts, "; "))
	var lines []string
	for _, cat := range Categories() {
		names := make([]string, 0, len(s.Settings[cat]))
		for name := range s.Settings[cat] {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			// The label as Windows shows it, the value, then the key scenarios and --json use.
			line := fmt.Sprintf("  %s\t%s\t%s/%s", backup.SettingLabel(cat, name), s.Settings[cat][name], cat, name)
			if pol, ok := s.PolicyFor(cat, name); ok {
				line += " (policy: " + pol.Source + ")"
			}
			lines = append(lines, line)
		}
	}
	for _, l := range lines[:shown(len(lines))] {
		fmt.Fprintln(tw, l)
	}
	more(len(lines))

	fmt.Fprintf(tw, "\nWi-Fi networks: %d\n", len(s.WiFi))
	for _, n := range s.WiFi[:shown(len(s.WiFi))] {
		fmt.Fprintf(tw, "  %s\t%s\n", n.SSID, n.Security)
	}
	more(len(s.WiFi))

	fmt.Fprintf(tw, "\nStore apps: %d\n", len(s.StoreApps))
	for _, a := range s.StoreApps[:shown(len(s.StoreApps))] {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Name, a.ProductID, a.Architecture)
	}
	more(len(s.StoreApps))

	if len(s.StartTiles) > 0 {
		fmt.Fprintf(tw, "\nStart tiles: %d\n", len(s.StartTiles))
		for _, t := range s.StartTiles[:shown(len(s.StartTiles))] {
			fmt.Fprintf(tw, "  %s\t%s\t%s %s\n", orAppID(t.Name, t.AppID), t.AppID, t.Group, t.Size)
		}
		more(len(s.StartTiles))
	} else {
		fmt.Fprintf(tw, "\nStart pins: %d\n", len(s.StartPins))
		for _, pin := range s.StartPins[:shown(len(s.StartPins))] {
			fmt.Fprintf(tw, "  %s\t%s\n", orAppID(pin.Name, pin.AppID), pin.AppID)
		}
		more(len(s.StartPins))
	}

	fmt.Fprintf(tw, "\nTaskbar pins: %d\n", len(s.TaskbarPins))
	for _, pin := range s.TaskbarPins[:shown(len(s.TaskbarPins))] {
		fmt.Fprintf(tw, "  %s\t%s\n", orAppID(pin.Name, pin.AppID), pin.AppID)
	}
	more(len(s.TaskbarPins))

	fmt.Fprintf(tw, "\nMDM policies: %d\n", len(s.Policies))
	for _, pol := range s.Policies[:shown(len(s.Policies))] {
		value := string(pol.Value)
		if value == "" {
			value = "(managed)"
		}
		fmt.Fprintf(tw, "  %s/%s\t%s\t%s\n", pol.Category, pol.Name, value, pol.Source)
	}
	more(len(s.Policies))

	fmt.Fprintln(tw)
	if s.Backups.Count == 0 {
		fmt.Fprintln(tw, "Backups: none yet (the first is due at once)")
	} else {
		next := Schedule{}.NextBackup(s.Backups.Last)
		fmt.Fprintf(tw, "Backups: %d, last %s, next due %s\n", s.Backups.Count, stamp(s.Backups.Last), stamp(next))
	}
	if r := s.LastRestore; r == nil {
		fmt.Fprintln(tw, "Last restore: none")
	} else {
		var parts []string
		for _, o := range Outcomes() {
			if n := r.Counts[string(o)]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, o.Label()))
			}
		}
		fmt.Fprintf(tw, "Last restore: from %s (%s): %s\n", r.SourceDeviceName, r.SourceOSVersion, strings.Join(parts, ", "))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func orAppID(name, appID string) string {
	if name == "" {
		return appID
	}
	return name
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }
