package replay

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/oobe"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/tenant"
)

// schema is a JSON Schema node, read loosely: only what the walk needs.
type schema map[string]any

func loadSchema(t *testing.T) schema {
	t.Helper()
	data, err := os.ReadFile("../docs/scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schema
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("docs/scenario.schema.json is not JSON: %v", err)
	}
	return s
}

// resolve follows a "$ref" to "#/$defs/…" in root.
func resolve(t *testing.T, root, s schema) schema {
	t.Helper()
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		name, found := strings.CutPrefix(ref, "#/$defs/")
		defs, _ := root["$defs"].(map[string]any)
		def, ok := defs[name].(map[string]any)
		if !found || !ok {
			t.Fatalf("schema: $ref %q does not resolve", ref)
		}
		s = def
	}
}

// objectBranch is the object schema of a node, looking into oneOf/anyOf branches (steps.network
// is "wired" or an object).
func objectBranch(t *testing.T, root, s schema) schema {
	s = resolve(t, root, s)
	if _, ok := s["properties"]; ok {
		return s
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		bs, _ := s[k].([]any)
		for _, b := range bs {
			if bm, ok := b.(map[string]any); ok {
				if r := resolve(t, root, bm); r["properties"] != nil {
					return r
				}
			}
		}
	}
	return s
}

// walkAgree checks that the schema at path describes Go type typ as the parser reads it: the
// same keys in every mapping, lists where the parser takes lists, and the same scalar types.
func walkAgree(t *testing.T, root, s schema, typ reflect.Type, path string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	s = resolve(t, root, s)
	switch typ.Kind() {
	case reflect.Struct:
		obj := objectBranch(t, root, s)
		props, _ := obj["properties"].(map[string]any)
		if props == nil {
			t.Errorf("%s: the parser takes a mapping with keys, the schema gives no properties", orRoot(path))
			return
		}
		if ap, ok := obj["additionalProperties"].(bool); !ok || ap {
			t.Errorf("%s: the schema must say additionalProperties: false, as the parser refuses unknown keys", orRoot(path))
		}
		var goKeys, schemaKeys []string
		fields := map[string]reflect.Type{}
		for _, f := range yamlKeys(typ) {
			goKeys = append(goKeys, f.name)
			fields[f.name] = f.typ
		}
		for k := range props {
			schemaKeys = append(schemaKeys, k)
		}
		sort.Strings(goKeys)
		sort.Strings(schemaKeys)
		if !slices.Equal(goKeys, schemaKeys) {
			t.Errorf("%s: the parser takes keys %v, the schema names %v", orRoot(path), goKeys, schemaKeys)
		}
		for _, k := range goKeys {
			if ps, ok := props[k].(map[string]any); ok {
				walkAgree(t, root, ps, fields[k], join(path, k))
			}
		}
	case reflect.Map:
		ap, ok := s["additionalProperties"]
		if !ok {
			t.Errorf("%s: the parser takes any key here (a map), the schema must say additionalProperties", path)
			return
		}
		if m, ok := ap.(map[string]any); ok && typ.Elem().Kind() != reflect.Interface {
			walkAgree(t, root, m, typ.Elem(), path+".*")
		}
	case reflect.Slice:
		items, ok := s["items"].(map[string]any)
		if !ok || s["type"] != "array" {
			t.Errorf("%s: the parser takes a list, the schema says type %v without items", path, s["type"])
			return
		}
		walkAgree(t, root, items, typ.Elem(), path+"[]")
	case reflect.String, reflect.Bool, reflect.Int:
		want := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Int: "integer"}[typ.Kind()]
		got, _ := s["type"].(string)
		if got == "" {
			if bs, ok := s["oneOf"].([]any); ok && len(bs) > 0 {
				return // a choice of forms, checked by the struct branch above
			}
		}
		if got != want {
			t.Errorf("%s: the parser takes type %s, the schema says %q", path, want, got)
		}
	}
}

func TestTheSchemaAndTheParserNameTheSameKeys(t *testing.T) {
	root := loadSchema(t)
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("$schema = %v, want draft 2020-12", root["$schema"])
	}
	walkAgree(t, root, root, reflect.TypeFor[scenarioFile](), "")
}

