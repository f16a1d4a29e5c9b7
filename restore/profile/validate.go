package profile

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/backup"
	"github.com/oobe-dev/oobe/internal/guid"
)

// FieldError says which field of a device profile or dsregcmd capture is wrong, and why.
type FieldError struct {
	File  string // "" when the device did not come from a file
	Line  int    // 0 when the line is not known
	Field string // "" when the problem is the whole file
	Msg   string
	Err   error // the underlying error, if any
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

func isGUID(s string) bool { return guid.Valid(s) }

// Validate reports every field of d that is not a known value, each naming its field: the
// error joins a *FieldError for each (errors.As finds the first). OS is required; an empty
// edition, join, provisioning or cloud means "not known" and the rule that reads it is
// reported as not checked.
func (d DeviceProfile) Validate() error {
	var errs []error
	bad := func(e *FieldError) { errs = append(errs, e) }
	if d.OS == "" {
		bad(&FieldError{Field: "os", Msg: "missing: give the full Windows version, like 10.0.22631.4317"})
	} else if _, err := ParseVersion(d.OS); err != nil {
		bad(&FieldError{Field: "os", Msg: err.Error(), Err: err})
	}
	if d.Edition != "" {
		if _, err := ParseEdition(d.Edition); err != nil {
			bad(&FieldError{Field: "edition", Msg: err.Error(), Err: err})
		}
	}
	if d.Join != "" {
		if _, ok := joinTitles[d.Join]; !ok {
			bad(&FieldError{Field: "join", Msg: UnknownValue("join type", d.Join, joinOrder)})
		}
	}
	if d.Provisioning != "" {
		if _, ok := LookupProvisioning(d.Provisioning); !ok {
			var names []string
			for _, p := range provisioningModes {
				names = append(names, p.Name)
			}
			bad(&FieldError{Field: "provisioning", Msg: UnknownValue("provisioning mode", d.Provisioning, names)})
		}
	}
	if d.Cloud != "" {
		if _, ok := cloudTitles[d.Cloud]; !ok {
			bad(&FieldError{Field: "cloud", Msg: UnknownValue("cloud", d.Cloud, cloudOrder)})
		}
	}
	if d.Architecture != "" && !slices.Contains(architectures, d.Architecture) {
		bad(&FieldError{Field: "architecture", Msg: UnknownValue("architecture", d.Architecture, architectures)})
	}
	if v, err := ParseVersion(d.OS); err == nil && d.Architecture == "x86" && v.IsWindows11() {
		bad(&FieldError{Field: "architecture", Msg: fmt.Sprintf("x86 with %s (%s): Windows 11 has no 32-bit edition (x64 and arm64 only)", v.Release(), v)})
	}
	if d.Name != "" && !backup.ValidDeviceName(d.Name) {
		bad(&FieldError{Field: "name", Msg: fmt.Sprintf("%q is not a Windows device name: 1 to 15 letters, digits and hyphens, not only digits", d.Name)})
	}
	if d.DeviceID != "" && !isGUID(d.DeviceID) {
		bad(&FieldError{Field: "deviceId", Msg: fmt.Sprintf("%q is not a GUID (like f7773c63-33ce-49d7-bc1e-8d340efdb52c)", d.DeviceID)})
	}
	if d.TenantID != "" && !isGUID(d.TenantID) {
		bad(&FieldError{Field: "tenantId", Msg: fmt.Sprintf("%q is not a GUID (like 39150fda-e360-47ce-b98e-d9250ba6f8e8)", d.TenantID)})
	}
	return errors.Join(errs...)
}

// ParseEdition returns the edition's name for a name, a Windows EditionID alias or a SKU
// number ("Professional" is Pro, "Core" is Home, "203" is CloudEdition).
func ParseEdition(s string) (string, error) {
	if e, ok := LookupEdition(s); ok {
		return e.Name, nil
	}
	var names []string
	for _, e := range editions {
		names = append(names, e.Name)
	}
	if _, err := strconv.Atoi(s); err == nil {
		return "", fmt.Errorf("%s is not a known edition's SKU number: want one of %s", s, strings.Join(skuList(), ", "))
	}
	return "", fmt.Errorf("%s", UnknownValue("edition", s, names))
}

// skuList names every SKU number a profile may give, with its edition, e.g. "203 (CloudEdition)".
func skuList() []string {
	var out []string
	for _, e := range editions {
		for _, n := range e.SKUs {
			out = append(out, fmt.Sprintf("%d (%s)", n, e.Name))
		}
	}
	return out
}

// unknownValue says a value is not one of the allowed ones, suggesting the right spelling
// when only the case is wrong.
func UnknownValue(what, got string, allowed []string) string {
	for _, a := range allowed {
		if strings.EqualFold(a, got) {
			return fmt.Sprintf("%q is not a known %s; did you mean %s? (values are case-sensitive)", got, what, a)
		}
	}
	return fmt.Sprintf("%q is not a known %s: want one of %s", got, what, strings.Join(allowed, ", "))
}
