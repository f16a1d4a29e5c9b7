package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/internal/yamlnode"
)

// MaxProfileBytes caps a device profile or dsregcmd capture: real ones are a few KiB.
const MaxProfileBytes = 1 << 20

// requiredFields are the fields a device profile file must give; the others have defaults.
var requiredFields = []string{"os", "edition", "join", "provisioning"}

// Parse reads a device profile file (YAML, docs/devices.md). Unknown fields, wrong
// types and unknown values are errors naming file:line and the field. Missing optional
// fields get their defaults: cloud global, shared, installQualityUpdates, cloudPC and virtualMachine false;
// enableWindowsRestore and enableWindowsBackup absent stay nil (not configured).
func Parse(file string, data []byte) (DeviceProfile, error) {
	if len(data) > MaxProfileBytes {
		return DeviceProfile{}, &FieldError{File: file, Msg: fmt.Sprintf("file is larger than %d bytes: not a device profile", MaxProfileBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return DeviceProfile{}, yamlError(file, nil, err)
	}
	if len(root.Content) == 0 {
		return DeviceProfile{}, emptyProfile(file)
	}
	doc := root.Content[0]
	d, err := decode(file, doc)
	if err != nil {
		return DeviceProfile{}, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return DeviceProfile{}, &FieldError{File: file, Line: extra.Line, Msg: "more than one YAML document: a device profile file holds one device"}
	} else if !errors.Is(err, io.EOF) {
		return DeviceProfile{}, yamlError(file, doc, err)
	}
	return complete(file, doc, d)
}

// ParseNode reads a device profile written inside another YAML document, such as a QA
// scenario's device: n is a mapping with a profile file's fields. Its checks and messages are
// Parse's, and its errors name file and the lines of n.
func ParseNode(file string, n *yaml.Node) (DeviceProfile, error) {
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			n = nil
		} else {
			n = n.Content[0]
		}
	}
	if n == nil {
		return DeviceProfile{}, emptyProfile(file)
	}
	d, err := decode(file, n)
	if err != nil {
		return DeviceProfile{}, err
	}
	return complete(file, n, d)
}

func emptyProfile(file string) error {
	return &FieldError{File: file, Msg: "empty file: a device profile needs at least os, edition, join and provisioning"}
}

// decode reads the profile's mapping doc strictly: a mapping, known fields, the right types.
func decode(file string, doc *yaml.Node) (DeviceProfile, error) {
	if doc.Kind != yaml.MappingNode {
		return DeviceProfile{}, &FieldError{File: file, Line: doc.Line, Msg: "a device profile is a mapping of fields (os: …, edition: …), not a " + kindName(doc.Kind)}
	}
	var d DeviceProfile
	if err := yamlnode.DecodeKnown(doc, &d); err != nil {
		return DeviceProfile{}, yamlError(file, doc, err)
	}
	return d, nil
}

// complete checks the decoded profile d of mapping doc and fills in its defaults.
func complete(file string, doc *yaml.Node, d DeviceProfile) (DeviceProfile, error) {
	// Every problem is reported at once, in the file's order of fields where it has one.
	var errs []error
	missing := map[string]bool{}
	for _, f := range requiredFields {
		n := yamlnode.At(doc, f)
		switch {
		case n == nil:
			errs = append(errs, &FieldError{File: file, Line: doc.Line, Field: f, Msg: "missing: " + fieldHint[f]})
			missing[f] = true
		case strings.TrimSpace(n.Value) == "" || n.Tag == "!!null":
			errs = append(errs, &FieldError{File: file, Line: n.Line, Field: f, Msg: "empty: " + fieldHint[f]})
			missing[f] = true
		}
	}
	if yamlnode.At(doc, "cloud") == nil {
		d.Cloud = CloudGlobal
	}
	if d.Edition != "" {
		if name, err := ParseEdition(d.Edition); err == nil {
			d.Edition = name
		}
	}
	if err := d.Validate(); err != nil {
		for _, e := range unjoin(err) {
			var fe *FieldError
			switch {
			case !errors.As(e, &fe):
				errs = append(errs, &FieldError{File: file, Msg: e.Error(), Err: e})
			case !missing[fe.Field]: // already said
				line := yamlnode.Line(yamlnode.At(doc, fe.Field), doc.Line)
				errs = append(errs, &FieldError{File: file, Line: line, Field: fe.Field, Msg: fe.Msg, Err: fe.Err})
			}
		}
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b error) int { return errLine(a) - errLine(b) })
		return DeviceProfile{}, errors.Join(errs...)
	}
	return d, nil
}

// unjoin lists the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func errLine(err error) int {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Line
	}
	return 0
}

var fieldHint = map[string]string{
	"os":           "the full Windows version, like 10.0.22631.4317",
	"edition":      "the Windows edition, like Enterprise",
	"join":         "entra, hybrid, registered, domain, onPremDrs or none",
	"provisioning": "how the device is set up, like userDriven",
}

// yamlError turns a yaml.v3 error into a FieldError with the line and, where it can, the field.
func yamlError(file string, doc *yaml.Node, err error) error {
	p := yamlnode.Explain(err)
	if !p.Typed {
		return &FieldError{File: file, Line: p.Line, Msg: p.Msg, Err: err}
	}
	if p.Line == 0 {
		return &FieldError{File: file, Msg: p.Msg, Err: err}
	}
	if p.Unknown != "" {
		return &FieldError{File: file, Line: p.Line, Field: p.Unknown, Msg: "unknown field: a device profile has " + strings.Join(knownFields(), ", "), Err: err}
	}
	msg := p.Msg
	if p.Tag != "" {
		got := yamlnode.TagWords(p.Tag)
		if got == "" {
			got = "a " + p.Tag
		}
		if p.Value == "" {
			msg = fmt.Sprintf("%s, want %s", got, goTypeName(p.Want))
		} else {
			msg = fmt.Sprintf("%q is %s, want %s", p.Value, got, goTypeName(p.Want))
		}
	}
	return &FieldError{File: file, Line: p.Line, Field: yamlnode.KeyOnLine(doc, p.Line), Msg: msg, Err: err}
}

// goTypeName says what a value of Go type t (as yaml.v3 names it) should be.
func goTypeName(t string) string {
	if w := yamlnode.TypeWords(t); w != "" {
		return w
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
	fields, _ := yamlnode.Fields(reflect.TypeFor[DeviceProfile]())
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Key
	}
	return names
}