// enumAt returns the enum at a path of property names (with "[]" for a list's items).
func enumAt(t *testing.T, root schema, path ...string) []string {
	t.Helper()
	s := root
	for _, p := range path {
		s = objectBranch(t, root, s)
		if p == "[]" {
			s, _ = s["items"].(map[string]any)
		} else {
			props, _ := s["properties"].(map[string]any)
			s, _ = props[p].(map[string]any)
		}
		if s == nil {
			t.Fatalf("schema has no %s", strings.Join(path, "."))
		}
		s = resolve(t, root, s)
	}
	var out []string
	raw, _ := s["enum"].([]any)
	for _, v := range raw {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

func TestTheSchemaAllowsTheValuesTheParserAllows(t *testing.T) {
	root := loadSchema(t)
	var reasons, codes, demo []string
	for _, r := range restore.Rules() {
		reasons = append(reasons, r.ID)
	}
	for _, e := range oobe.EnrollmentErrors() {
		codes = append(codes, e.Code)
	}
	tenants, err := DemoTenants()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range tenants {
		demo = append(demo, strings.ToLower(d.Name))
	}
	cases := []struct {
		path []string
		want []string
	}{
		{[]string{"expect", "reasons", "[]"}, reasons},
		{[]string{"expect", "intuneStatus"}, backup.Statuses()},
		{[]string{"expect", "finalStage"}, stageNames()},
		{[]string{"faults", "networkLostAt"}, networkStages()},
		{[]string{"faults", "enrollmentError"}, codes},
		{[]string{"faults", "endpoints", "[]", "endpoint"}, tenant.FaultEndpoints()},
		{[]string{"faults", "endpoints", "[]", "kind"}, []string{"delay", "throttle", "server_error", "drop", "slow_down"}},
		{[]string{"steps", "signIn", "action"}, SignInActions()},
		{[]string{"steps", "signIn", "method"}, []string{string(oobe.SignInDeviceCode), string(oobe.SignInBrowser)}},
		{[]string{"steps", "esp"}, []string{string(oobe.ESPContinueAnyway), string(oobe.ESPResetDevice)}},
		{[]string{"tenant", "restorePage"}, tenant.RestorePageStates()},
		{[]string{"tenant", "fixture"}, demo},
	}
	for _, tc := range cases {
		got := enumAt(t, root, tc.path...)
		a, b := slices.Clone(got), slices.Clone(tc.want)
		sort.Strings(a)
		sort.Strings(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the schema allows %v, the parser %v", strings.Join(tc.path, "."), got, tc.want)
		}
	}
	for _, name := range enumAt(t, root, "faults", "endpoints", "[]", "kind") {
		if _, err := tenant.ParseFaultKind(name); err != nil {
			t.Errorf("the schema's fault kind %q: %v", name, err)
		}
	}
}

// allKeys lists every key a scenario file can hold, walking the parser's types.
func allKeys(typ reflect.Type, seen map[reflect.Type]bool, out map[string]bool) {
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct || seen[typ] {
		return
	}
	seen[typ] = true
	for _, f := range yamlKeys(typ) {
		out[f.name] = true
		allKeys(f.typ, seen, out)
	}
}

func TestTheScenarioDocumentationNamesEveryKey(t *testing.T) {
	data, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	keys := map[string]bool{}
	allKeys(reflect.TypeFor[scenarioFile](), map[reflect.Type]bool{}, keys)
	for k := range keys {
		if !strings.Contains(doc, "`"+k+"`") && !strings.Contains(doc, "`"+k+".") && !strings.Contains(doc, "."+k+"`") && !strings.Contains(doc, k+":") {
			t.Errorf("docs/scenarios.md does not mention the key %q", k)
		}
	}
}

func TestTheScenarioDocumentationListsTheWholeCorpus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "scenarios.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, corpus, ok := strings.Cut(string(data), "\n## The corpus\n")
	if !ok {
		t.Fatal(`docs/scenarios.md has no "## The corpus" section`)
	}
	files, err := filepath.Glob(filepath.Join("..", "fixtures", "scenarios", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, f := range files {
		if !strings.Contains(corpus, "| `"+filepath.Base(f)+"` |") {
			t.Errorf("docs/scenarios.md's corpus table does not list %s", filepath.Base(f))
		}
	}
	for _, line := range strings.Split(corpus, "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ = strings.Cut(name, "`")
			if strings.HasSuffix(name, ".yaml") && !slices.Contains(files, filepath.Join("..", "fixtures", "scenarios", name)) {
				t.Errorf("docs/scenarios.md lists %s, which is not in fixtures/scenarios", name)
			}
		}
	}
}
