package replay

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/internal/yamlnode"
)

// Error is a broken scenario file: the file, the line (0 when the whole file is wrong) and
// what is wrong, naming the key.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// keyField is one key a YAML mapping may hold, and the Go type of its value.
type keyField struct {
	name string
	typ  reflect.Type
}

// yamlKeys lists the keys a struct type takes in YAML, in declaration order, following
// `,inline` fields and skipping `-`.
func yamlKeys(t reflect.Type) []keyField {
	fields, _ := yamlnode.Fields(t)
	out := make([]keyField, len(fields))
	for i, f := range fields {
		out[i] = keyField{name: f.Key, typ: f.Type}
	}
	return out
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// checkKeys refuses any mapping key the Go type t does not take, with its line and the keys
// that are allowed there. It also refuses anchors and aliases, which scenarios do not use: a
// scenario is read by people, and every value is written where it applies.
func checkKeys(file string, n *yaml.Node, t reflect.Type, path string) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("%s: anchors and aliases (&name, *name) are not supported in scenarios; write the value out", orRoot(path))}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if reflect.PointerTo(t).Implements(unmarshalerType) && n.Kind == yaml.ScalarNode {
				return nil // the type reads its scalar form itself
			}
			return nil // the decoder reports the wrong kind with its line
		}
		keys := yamlKeys(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("%s: a key must be a plain name", orRoot(path))}
			}
			if prev, dup := seen[k.Value]; dup {
				return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("%s: key %q appears twice (first on line %d)", join(path, k.Value), k.Value, prev)}
			}
			seen[k.Value] = k.Line
			var field *keyField
			for j := range keys {
				if keys[j].name == k.Value {
					field = &keys[j]
				}
			}
			if field == nil {
				names := make([]string, len(keys))
				for j, kf := range keys {
					names[j] = kf.name
				}
				return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("%s: unknown key %q; the keys here are %s", orRoot(path), k.Value, strings.Join(names, ", "))}
			}
			if err := checkKeys(file, v, field.typ, join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "" && k.ShortTag() != "!!str") {
				return &Error{File: file, Line: k.Line, Msg: fmt.Sprintf("%s: key %q must be a name (a string)", orRoot(path), k.Value)}
			}
			if err := checkKeys(file, n.Content[i+1], t.Elem(), join(path, k.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range n.Content {
			if err := checkKeys(file, c, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Interface:
		// A free value (a setting or policy value): any shape, but no anchors inside either.
		for _, c := range n.Content {
			if err := checkKeys(file, c, t, path); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "the scenario"
	}
	return path
}

// decodeError turns a yaml.v3 error into an Error with its line and a plain message.
func decodeError(file string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	p := yamlnode.Explain(err)
	msg := p.Msg
	if p.Tag != "" {
		got := yamlnode.TagWords(p.Tag)
		if got == "" {
			got = p.Tag
		}
		want := yamlnode.TypeWords(p.Want)
		if want == "" {
			want = "a mapping of keys"
		}
		if p.Value != "" {
			msg = fmt.Sprintf("%q is %s, want %s", p.Value, got, want)
		} else {
			msg = fmt.Sprintf("%s here, want %s", got, want)
		}
	}
	return &Error{File: file, Line: p.Line, Msg: msg}
}

// mapping builds a mapping node from key/value pairs, values being nodes.
func mapping(pairs ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(pairs); i += 2 {
		v, _ := pairs[i+1].(*yaml.Node)
		if v == nil {
			continue
		}
		m.Content = append(m.Content, scalar(pairs[i].(string)), v)
	}
	return m
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
