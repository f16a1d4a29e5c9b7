package apply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/restore/apply"
	"github.com/oobe-dev/oobe/restore/device"
)

// benchContent is a backup of n items shaped like a real one: 90% settings across the five
// categories (a third each numbers, strings and small objects), 5% Wi-Fi networks, 3% Store apps, 1% Start pins, 1% taskbar pins. Variants 0
// and 1 differ in every setting and network, so applying them in turn applies 95% of the
// items every time; apps and pins are already set after the first apply, as on a device
// that restores the same user's backup again.
func benchContent(n, variant int) *backup.Content {
	c := emptyBackup()
	c.DeviceName = "ADELE-OLD"
	wifi, apps, pins := n*5/100, n*3/100, n/100
	settings := n - wifi - apps - 2*pins - 1 // the device name is an item too
	cats := backup.Categories()
	for i := range settings {
		// A third each of numbers, strings and objects; objects cost most to compare.
		var v string
		switch i % 3 {
		case 0:
			v = fmt.Sprint(i + variant)
		case 1:
			v = fmt.Sprintf(`"value %d.%d"`, i, variant)
		default:
			v = fmt.Sprintf(`{"level":%d,"enabled":%t}`, i%7+variant, variant == 0)
		}
		c.Settings = append(c.Settings, backup.Setting{Category: cats[i%len(cats)], Name: fmt.Sprintf("setting%06d", i), Value: json.RawMessage(v)})
	}
	security := []string{backup.WiFiWPA2Personal, backup.WiFiWPA3Personal}
	for i := range wifi {
		c.WiFi = append(c.WiFi, backup.WiFiNetwork{SSID: fmt.Sprintf("network-%06d", i), Security: security[(i+variant)%2]})
	}
	for i := range apps {
		c.StoreApps = append(c.StoreApps, backup.StoreApp{ProductID: fmt.Sprintf("9N%010d", i), Name: fmt.Sprintf("App %d", i), Architectures: []string{"x64", "arm64"}})
	}
	for i := range pins {
		c.StartPins = append(c.StartPins, backup.Pin{AppID: fmt.Sprintf("Vendor.App%d_8wekyb3d8bbwe!App", i), Name: fmt.Sprintf("App %d", i)})
		c.TaskbarPins = append(c.TaskbarPins, backup.Pin{AppID: fmt.Sprintf("Vendor.App%d_8wekyb3d8bbwe!App", i), Name: fmt.Sprintf("App %d", i)})
	}
	return c
}

var benchSizes = []int{1_000, 10_000, 100_000}

// BenchmarkApply restores a backup of n items end to end, as ApplyPayload does: decode and
// verify the payload, read the device, plan every item, and commit through the journal
// (every changed file written to a temp file, fsynced and renamed, directories fsynced).
func BenchmarkApply(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			dir := initDevice(b, newPC(win11, "x64"))
			payloads := [2]string{payload(b, benchContent(n, 0)), payload(b, benchContent(n, 1))}
			if _, err := apply.ApplyPayload(context.Background(), dir, payloads[1], adele); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := apply.ApplyPayload(context.Background(), dir, payloads[i%2], adele)
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Items) != n || !r.Changed {
					b.Fatalf("%d items, changed %v", len(r.Items), r.Changed)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// BenchmarkPlan is the part of an apply that decides outcomes: read the device and plan.
// BenchmarkApply less this is decoding the payload and writing.
func BenchmarkPlan(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			dir := initDevice(b, newPC(win11, "x64"))
			if _, err := apply.ApplyPayload(context.Background(), dir, payload(b, benchContent(n, 1)), adele); err != nil {
				b.Fatal(err)
			}
			c := benchContent(n, 0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, err := device.Open(dir)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := apply.NewPlan(c, d, adele); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
