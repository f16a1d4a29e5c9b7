package profile

import (
	"strings"
	"testing"
)

func TestAnEditionIsGivenByNameEditionIDOrSKUNumber(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"Enterprise", "Enterprise"}, {"EnterpriseS", "Enterprise"}, {"4", "Enterprise"}, {"125", "Enterprise"},
		{"Professional", "Pro"}, {"48", "Pro"}, {"49", "Pro"},
		{"Core", "Home"}, {"101", "Home"},
		{"SE", "CloudEdition"}, {"203", "CloudEdition"}, {"202", "CloudEditionN"},
		{"136", "Holographic"}, {"123", "IoTUAP"}, {"131", "IoTUAPCommercial"},
		{"Team", "PPIPro"}, {"119", "PPIPro"},
		{"188", "IoTEnterprise"}, {"IoTEnterpriseS", "IoTEnterpriseLTSC"}, {"191", "IoTEnterpriseLTSC"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseEdition(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParseEdition(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestAnEditionNumberMustBeAKnownSKUWrittenPlainly(t *testing.T) {
	for _, in := range []string{"999", "0", "0203", "+203", " 203", "203.0", "-4"} {
		if got, err := ParseEdition(in); err == nil {
			t.Errorf("ParseEdition(%q) = %q, want an error", in, got)
		}
	}
	_, err := ParseEdition("999")
	if err == nil || !strings.Contains(err.Error(), "203 (CloudEdition)") {
		t.Errorf("error %v should list the known SKU numbers", err)
	}
}

func TestEverySKUNumberBelongsToOneEdition(t *testing.T) {
	seen := map[int]string{}
	for _, e := range editions {
		if len(e.SKUs) == 0 {
			t.Errorf("%s has no SKU number", e.Name)
		}
		for _, n := range e.SKUs {
			if other, ok := seen[n]; ok {
				t.Errorf("SKU %d is both %s and %s", n, other, e.Name)
			}
			seen[n] = e.Name
		}
	}
}

func TestAProfileGivesItsEditionAsANumberAndGetsTheName(t *testing.T) {
	for _, edition := range []string{"203", `"203"`} {
		d, err := Parse("se.yaml", []byte("os: 10.0.26100.4946\nedition: "+edition+"\njoin: entra\nprovisioning: userDriven\n"))
		if err != nil || d.Edition != "CloudEdition" {
			t.Errorf("edition: %s: got %q, %v; want CloudEdition", edition, d.Edition, err)
		}
	}
}

func TestReleaseNamesEveryWindowsRelease(t *testing.T) {
	cases := []struct {
		build int
		want  string
	}{
		{19044, "Windows 10 21H2"}, {19045, "Windows 10 22H2"},
		{22000, "Windows 11 21H2"}, {22621, "Windows 11 22H2"}, {22631, "Windows 11 23H2"},
		{26100, "Windows 11 24H2"}, {26200, "Windows 11 25H2"}, {26299, "Windows 11 25H2"},
		// domain.md §7.6: 26H2 is 26300; 26H1 is 28000 (Microsoft's CVE data).
		{26300, "Windows 11 26H2"}, {27999, "Windows 11 26H2"}, {28000, "Windows 11 26H1"},
	}
	for _, tc := range cases {
		v := Version{Major: 10, Build: tc.build, UBR: 1}
		if got := v.Release(); got != tc.want {
			t.Errorf("build %d: %q, want %q", tc.build, got, tc.want)
		}
	}
}
