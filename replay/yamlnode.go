package replay

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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
	var out []keyField
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			out = append(out, yamlKeys(f.Type)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, keyField{name: name, typ: f.Type})
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

// at walks keys (string) and sequence indexes (int) from a mapping node; nil when absent.
func at(n *yaml.Node, steps ...any) *yaml.Node {
	for _, s := range steps {
		if n == nil {
			return nil
		}
		switch s := s.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return nil
			}
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == s {
					next = n.Content[i+1]
				}
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || s < 0 || s >= len(n.Content) {
				return nil
			}
			n = n.Content[s]
		}
	}
	return n
}

// keyAt is the key node of key in mapping n, for errors about the key itself.
func keyAt(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

func lineOf(n *yaml.Node, fallback int) int {
	if n == nil {
		return fallback
	}
	return n.Line
}

var (
	yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	typeLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)
	cannotRE   = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

var tagNames = map[string]string{
	"str": "a string", "int": "a number", "float": "a number", "bool": "true or false",
	"map": "a mapping", "seq": "a list", "null": "null", "timestamp": "a timestamp",
}

// decodeError turns a yaml.v3 error into an Error with its line and a plain message.
func decodeError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		m := typeLineRE.FindStringSubmatch(msg)
		if m == nil {
			return &Error{File: file, Msg: msg}
		}
		line, _ := strconv.Atoi(m[1])
		msg = m[2]
		if c := cannotRE.FindStringSubmatch(msg); c != nil {
			got := tagNames[c[1]]
			if got == "" {
				got = c[1]
			}
			want := goTypeName(c[3])
			if c[2] != "" {
				msg = fmt.Sprintf("%q is %s, want %s", c[2], got, want)
			} else {
				msg = fmt.Sprintf("%s here, want %s", got, want)
			}
		}
		return &Error{File: file, Line: line, Msg: msg}
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := typeLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

func goTypeName(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "*int"):
		return "a whole number"
	case strings.HasPrefix(t, "[]") || strings.HasPrefix(t, "*[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	}
	return "a mapping of keys"
}

// reparse writes a document built from nodes of a parsed file and reads it back, returning
// the bytes and, for each line of them, the line of the original file it came from. Parsers
// that take whole files (tenant.ParseTenant, profile.Parse) can then check part of a
// scenario, and their errors can still name the scenario's own line.
func reparse(doc *yaml.Node) ([]byte, func(int) int, error) {
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	var back yaml.Node
	if err := yaml.Unmarshal(data, &back); err != nil {
		return nil, nil, err
	}
	lines := map[int]int{}
	var walk func(gen, orig *yaml.Node)
	walk = func(gen, orig *yaml.Node) {
		if gen == nil || orig == nil {
			return
		}
		if _, ok := lines[gen.Line]; !ok && orig.Line > 0 {
			lines[gen.Line] = orig.Line
		}
		for i := 0; i < len(gen.Content) && i < len(orig.Content); i++ {
			walk(gen.Content[i], orig.Content[i])
		}
	}
	root := &back
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	walk(root, doc)
	known := make([]int, 0, len(lines))
	for l := range lines {
		known = append(known, l)
	}
	sort.Ints(known)
	mapLine := func(l int) int {
		if o, ok := lines[l]; ok {
			return o
		}
		// A line with no node of its own (a key's line in block style): the nearest line above.
		i := sort.SearchInts(known, l)
		if i > 0 {
			return lines[known[i-1]]
		}
		return 0
	}
	return data, mapLine, nil
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
