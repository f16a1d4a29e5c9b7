package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxProfileBytes caps a device profile or dsregcmd capture: real ones are a few KiB.
const MaxProfileBytes = 1 << 20

// requiredFields are the fields a device profile file must give; the others have defaults.
var requiredFields = []string{"os", "edition", "join", "provisioning"}

var (
	yamlLineRE    = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	typeErrLineRE = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownKeyRE  = regexp.MustCompile(`^field (.+) not found in type `)
	cannotRE      = regexp.MustCompile("^cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
)

// Parse reads a device profile file (YAML, docs/devices.md). Unknown fields, wrong
// types and unknown values are errors naming file:line and the field. Missing optional
// fields get their defaults: cloud global, shared and installQualityUpdates false.
func Parse(file string, data []byte) (DeviceProfile, error) {
	if len(data) > MaxProfileBytes {
		return DeviceProfile{}, &FieldError{File: file, Msg: fmt.Sprintf("file is larger than %d bytes: not a device profile", MaxProfileBytes)}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return DeviceProfile{}, yamlError(file, nil, err)
	}
	if len(root.Content) == 0 {
		return DeviceProfile{}, &FieldError{File: file, Msg: "empty file: a device profile needs at least os, edition, join and provisioning"}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return DeviceProfile{}, &FieldError{File: file, Line: doc.Line, Msg: "a device profile is a mapping of fields (os: …, edition: …), not a " + kindName(doc.Kind)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var d DeviceProfile
	if err := dec.Decode(&d); err != nil {
		return DeviceProfile{}, yamlError(file, doc, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return DeviceProfile{}, &FieldError{File: file, Line: extra.Line, Msg: "more than one YAML document: a device profile file holds one device"}
	} else if !errors.Is(err, io.EOF) {
		return DeviceProfile{}, yamlError(file, doc, err)
	}

	for _, f := range requiredFields {
		n := valueNode(doc, f)
		if n == nil {
			return DeviceProfile{}, &FieldError{File: file, Line: doc.Line, Field: f, Msg: "missing: " + fieldHint[f]}
		}
		if strings.TrimSpace(n.Value) == "" || n.Tag == "!!null" {
			return DeviceProfile{}, &FieldError{File: file, Line: n.Line, Field: f, Msg: "empty: " + fieldHint[f]}
		}
	}
	if valueNode(doc, "cloud") == nil {
		d.Cloud = CloudGlobal
	}
	if d.Edition != "" {
		if name, err := ParseEdition(d.Edition); err == nil {
			d.Edition = name
		}
	}
	if err := d.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			line := doc.Line
			if n := valueNode(doc, fe.Field); n != nil {
				line = n.Line
			}
			return DeviceProfile{}, &FieldError{File: file, Line: line, Field: fe.Field, Msg: fe.Msg, Err: fe.Err}
		}
		return DeviceProfile{}, &FieldError{File: file, Msg: err.Error(), Err: err}
	}
	return d, nil
}

var fieldHint = map[string]string{
	"os":           "the full Windows version, like 10.0.22631.4317",
	"edition":      "the Windows edition, like Enterprise",
	"join":         "entra, hybrid, registered, domain, onPremDrs or none",
	"provisioning": "how the device is set up, like userDriven",
}

// valueNode returns the value of key in a mapping node, or nil.
func valueNode(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// fieldAtLine names the key whose value sits on line, so a type error can name its field.
func fieldAtLine(m *yaml.Node, line int) string {
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

// yamlError turns a yaml.v3 error into a FieldError with the line and, where it can, the field.
func yamlError(file string, doc *yaml.Node, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		m := typeErrLineRE.FindStringSubmatch(msg)
		if m == nil {
			return &FieldError{File: file, Msg: msg, Err: err}
		}
		line, _ := strconv.Atoi(m[1])
		msg = m[2]
		if k := unknownKeyRE.FindStringSubmatch(msg); k != nil {
			return &FieldError{File: file, Line: line, Field: k[1], Msg: "unknown field: a device profile has " + strings.Join(knownFields(), ", "), Err: err}
		}
		field := fieldAtLine(doc, line)
		if c := cannotRE.FindStringSubmatch(msg); c != nil {
			got := yamlTagNames[c[1]]
			if got == "" {
				got = c[1]
			}
			if c[2] == "" {
				msg = fmt.Sprintf("a %s, want %s", got, goTypeName(c[3]))
			} else {
				msg = fmt.Sprintf("%q is a %s, want %s", c[2], got, goTypeName(c[3]))
			}
		}
		return &FieldError{File: file, Line: line, Field: field, Msg: msg, Err: err}
	}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{File: file, Line: line, Msg: m[2], Err: err}
	}
	return &FieldError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: "), Err: err}
}

func goTypeName(t string) string {
	switch t {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	}
	if strings.Contains(t, "Device") {
		return "a mapping of fields"
	}
	return t
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// knownFields lists the yaml names of DeviceProfile's fields, for the unknown-field message.
func knownFields() []string {
	t := reflect.TypeFor[DeviceProfile]()
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		names = append(names, name)
	}
	return names
}

var yamlTagNames = map[string]string{
	"str": "string", "int": "number", "float": "number", "bool": "true or false",
	"map": "mapping", "seq": "list", "null": "null", "timestamp": "timestamp",
}
