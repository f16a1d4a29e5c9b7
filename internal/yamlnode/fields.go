package yamlnode

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// A Field is a key a struct type takes in YAML and the Go type of its value.
type Field struct {
	Key  string
	Type reflect.Type
}

type structKeys struct {
	fields []Field
	open   bool
}

var fieldCache sync.Map // reflect.Type -> structKeys

// Fields lists the keys yaml.v3 decodes into struct type t, in declaration order, by its rules:
// `yaml:"-"` and unexported fields are skipped, `,inline` structs give their own keys, and a
// key without a tag is the field's name in lower case. open is true when an `,inline` map takes
// any other key.
func Fields(t reflect.Type) (fields []Field, open bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	if k, ok := fieldCache.Load(t); ok {
		k := k.(structKeys)
		return k.fields, k.open
	}
	for f := range t.Fields() {
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				inner, innerOpen := Fields(ft)
				fields = append(fields, inner...)
				open = open || innerOpen
			case reflect.Map:
				open = true
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields = append(fields, Field{Key: name, Type: f.Type})
	}
	fieldCache.Store(t, structKeys{fields, open})
	return fields, open
}

// fieldType is the type of key in fields, and whether there is one.
func fieldType(fields []Field, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.Key == key {
			return f.Type, true
		}
	}
	return nil, false
}

// maxDepth bounds the walk below: the files read are a few levels deep, and an alias cycle
// must not recurse for ever.
const maxDepth = 64

// maxVisits bounds the nodes the walk visits, counting each alias as often as it is used: a
// few kilobytes of nested aliases (a "billion laughs") would otherwise take for ever. A tenant
// with thousands of backups written out stays well below it.
const maxVisits = 200_000

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
)

// unknownKey is the first key the walk finds that its type has no field for; top is the index
// of the key of the checked mapping it sits in or under (-1 when n is no mapping).
type unknownKey struct {
	msg string
	top int
}

// KnownFields refuses a mapping key, anywhere in n, that the Go type t it decodes into has no
// field for, as a yaml.v3 Decoder with KnownFields(true) does: Node.Decode has no such switch.
// The error is a *yaml.TypeError worded as that decoder words it ("line 5: field colour not
// found in type profile.DeviceProfile"), so the caller explains both alike. It also refuses
// nesting deeper than 64 levels and excessive aliasing, with their lines.
func KnownFields(n *yaml.Node, t reflect.Type) error {
	if u := firstUnknown(n, t); u != nil {
		return &yaml.TypeError{Errors: []string{u.msg}}
	}
	return nil
}

// DecodeKnown decodes n into out as a yaml.v3 Decoder with KnownFields(true) would: an unknown
// key is an error, and of several errors the first is the one such a decoder reports first (to
// the letter when the unknown key is a key of n itself; by line when it sits deeper).
func DecodeKnown(n *yaml.Node, out any) error {
	err := n.Decode(out)
	if n.Kind == yaml.MappingNode && repeatsKey(n) {
		return err // yaml.v3 checks a mapping for repeated keys before it reads any value
	}
	t := reflect.TypeOf(out)
	u := firstUnknown(n, t)
	if u == nil {
		return err
	}
	unknown := &yaml.TypeError{Errors: []string{u.msg}}
	if err == nil || u.top < 0 {
		return unknown
	}
	// Both: what the keys before the unknown key's own key get wrong comes first.
	before := *n
	before.Content = n.Content[:2*u.top]
	if perr := before.Decode(reflect.New(t.Elem()).Interface()); perr != nil {
		return perr
	}
	before.Content = n.Content[:2*u.top+2]
	if perr := before.Decode(reflect.New(t.Elem()).Interface()); perr != nil {
		if p, q := Explain(perr), Explain(unknown); p.Line < q.Line {
			return perr
		}
	}
	return unknown
}

// repeatsKey reports whether mapping n has a key twice, as yaml.v3's check compares them.
func repeatsKey(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			if n.Content[i].Kind == n.Content[j].Kind && n.Content[i].Value == n.Content[j].Value {
				return true
			}
		}
	}
	return false
}

func firstUnknown(n *yaml.Node, t reflect.Type) *unknownKey {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	c := &checker{top: -1}
	if msg := c.check(n, t, 0); msg != "" {
		return &unknownKey{msg: msg, top: c.top}
	}
	return nil
}

// checker walks a node tree against a Go type; visits counts up to maxVisits, and top is the
// index of the key of the outermost mapping being walked.
type checker struct{ visits, top int }

// check returns the strict decoder's message for the first unknown key under n, or "".
func (c *checker) check(n *yaml.Node, t reflect.Type, depth int) string {
	if n == nil {
		return ""
	}
	if depth > maxDepth {
		return fmt.Sprintf("line %d: the YAML nests too deeply", n.Line)
	}
	if c.visits++; c.visits > maxVisits {
		return fmt.Sprintf("line %d: the document contains excessive aliasing", n.Line)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType || reflect.PointerTo(t).Implements(unmarshalerType) {
		return "" // the type reads its node itself
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.check(n.Alias, t, depth+1)
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return "" // a type error, which Decode reports with its line
		}
		for _, item := range n.Content {
			if msg := c.check(item, t.Elem(), depth+1); msg != "" {
				return msg
			}
		}
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Map:
			for i := 1; i < len(n.Content); i += 2 {
				if depth == 0 {
					c.top = i / 2
				}
				if msg := c.check(n.Content[i], t.Elem(), depth+1); msg != "" {
					return msg
				}
			}
		case reflect.Struct:
			fields, open := Fields(t)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				if depth == 0 {
					c.top = i / 2
				}
				if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
					if msg := c.check(val, t, depth+1); msg != "" {
						return msg
					}
					continue
				}
				if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!null" {
					continue // not a name: yaml.v3 reports it or, for a null, passes over it
				}
				name := k.Value
				ft, ok := fieldType(fields, name)
				if !ok {
					if open {
						continue
					}
					return fmt.Sprintf("line %d: field %s not found in type %s", k.Line, name, t)
				}
				if msg := c.check(val, ft, depth+1); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}
