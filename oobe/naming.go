package oobe

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/backup"
)

// MaxDeviceName is the longest device name Windows takes (a NetBIOS name).
const MaxDeviceName = backup.MaxDeviceName

// A device name template's parts: literal text, %SERIAL% or %RAND:x%.
type namePart struct {
	literal string
	serial  bool
	rand    int // digits of %RAND:x%
}

// parseNameTemplate reads an Autopilot device name template. Microsoft's rules: at most 15
// characters, letters, digits and hyphens, not all digits, and the macros %SERIAL% and
// %RAND:x% in upper case (a lower-case %serial% is an error when the profile is saved).
func parseNameTemplate(t string) ([]namePart, error) {
	var parts []namePart
	fixed := 0 // characters the name has whatever the serial
	letters := false
	for rest := t; rest != ""; {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			i = len(rest)
		}
		if i > 0 {
			lit := rest[:i]
			for _, r := range lit {
				switch {
				case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
					letters = true
				case r >= '0' && r <= '9', r == '-':
				default:
					return nil, fmt.Errorf("device name template %q: %q is not allowed (letters, digits and hyphens only)", t, r)
				}
			}
			parts = append(parts, namePart{literal: lit})
			fixed += len(lit)
			rest = rest[i:]
			continue
		}
		j := strings.IndexByte(rest[1:], '%')
		if j < 0 {
			return nil, fmt.Errorf("device name template %q: a %% without its closing %%", t)
		}
		macro := rest[1 : j+1]
		rest = rest[j+2:]
		switch {
		case macro == "SERIAL":
			parts = append(parts, namePart{serial: true})
			letters = true // a serial is taken to have letters; the result is checked again
		case strings.HasPrefix(macro, "RAND:"):
			n, err := strconv.Atoi(strings.TrimPrefix(macro, "RAND:"))
			if err != nil || n < 1 || n > MaxDeviceName {
				return nil, fmt.Errorf("device name template %q: %%%s%% needs a digit count from 1 to %d", t, macro, MaxDeviceName)
			}
			parts = append(parts, namePart{rand: n})
			fixed += n
		default:
			return nil, fmt.Errorf("device name template %q: unknown macro %%%s%% (the macros are %%SERIAL%% and %%RAND:x%%, in upper case)", t, macro)
		}
	}
	if fixed > MaxDeviceName {
		return nil, fmt.Errorf("device name template %q: %d characters without the serial, more than %d", t, fixed, MaxDeviceName)
	}
	if len(parts) > 0 && !letters {
		return nil, fmt.Errorf("device name template %q: a name cannot be all digits", t)
	}
	return parts, nil
}

// ValidateNameTemplate says what is wrong with an Autopilot device name template by the rules
// Run applies (parseNameTemplate's), or nil for one it takes; "" is no template.
func ValidateNameTemplate(t string) error {
	_, err := parseNameTemplate(t)
	return err
}

// applyNameTemplate makes the device name from a template: %SERIAL% is the serial number with
// anything but letters, digits and hyphens dropped; %RAND:x% is x digits drawn from the
// device id, so the same device always gets the same name. A name longer than 15 characters is
// cut to 15 (truncated reports it).
func applyNameTemplate(parts []namePart, serial, deviceID string) (name string, truncated bool) {
	var b strings.Builder
	for i, p := range parts {
		switch {
		case p.serial:
			for _, r := range serial {
				if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
					b.WriteRune(r)
				}
			}
		case p.rand > 0:
			h := fnv.New64a()
			fmt.Fprintf(h, "%s/%d", deviceID, i)
			sum := h.Sum64()
			for range p.rand {
				b.WriteByte(byte('0' + sum%10))
				sum /= 10
				if sum == 0 {
					sum = h.Sum64() ^ 0x9e3779b97f4a7c15
				}
			}
		default:
			b.WriteString(p.literal)
		}
	}
	name = b.String()
	if len(name) > MaxDeviceName {
		return name[:MaxDeviceName], true
	}
	return name, false
}

// serialOf is the device's serial number, or one derived from its Entra device id (the first
// ten hex digits, upper case) when the Device does not know it.
func serialOf(d Device) string {
	if s, ok := d.(SerialNumberer); ok {
		if sn := s.SerialNumber(); sn != "" {
			return sn
		}
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(d.Profile().DeviceID) {
		if b.Len() == 10 {
			break
		}
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'F' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
