package tui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/fixtures"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore/profile"
	"github.com/oobe-dev/oobe/tenant"
)

// The UI's benchmarks (docs/performance.md, "Terminal UI"): the time from nothing to the
// first frame, and the cost of one key press — the update and the render of the whole
// window — at 120x40 on three screens. The aims: a first frame under 50 ms and a key press
// under 2 ms.
//
//	go test -run=NONE -bench 'FirstFrame|KeyPress' -benchmem ./oobe/tui/

// benchRegions are the regions the flow offers by default (oobe/flow.go).
var benchRegions = []string{"United States", "United Kingdom", "Canada", "Germany", "France", "Netherlands", "Japan", "Australia"}

// runModel is the root model as Run makes it, before the program starts: the demo tenant's
// branding, a dark background until the terminal says otherwise, and the flow's clock.
func runModel(clk clock.Clock) *Model {
	c := &Common{Styles: NewStyles(true), Keys: DefaultKeyMap(), Clock: clk, Simulated: true,
		Flow: &FlowState{Branding: oobe.Branding{TenantName: "Contoso", DeploymentMode: "userDriven",
			DeviceNameTemplate: "CONTOSO-%SERIAL%"}}}
	m := newModel(c, Actions{Ctx: context.Background()})
	m.animate = true
	return m
}

// BenchmarkFirstFrame is from nothing to the first frame the person sees: the model as Run
// makes it, the window's size, the flow's first event and question (the region list), and
// the render.
func BenchmarkFirstFrame(b *testing.B) {
	b.ReportAllocs()
	clk := clock.NewVirtual(testStart)
	var frame string
	for b.Loop() {
		m := runModel(clk)
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m.Update(enter(clk, oobe.StageRegion, slices.Clone(benchRegions)))
		m.Update(askMsg{ask: newAsk(Ask{Stage: oobe.StageRegion, Options: slices.Clone(benchRegions)})})
		frame = m.Render()
	}
	if !strings.Contains(frame, "United States") {
		b.Fatalf("the first frame has no region list:\n%s", frame)
	}
}

// benchKeyPress measures one key press on m at 120x40 — the update and the render of the
// window, as the program does for every key — pressing keys in turn.
func benchKeyPress(b *testing.B, m *Model, keys []tea.Msg, want string) {
	b.Helper()
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if got := screenText(m); !strings.Contains(got, want) {
		b.Fatalf("the screen does not show %q before the benchmark:\n%s", want, got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Update(keys[i%len(keys)])
		_ = m.Render()
		i++
	}
	b.StopTimer()
	if got := screenText(m); !strings.Contains(got, want) {
		b.Fatalf("the screen does not show %q after the benchmark:\n%s", want, got)
	}
}

// BenchmarkKeyPress is one key press (the update and the render of the whole window) at
// 120x40 on the region list, on the Enrollment Status Page with its details shown (a failed
// app, its buttons focused in turn), and on the restore page with the demo user's three
// previous PCs.
func BenchmarkKeyPress(b *testing.B) {
	b.Run("region-list", func(b *testing.B) {
		m, clk := testModel(b)
		send(m, enter(clk, oobe.StageRegion, slices.Clone(benchRegions)),
			askMsg{ask: newAsk(Ask{Stage: oobe.StageRegion, Options: slices.Clone(benchRegions)})})
		// Down, then up: the cursor moves on every press.
		benchKeyPress(b, m, []tea.Msg{press("down"), press("up")}, "United States")
	})
	b.Run("esp-failure-details", func(b *testing.B) {
		// Right, then left: between Continue anyway and Reset device.
		benchKeyPress(b, espModel(b), []tea.Msg{press("right"), press("left")}, "Reset device")
	})
	b.Run("restore-page", func(b *testing.B) {
		m, clk := testModel(b)
		profiles := demoBackups(b)
		send(m, enter(clk, oobe.StageRestorePage, nil),
			askMsg{ask: newAsk(Ask{Stage: oobe.StageRestorePage, Profiles: profiles})})
		// Down, then up: between the newest PC and the next, the details pane redrawn each time.
		benchKeyPress(b, m, []tea.Msg{press("down"), press("up")}, profiles[0].DeviceName)
	})
}

// espModel is the Enrollment Status Page with its details shown, failed in Device setup:
// Device preparation complete, Security policies, Certificates and Network connections done,
// Apps failed with Windows' error text, and the Continue anyway / Reset device / Collect logs
// buttons waiting for the person.
func espModel(b *testing.B) *Model {
	b.Helper()
	m, clk := testModel(b)
	send(m, enter(clk, oobe.StageEnrollment, nil))
	clk.Advance(2 * time.Minute)
	send(m, enter(clk, oobe.StageESP, nil))
	status := func(phase, item, st, code string) tea.Msg {
		text := phase + ": " + st
		if item != "" {
			text = item + ": " + st
		}
		return event(clk, oobe.StageESP, oobe.EventStatus, text, oobe.ESPStatus{Phase: phase, Item: item, Status: st, Code: code})
	}
	for _, it := range []string{"Secure your hardware", "Join your organization's network", "Register your device for mobile management"} {
		send(m, status(oobe.PhaseDevicePreparation, it, oobe.ESPComplete, ""))
	}
	send(m, status(oobe.PhaseDevicePreparation, "", oobe.ESPComplete, ""), status(oobe.PhaseDeviceSetup, "", oobe.ESPInProgress, ""))
	for _, it := range []string{"Security policies", "Certificates", "Network connections"} {
		send(m, status(oobe.PhaseDeviceSetup, it, oobe.ESPComplete, ""))
	}
	clk.Advance(9 * time.Minute)
	send(m, status(oobe.PhaseDeviceSetup, "Apps", oobe.ESPFailed, oobe.CodeESPAppInstall),
		status(oobe.PhaseDeviceSetup, "", oobe.ESPFailed, oobe.CodeESPAppInstall),
		status(oobe.PhaseAccountSetup, "", oobe.ESPPreviousStepFailed, ""),
		askMsg{ask: newAsk(Ask{Stage: oobe.StageESP, Failure: oobe.ESPFailure{Phase: oobe.PhaseDeviceSetup, Item: "Apps",
			Message: oobe.ESPErrorText, Code: oobe.CodeESPAppInstall}})},
		press("ctrl+d"))
	return m
}

// demoBackups are the demo user's previous PCs as the restore page gets them: Adele Vance's
// three backups in the embedded Contoso tenant, with their content, newest first.
func demoBackups(b *testing.B) []profile.BackupProfile {
	b.Helper()
	tenants, err := tenant.LoadFixtures(fixtures.Demo())
	if err != nil {
		b.Fatal(err)
	}
	var out []profile.BackupProfile
	for _, tn := range tenants {
		if tn.Name != "Contoso" {
			continue
		}
		for _, u := range tn.Users {
			if u.UPN != "adele.vance@contoso.com" {
				continue
			}
			for _, bk := range u.Backups {
				content, err := bk.SealedContent(tn.ID, u.ObjectID)
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, profile.BackupProfile{WindowsDeviceID: bk.DeviceID, DeviceName: bk.Device, OSVersion: bk.OS,
					LastBackup: bk.LastBackup, Created: bk.Created, Active: true,
					Content: content, Summary: profile.Summarize(content)})
			}
		}
	}
	if len(out) != 3 {
		b.Fatalf("the demo user has %d previous PCs, want 3", len(out))
	}
	slices.SortFunc(out, func(x, y profile.BackupProfile) int { return y.LastBackup.Compare(x.LastBackup) })
	return out
}
