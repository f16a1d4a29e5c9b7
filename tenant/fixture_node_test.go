package tenant

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// scenarioHeader comes before the inline tenant; the tenant's line L in goodFixture is line
// L+scenarioOffset in the scenario.
const (
	scenarioHeader = "name: restore on a new laptop\ndevice: {build: 26100}\ntenant:\n"
	scenarioOffset = 3
)

// inScenario indents a tenant file under a scenario's tenant: key.
func inScenario(fixture string) string {
	var b strings.Builder
	b.WriteString(scenarioHeader)
	for _, line := range strings.SplitAfter(fixture, "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return b.String()
}

// tenantNode is the value of the scenario's tenant: key.
func tenantNode(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	return validator{root: root.Content[0]}.node("tenant")
}

func TestAnInlineTenantParsesLikeItsFile(t *testing.T) {
	fromFile, err := ParseTenant("woodgrove.yaml", []byte(goodFixture), nil)
	if err != nil {
		t.Fatal(err)
	}
	inline, err := ParseTenantNode("scenario.yaml", tenantNode(t, inScenario(goodFixture)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if inline.Source != "scenario.yaml" || inline.ID != fromFile.ID || inline.Name != fromFile.Name || inline.RestorePage != fromFile.RestorePage ||
		!reflect.DeepEqual(inline.Domains, fromFile.Domains) || !reflect.DeepEqual(inline.Apps, fromFile.Apps) ||
		!reflect.DeepEqual(inline.Users, fromFile.Users) || !reflect.DeepEqual(inline.Devices, fromFile.Devices) {
		t.Fatalf("inline tenant %+v\ndiffers from the file's %+v", inline, fromFile)
	}
	if inline.idLine != fromFile.idLine+scenarioOffset {
		t.Fatalf("tenant.id line %d, want %d", inline.idLine, fromFile.idLine+scenarioOffset)
	}
	// A whole document works too.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(goodFixture), &doc); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTenantNode("woodgrove.yaml", &doc, nil); err != nil {
		t.Fatal(err)
	}
}

func TestABrokenInlineTenantNamesTheScenarioLine(t *testing.T) {
	cases := []struct {
		name, old, new string
		line           int // in goodFixture
		msg            string
	}{
		{"a bad object id", "objectId: 31111111-2222-4333-8444-555555555555", "objectId: nope", 15, `users[0].objectId "nope" is not a GUID`},
		{"an unknown user key", "    password: x\n", "    password: x\n    passwrd: y\n", 15, "field passwrd not found"},
		{"an unknown key in a backup's content", "          wifi:", "          wallpaper: x\n          wifi:", 27, "field wallpaper not found"},
		{"an unknown top-level key", "devices:", "device:", 31, "field device not found"},
		{"an unknown Conditional Access key", "  restorePage: disabled\n", "  restorePage: disabled\n  conditionalAccess: {blockRestorApp: true}\n", 6, "field blockRestorApp not found"},
		{"a wrong type", "    password: x\n", "    password: x\n    generateBackups: many\n", 15, "cannot unmarshal"},
		{"a Conditional Access value that is not a boolean", "    password: x\n", "    password: x\n    conditionalAccess: {blockRestoreApp: maybe}\n", 15, "cannot unmarshal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			broken := strings.Replace(goodFixture, c.old, c.new, 1)
			if broken == goodFixture {
				t.Fatalf("the case does not change the fixture")
			}
			_, err := ParseTenantNode("scenario.yaml", tenantNode(t, inScenario(broken)), nil)
			var fe *FixtureError
			if !errors.As(err, &fe) || fe.File != "scenario.yaml" || fe.Line != c.line+scenarioOffset || !strings.Contains(fe.Msg, c.msg) {
				t.Fatalf("error = %v, want scenario.yaml:%d: …%s…", err, c.line+scenarioOffset, c.msg)
			}
			// The same file on its own fails on the same line, less the scenario's header.
			_, err = ParseTenant("woodgrove.yaml", []byte(broken), nil)
			if !errors.As(err, &fe) || fe.Line != c.line {
				t.Fatalf("as a file: %v, want line %d", err, c.line)
			}
		})
	}
}

func TestAKeyThatIsNoNameReadsAsInTheFile(t *testing.T) {
	for name, key := range map[string]string{"a list as a key": "? [a]\n    : 1", "a null key": "~: 1"} {
		t.Run(name, func(t *testing.T) {
			broken := strings.Replace(goodFixture, "    password: x\n", "    password: x\n    "+key+"\n", 1)
			_, fileErr := ParseTenant("woodgrove.yaml", []byte(broken), nil)
			_, nodeErr := ParseTenantNode("woodgrove.yaml", tenantNode(t, inScenario(broken)), nil)
			want, got := "<nil>", "<nil>"
			if fileErr != nil {
				fe := fileErr.(*FixtureError)
				want = fmt.Sprintf("line %d: %s", fe.Line+scenarioOffset, fe.Msg)
			}
			if nodeErr != nil {
				fe := nodeErr.(*FixtureError)
				got = fmt.Sprintf("line %d: %s", fe.Line, fe.Msg)
			}
			if got != want {
				t.Fatalf("inline: %s, want the file's %s", got, want)
			}
		})
	}
}

func TestAnInlineTenantMustBeAMapping(t *testing.T) {
	for _, doc := range []string{"tenant: [a, b]\n", "tenant: contoso\n"} {
		_, err := ParseTenantNode("scenario.yaml", tenantNode(t, doc), nil)
		var fe *FixtureError
		if !errors.As(err, &fe) || fe.Line != 1 || !strings.Contains(fe.Msg, "mapping") {
			t.Fatalf("%q: error = %v", doc, err)
		}
	}
	if _, err := ParseTenantNode("scenario.yaml", nil, nil); err == nil {
		t.Fatal("a missing tenant parsed")
	}
}

func TestConditionalAccessIsReadFromTheTenantAndItsUsers(t *testing.T) {
	doc := strings.Replace(goodFixture, "  restorePage: disabled\n",
		"  restorePage: disabled\n  conditionalAccess:\n    blockRestoreApp: true\n    requirePhishingResistantMfa: true\n", 1)
	doc = strings.Replace(doc, "    password: x\n", "    password: x\n    conditionalAccess: {blockRestoreApp: false}\n", 1)
	ten, err := ParseTenant("woodgrove.yaml", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ten.ConditionalAccess != (ConditionalAccess{BlockRestoreApp: true, RequirePhishingResistantMFA: true}) {
		t.Fatalf("tenant conditionalAccess %+v", ten.ConditionalAccess)
	}
	u := &ten.Users[0]
	if u.ConditionalAccess == nil || u.ConditionalAccess.BlockRestoreApp == nil || *u.ConditionalAccess.BlockRestoreApp ||
		u.ConditionalAccess.RequirePhishingResistantMFA != nil {
		t.Fatalf("user conditionalAccess %+v", u.ConditionalAccess)
	}
	if got := ten.AccessFor(u); got != (ConditionalAccess{RequirePhishingResistantMFA: true}) {
		t.Fatalf("AccessFor = %+v", got)
	}
	plain, err := ParseTenant("woodgrove.yaml", []byte(goodFixture), nil)
	if err != nil {
		t.Fatal(err)
	}
	if plain.ConditionalAccess != (ConditionalAccess{}) || plain.Users[0].ConditionalAccess != nil {
		t.Fatal("a file without conditionalAccess has policies")
	}
}

func TestNestedAliasesInAnInlineTenantAreRefusedQuickly(t *testing.T) {
	// 100 users × 100 backups × 100 Wi-Fi networks, each written once and repeated by alias:
	// a million networks to check from a few kilobytes.
	repeat := func(alias string) string { return strings.TrimSuffix(strings.Repeat("*"+alias+", ", 99), ", ") }
	doc := "tenant:\n  users:\n" +
		"    - &u {upn: a@b.com, backups: [&b {device: X, content: {wifi: [&w {ssid: a}, " + repeat("w") + "]}}, " + repeat("b") + "]}\n" +
		"    - " + strings.Replace(repeat("u"), ", ", "\n    - ", -1) + "\n"
	_, err := ParseTenantNode("scenario.yaml", tenantNode(t, doc), nil)
	var fe *FixtureError
	// The decoder refuses such a document too, but without a line: a line shows the walk stopped itself.
	if !errors.As(err, &fe) || fe.Line == 0 || !strings.Contains(fe.Msg, "excessive aliasing") {
		t.Fatalf("error = %v", err)
	}
}
