package oobe

import (
	"strings"
	"testing"
)

func TestADeviceNameTemplateGivesTheNameWindowsWould(t *testing.T) {
	cases := []struct {
		name, template, serial string
		want                   string
		truncated              bool
	}{
		{"a short serial fits", "CONTOSO-%SERIAL%", "5CG12", "CONTOSO-5CG12", false},
		{"a long serial is cut to 15 characters", "CONTOSO-%SERIAL%", "5CG1234XYZ", "CONTOSO-5CG1234", true},
		{"characters a name cannot hold are dropped from the serial", "PC-%SERIAL%", "AB 12/34", "PC-AB1234", false},
		{"literal text alone", "KIOSK-01", "", "KIOSK-01", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts, err := parseNameTemplate(c.template)
			if err != nil {
				t.Fatal(err)
			}
			got, truncated := applyNameTemplate(parts, c.serial, newPCID)
			if got != c.want || truncated != c.truncated {
				t.Errorf("%s with serial %q = %q (truncated %v), want %q (%v)", c.template, c.serial, got, truncated, c.want, c.truncated)
			}
		})
	}
}

func TestRandDigitsAreTheSameForTheSameDevice(t *testing.T) {
	parts, err := parseNameTemplate("MYPC-%RAND:6%")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := applyNameTemplate(parts, "", newPCID)
	b, _ := applyNameTemplate(parts, "", newPCID)
	c, _ := applyNameTemplate(parts, "", oldPCID)
	if a != b || len(a) != len("MYPC-123456") || strings.Trim(a[5:], "0123456789") != "" {
		t.Errorf("names %q, %q: want MYPC- and six digits, the same twice", a, b)
	}
	if a == c {
		t.Errorf("two devices both got %q", a)
	}
}

func TestABadDeviceNameTemplateIsRefusedWithItsFault(t *testing.T) {
	cases := []struct{ template, want string }{
		{"CONTOSO-%serial%", "upper case"},
		{"CONTOSO_%SERIAL%", "not allowed"},
		{"CONTOSO %SERIAL%", "not allowed"},
		{"%RAND:6%", "all digits"},
		{"VERYLONGPREFIX-%RAND:4%", "more than 15"},
		{"PC-%RAND:0%", "digit count"},
		{"PC-%SERIAL", "closing"},
	}
	for _, c := range cases {
		if _, err := parseNameTemplate(c.template); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseNameTemplate(%q) = %v, want an error saying %q", c.template, err, c.want)
		}
	}
}

func TestADeviceWithoutASerialGetsOneFromItsDeviceID(t *testing.T) {
	d := &plainDevice{fakeDevice{profile: eligibleDevice()}}
	if got := serialOf(d); got != "7D1C9E402B" {
		t.Errorf("serialOf = %q, want the device id's first ten hex digits", got)
	}
	w := newWorld(t)
	w.cfg.Device = &plainDevice{*w.device}
	if out := w.run(t); out.DeviceName != "CONTOSO-7D1C9E4" {
		t.Errorf("device name %q", out.DeviceName)
	}
}

// plainDevice is a Device that does not know its serial number.
type plainDevice struct{ fakeDevice }

func (d *plainDevice) SerialNumber() {} // hides fakeDevice's, so plainDevice is no SerialNumberer
