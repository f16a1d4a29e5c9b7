package backup

import "fmt"

// ControlCharError is a stored name holding a control character, which a terminal would obey
// rather than print (ESC starts a sequence that can retitle the window or clear the screen).
type ControlCharError struct {
	Field  string // the field, as the JSON spells it: "settings[3].name"
	Rune   rune
	Offset int // byte offset in the field's value
}

func (e *ControlCharError) Error() string {
	return fmt.Sprintf("%s holds the control character U+%04X at byte %d; names may not contain control characters", e.Field, e.Rune, e.Offset)
}

// IsControl reports a C0 control (U+0000 to U+001F, ESC and tab among them), DEL or a C1
// control (U+0080 to U+009F, which some terminals take as CSI and OSC).
func IsControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// CheckText refuses a value with a control character, naming field.
func CheckText(field, s string) error {
	for i, r := range s {
		if IsControl(r) {
			return &ControlCharError{Field: field, Rune: r, Offset: i}
		}
	}
	return nil
}

// CheckText refuses a profile whose text fields hold control characters: what a tenant checks
// before it stores a profile that other programs print.
func (p *DeviceProfilePayload) CheckText() error {
	for _, f := range []struct{ name, value string }{
		{"deviceDisplayName", p.DeviceDisplayName}, {"createdBy", p.CreatedBy},
		{"sourceProfileId", p.SourceProfileID}, {"profileId", p.ProfileID}, {"osVersion", p.OSVersion},
	} {
		if err := CheckText(f.name, f.value); err != nil {
			return err
		}
	}
	return nil
}

// CheckText refuses content whose names (device, settings, SSIDs, apps, pins, tiles) hold
// control characters, naming the first.
func (c *Content) CheckText() error {
	check := func(field string, i int, value string) error {
		if i < 0 {
			return CheckText(field, value)
		}
		return CheckText(fmt.Sprintf(field, i), value)
	}
	if err := check("deviceName", -1, c.DeviceName); err != nil {
		return err
	}
	for i, s := range c.Settings {
		if err := check("settings[%d].name", i, s.Name); err != nil {
			return err
		}
	}
	for i, w := range c.WiFi {
		if err := check("wifi[%d].ssid", i, w.SSID); err != nil {
			return err
		}
	}
	for i, a := range c.StoreApps {
		if err := check("storeApps[%d].name", i, a.Name); err != nil {
			return err
		}
		if err := check("storeApps[%d].productId", i, a.ProductID); err != nil {
			return err
		}
	}
	for _, list := range []struct {
		name string
		pins []Pin
	}{{"startPins", c.StartPins}, {"taskbarPins", c.TaskbarPins}} {
		for i, p := range list.pins {
			if err := check(list.name+"[%d].name", i, p.Name); err != nil {
				return err
			}
			if err := check(list.name+"[%d].appId", i, p.AppID); err != nil {
				return err
			}
		}
	}
	for i, t := range c.StartTiles {
		for _, f := range []struct{ name, value string }{{"name", t.Name}, {"appId", t.AppID}, {"group", t.Group}, {"size", t.Size}} {
			if err := check("startTiles[%d]."+f.name, i, f.value); err != nil {
				return err
			}
		}
	}
	return nil
}
