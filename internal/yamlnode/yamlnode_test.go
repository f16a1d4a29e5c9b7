package yamlnode

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func TestAtKeyAndLineFindNodesByKeysAndIndexes(t *testing.T) {
	n := parse(t, "a:\n  b:\n    - x\n    - y\nc: 1\nc: 2\n")
	cases := []struct {
		name  string
		got   *yaml.Node
		value string
		line  int
	}{
		{"a key under a key", At(n, "a", "b", 1), "y", 4},
		{"the last of a repeated key", At(n, "c"), "2", 6},
		{"a key node", Key(n, "c"), "c", 5},
		{"a key node below", Key(At(n, "a"), "b"), "b", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got == nil || tc.got.Value != tc.value || tc.got.Line != tc.line {
				t.Fatalf("got %+v, want %q on line %d", tc.got, tc.value, tc.line)
			}
		})
	}
	for name, got := range map[string]*yaml.Node{
		"a missing key":               At(n, "z"),
		"an index past the end":       At(n, "a", "b", 2),
		"a negative index":            At(n, "a", "b", -1),
		"a key of a list":             At(n, "a", "b", "x"),
		"an index of a mapping":       At(n, 0),
		"a key node that is not here": Key(n, "z"),
		"a key node of nothing":       Key(nil, "a"),
	} {
		if got != nil {
			t.Errorf("%s: got %+v, want nil", name, got)
		}
	}
	if Line(nil, 7) != 7 || Line(n, 7) != 1 {
		t.Error("Line does not fall back for a missing node only")
	}
	if KeyOnLine(n, 5) != "c" || KeyOnLine(n, 3) != "" || KeyOnLine(nil, 1) != "" {
		t.Error("KeyOnLine does not name the key on its line")
	}
}

func TestExplainTakesYAMLErrorsApart(t *testing.T) {
	type target struct {
		Name  string   `yaml:"name"`
		Count int      `yaml:"count"`
		Tags  []string `yaml:"tags"`
	}
	decode := func(src string) error {
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		var v target
		return dec.Decode(&v)
	}
	cases := []struct {
		name string
		err  error
		want Problem
	}{
		{"broken YAML", decode("name: [x\n"), Problem{Line: 1, Msg: "did not find expected ',' or ']'"}},
		{"a scalar of the wrong type", decode("name: x\ncount: many\n"),
			Problem{Line: 2, Msg: "cannot unmarshal !!str `many` into int", Typed: true, Tag: "str", Value: "many", Want: "int"}},
		{"a collection of the wrong type", decode("tags: {a: 1}\n"),
			Problem{Line: 1, Msg: "cannot unmarshal !!map into []string", Typed: true, Tag: "map", Want: "[]string"}},
		{"an unknown key", decode("name: x\ncolour: red\n"),
			Problem{Line: 2, Msg: "field colour not found in type yamlnode.target", Typed: true, Unknown: "colour"}},
		{"a repeated key", decode("name: x\nname: y\n"),
			Problem{Line: 2, Msg: `mapping key "name" already defined at line 1`, Typed: true}},
		{"a type error without a line", &yaml.TypeError{Errors: []string{"something odd"}}, Problem{Msg: "something odd", Typed: true}},
		{"another error with a line", errors.New("line 3: no"), Problem{Line: 3, Msg: "no"}},
		{"another error", errors.New("yaml: no"), Problem{Msg: "no"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Explain(tc.err); got != tc.want {
				t.Fatalf("Explain(%v) = %+v, want %+v", tc.err, got, tc.want)
			}
		})
	}
}

