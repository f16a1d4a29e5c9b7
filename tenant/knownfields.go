package tenant

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxYAMLDepth bounds the walk below; a tenant file is a few levels deep, and an alias cycle
// must not recurse for ever.
const maxYAMLDepth = 64

// maxYAMLVisits bounds the nodes the walk visits, counting each alias as often as it is used:
// a few kilobytes of nested aliases (a "billion laughs") would otherwise take for ever. A tenant
// with thousands of backups written out stays well below it.
const maxYAMLVisits = 200_000

// fieldChecker walks a node tree against a Go type; visits counts down maxYAMLVisits.
type fieldChecker struct {
	file   string
	visits int
}

// checkKnownFields refuses a mapping key that the Go type it decodes into has no field for.
// yaml.v3's Node.Decode has no KnownFields switch, so a tenant inside another document
// (ParseTenantNode) is checked here, with the message the strict decoder gives for a file.
func checkKnownFields(file string, n *yaml.Node, t reflect.Type) error {
	c := &fieldChecker{file: file}
	return c.check(n, t, 0)
}

func (c *fieldChecker) check(n *yaml.Node, t reflect.Type, depth int) error {
	if n == nil {
		return nil
	}
	file := c.file
	if depth > maxYAMLDepth {
		return &FixtureError{File: file, Line: n.Line, Msg: "the YAML nests too deeply"}
	}
	if c.visits++; c.visits > maxYAMLVisits {
		return &FixtureError{File: file, Line: n.Line, Msg: "the document contains excessive aliasing"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.check(n.Alias, t, depth+1)
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return nil // a type error, which Decode reports with its line
		}
		for _, item := range n.Content {
			if err := c.check(item, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Map:
			for i := 1; i < len(n.Content); i += 2 {
				if err := c.check(n.Content[i], t.Elem(), depth+1); err != nil {
					return err
				}
			}
		case reflect.Struct:
			fields, open := yamlFields(t)
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				if k.Value == "<<" && k.Tag == "!!merge" {
					if err := c.check(val, t, depth+1); err != nil {
						return err
					}
					continue
				}
				ft, ok := fields[k.Value]
				if !ok {
					if open {
						continue
					}
					return &FixtureError{File: file, Line: k.Line, Msg: fmt.Sprintf("field %s not found in type %s", k.Value, t)}
				}
				if err := c.check(val, ft, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// yamlFields maps the keys yaml.v3 decodes into struct type t to their field types, following
// `yaml:",inline"` structs. open is true when an inline map takes any other key.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, open bool) {
	fields = map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				inner, innerOpen := yamlFields(ft)
				for k, v := range inner {
					fields[k] = v
				}
				open = open || innerOpen
			case reflect.Map:
				open = true
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default key
		}
		fields[name] = f.Type
	}
	return fields, open
}
