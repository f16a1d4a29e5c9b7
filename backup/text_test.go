package backup

import (
	"errors"
	"testing"
)

func TestCheckTextRefusesControlCharacters(t *testing.T) {
	for _, c := range []struct {
		name, value string
		bad         bool
	}{
		{"plain text passes", "Adele's Surface", false},
		{"accents and emoji pass", "Café ☕ PC", false},
		{"ESC is refused", "PC\x1b]0;owned\x07", true},
		{"a newline is refused", "PC\nrm -rf", true},
		{"a tab is refused", "PC\tX", true},
		{"NUL is refused", "PC\x00", true},
		{"DEL is refused", "PC\x7f", true},
		{"C1 CSI is refused", "PC\u009b2J", true},
		{"U+00A0 passes", "PC\u00a0X", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckText("deviceDisplayName", c.value)
			var ce *ControlCharError
			if c.bad != errors.As(err, &ce) {
				t.Fatalf("CheckText(%q) = %v", c.value, err)
			}
		})
	}
}

func TestContentCheckTextNamesTheField(t *testing.T) {
	c := &Content{Settings: []Setting{{Category: CategoryOther, Name: "ok"}, {Category: CategoryOther, Name: "bad\x1b[2J"}}}
	var ce *ControlCharError
	if err := c.CheckText(); !errors.As(err, &ce) || ce.Field != "settings[1].name" {
		t.Fatalf("err = %v, want settings[1].name", err)
	}
	c = &Content{WiFi: []WiFiNetwork{{SSID: "Home\x1b"}}}
	if err := c.CheckText(); !errors.As(err, &ce) || ce.Field != "wifi[0].ssid" {
		t.Fatalf("err = %v, want wifi[0].ssid", err)
	}
	c = &Content{StoreApps: []StoreApp{{ProductID: "9N", Name: "App\u0085"}}}
	if err := c.CheckText(); !errors.As(err, &ce) || ce.Field != "storeApps[0].name" {
		t.Fatalf("err = %v, want storeApps[0].name", err)
	}
	p := &DeviceProfilePayload{DeviceDisplayName: "PC\x1b]2;x\x07"}
	if err := p.CheckText(); !errors.As(err, &ce) || ce.Field != "deviceDisplayName" {
		t.Fatalf("err = %v, want deviceDisplayName", err)
	}
}