func TestTagAndTypeWordsNameWhatPeopleWrite(t *testing.T) {
	for in, want := range map[string]string{"str": "a string", "seq": "a list", "bool": "true or false", "binary": ""} {
		if got := TagWords(in); got != want {
			t.Errorf("TagWords(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"string": "a string", "*int64": "a whole number", "[]string": "a list", "map[string]any": "a mapping", "bool": "true or false", "main.thing": ""} {
		if got := TypeWords(in); got != want {
			t.Errorf("TypeWords(%q) = %q, want %q", in, got, want)
		}
	}
}

type inner struct {
	B string `yaml:"b"`
}

type withInline struct {
	A      string `yaml:"a"`
	inner  `yaml:",inline"`
	Plain  int
	Skip   string `yaml:"-"`
	hidden string
	Ptr    *inner `yaml:"ptr,omitempty"`
}

type withMap struct {
	A    string         `yaml:"a"`
	Rest map[string]any `yaml:",inline"`
}

func TestFieldsFollowsYAMLv3sRules(t *testing.T) {
	fields, open := Fields(reflect.TypeFor[*withInline]())
	var keys []string
	for _, f := range fields {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, ","); got != "a,b,plain,ptr" || open {
		t.Fatalf("keys %s open %v, want a,b,plain,ptr and closed", got, open)
	}
	if fields[3].Type != reflect.TypeFor[*inner]() {
		t.Errorf("ptr's type is %v", fields[3].Type)
	}
	if _, open := Fields(reflect.TypeFor[withMap]()); !open {
		t.Error("an inline map does not open the struct to other keys")
	}
	if f, _ := Fields(reflect.TypeFor[string]()); f != nil {
		t.Errorf("a string has keys %v", f)
	}
}

type doc struct {
	Name  string            `yaml:"name"`
	Count int               `yaml:"count"`
	Items []inner           `yaml:"items"`
	Map   map[string]inner  `yaml:"map"`
	Free  any               `yaml:"free"`
	Self  selfReader        `yaml:"self"`
	Node  yaml.Node         `yaml:"node"`
	Open  withMap           `yaml:"open"`
	Deep  map[string][]*doc `yaml:"deep"`
}

// selfReader reads its node itself, so its keys are its own business.
type selfReader struct{}

func (*selfReader) UnmarshalYAML(*yaml.Node) error { return nil }

// strict is what yaml.v3's own strict decoder says of src.
func strict(src string) error {
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	var v doc
	return dec.Decode(&v)
}

func TestDecodeKnownReportsWhatTheStrictDecoderReportsFirst(t *testing.T) {
	cases := []struct {
		name, src string
	}{
		{"a good document", "name: x\ncount: 1\nitems: [{b: y}]\nmap: {k: {b: z}}\nfree: {anything: 1}\nself: {own: keys}\nnode: {any: key}\nopen: {a: 1, other: 2}\n"},
		{"an unknown key", "name: x\ncolour: red\n"},
		{"an unknown key in a list", "items:\n  - b: y\n  - c: z\n"},
		{"an unknown key in a map's value", "map:\n  k: {c: 1}\n"},
		{"an unknown key deep down", "deep:\n  a:\n    - name: x\n      nope: 1\n"},
		{"an unknown key after a type error", "count: many\ncolour: red\n"},
		{"a type error after an unknown key", "colour: red\ncount: many\n"},
		{"both on one line, the type error first", "{count: many, colour: red}"},
		{"both on one line, the unknown key first", "{colour: red, count: many}"},
		{"a repeated key and an unknown key", "colour: red\nname: a\nname: b\n"},
		{"a null key", "~: 1\nname: x\n"},
		{"a list as a key", "? [a]\n: 1\ncolour: red\n"},
		{"an unknown key through an alias", "items:\n  - &a {c: 1}\nmap: {k: *a}\n"},
		{"an unknown key through a merge", "map:\n  k:\n    <<: {c: 1}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := strict(tc.src)
			n := parse(t, tc.src)
			var v doc
			got := DecodeKnown(n, &v)
			if fmt.Sprint(Explain2(got)) != fmt.Sprint(Explain2(want)) {
				t.Fatalf("DecodeKnown: %v\nstrict decoder: %v", got, want)
			}
		})
	}
}

// Explain2 is nil for nil, so that a good document compares as one.
func Explain2(err error) any {
	if err == nil {
		return nil
	}
	return Explain(err)
}

func TestKnownFieldsStopsAtDeepNestingAndAliasBombs(t *testing.T) {
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	var typ = reflect.TypeFor[int]()
	for range 70 {
		typ = reflect.SliceOf(typ)
	}
	if err := KnownFields(parse(t, deep), typ); err == nil || !strings.Contains(err.Error(), "line 1: the YAML nests too deeply") {
		t.Fatalf("70 nested lists: %v", err)
	}
	var b bytes.Buffer
	b.WriteString("a0: &a0 [{b: x}]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ","))
	}
	err := KnownFields(parse(t, b.String()), reflect.TypeFor[map[string][]any]())
	if err != nil {
		t.Fatalf("aliases into free values: %v", err)
	}
	err = KnownFields(parse(t, b.String()), reflect.TypeFor[map[string]nested]())
	if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Fatalf("a billion laughs: %v", err)
	}
}

// nested is a list of lists as deep as the alias bomb above, ending in inner.
type nested [][][][][][][][][][]inner
