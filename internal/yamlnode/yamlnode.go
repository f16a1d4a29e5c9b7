// Package yamlnode is the one walker of parsed YAML (yaml.v3 nodes) for the project's file
// parsers: finding a key's node and its line, a struct type's keys, strict key checking on a node,
// and yaml.v3's errors taken apart. It knows no file format and words no message for a person.
package yamlnode

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// At walks keys (string) and sequence indexes (int) from n; nil when a step is absent. With a
// repeated key the last one counts, as in the decoded value.
func At(n *yaml.Node, steps ...any) *yaml.Node {
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

// Key is the key node of key in mapping n, for errors about the key itself; nil when absent.
func Key(n *yaml.Node, key string) *yaml.Node {
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

// KeyOnLine names the key of mapping m whose key or value starts on line, so an error that
// only has a line can name its field; "" when none does.
func KeyOnLine(m *yaml.Node, line int) string {
	if m == nil || m.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i+1].Line == line || m.Content[i].Line == line {
			return m.Content[i].Value
		}
	}
	return ""
}

// Line is n's line, or fallback for a node that is not there.
func Line(n *yaml.Node, fallback int) int {
	if n == nil {
		return fallback
	}
	return n.Line
}

// Problem is a yaml.v3 error taken apart, so that each parser can word it for its own readers.
type Problem struct {
	Line  int    // the line it names; 0 when it names none
	Msg   string // yaml.v3's message without "yaml: " and "line N: "
	Typed bool   // a *yaml.TypeError: a value or key that does not fit its Go type, not broken YAML

	// For a value that does not fit ("cannot unmarshal !!seq into string"):
	Tag   string // the value's YAML tag without "!!" ("seq"); "" for every other error
	Value string // the scalar as written; "" for a mapping or a list
	Want  string // the Go type it was to become, as yaml.v3 names it ("string", "[]int")

	// Unknown is the key of "field colour not found in type …", a strict decoder's unknown key.
	Unknown string
}

var (
	yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	lineRE     = regexp.MustCompile(`^line (\d+): (.*)$`)
	cannotRE   = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	unknownRE  = regexp.MustCompile(`^field (.+) not found in type `)
)

// Explain takes a yaml.v3 error apart. Of a *yaml.TypeError it reads the first error, the one
// the document shows first.
func Explain(err error) Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		p := Problem{Msg: te.Errors[0], Typed: true}
		m := lineRE.FindStringSubmatch(p.Msg)
		if m == nil {
			return p
		}
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = m[2]
		if c := cannotRE.FindStringSubmatch(p.Msg); c != nil {
			p.Tag, p.Value, p.Want = c[1], c[2], c[3]
		}
		if k := unknownRE.FindStringSubmatch(p.Msg); k != nil {
			p.Unknown = k[1]
		}
		return p
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: m[2]}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Msg: m[2]}
	}
	return Problem{Msg: msg}
}

var tagWords = map[string]string{
	"str": "a string", "int": "a number", "float": "a number", "bool": "true or false",
	"map": "a mapping", "seq": "a list", "null": "null", "timestamp": "a timestamp",
}

// TagWords says what a value of a YAML tag (without "!!") is, in plain words ("a list");
// "" for a tag people do not write.
func TagWords(tag string) string { return tagWords[tag] }

// TypeWords says what a value of a Go type named as yaml.v3 names it is wanted to be, in plain
// words ("a whole number"); "" for a struct or another type, which the caller names in its
// own words.
func TypeWords(t string) string {
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
	return ""
}
