package backup

import "testing"

func TestADeviceNameIsOneToFifteenLettersDigitsAndHyphensNotAllDigits(t *testing.T) {
	for _, c := range []struct {
		name string
		want bool
	}{
		{"ADELE-SURFACE", true},
		{"desktop-db1814b", true},
		{"A", true},
		{"CONTOSO-8F2K1QX", true},   // 15
		{"CONTOSO-8F2K1QXY", false}, // 16
		{"", false},
		{"123456", false},
		{"12345-6", true},
		{"ADELE_PC", false},
		{"ADELE PC", false},
		{"ADÉLE", false},
		{"PC.contoso", false},
	} {
		if got := ValidDeviceName(c.name); got != c.want {
			t.Errorf("ValidDeviceName(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}
