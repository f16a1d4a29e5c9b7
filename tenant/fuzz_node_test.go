package tenant

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/oobe-dev/oobe/fixtures"
)

// FuzzParseTenantNode checks that a tenant read from a YAML node is judged exactly as the same
// YAML read as a file: both accept it (and build the same tenant) or both refuse it, and a
// refusal is always a *FixtureError naming the file. The known-fields walk stands in for the
// strict decoder here, so any key one lets through and the other does not shows as a mismatch.
func FuzzParseTenantNode(f *testing.F) {
	demo := fixtures.Demo()
	for _, name := range []string{"contoso.yaml", "fabrikam.yaml"} {
		data, err := fs.ReadFile(demo, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, seed := range []string{
		goodFixture,
		strings.Replace(goodFixture, "    password: x\n", "    password: x\n    conditionalAccess: {blockRestoreApp: true}\n", 1),
		strings.Replace(goodFixture, "  restorePage: disabled\n", "  restorePage: disabled\n  conditionalAccess: {requirePhishingResistantMfa: true, x: 1}\n", 1),
		"tenant: &t {id: 39150fda-e360-47ce-b98e-d9250ba6f8e8}\nusers: [{<<: {upn: a@b.com}, objectId: *t}]\n",
		"tenant: {id: 1, id: 2}\n",
		"apps: [{name: x, name: y}]\n",
		"users: [{upn: a@x.com, Upn: b}]\n",
		"tenant: !!map {id: x}\n",
		"? [a]\n: b\n",
	} {
		f.Add([]byte(seed))
	}
	readKey := func(p string) ([]byte, error) { return fs.ReadFile(demo, p) }
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
			return // ParseTenant refuses these before any decoding; nothing to compare
		}
		fromFile, fileErr := ParseTenant("fuzz.yaml", data, readKey)
		fromNode, nodeErr := ParseTenantNode("fuzz.yaml", &doc, readKey)
		if nodeErr != nil {
			var fe *FixtureError
			if !errors.As(nodeErr, &fe) || fe.File != "fuzz.yaml" || fe.Msg == "" {
				t.Fatalf("ParseTenantNode error %T %v does not name the file and the problem", nodeErr, nodeErr)
			}
		}
		if (fileErr == nil) != (nodeErr == nil) {
			t.Fatalf("as a file: %v; as a node: %v", fileErr, nodeErr)
		}
		if fileErr == nil && (fromFile.ID != fromNode.ID || !reflect.DeepEqual(fromFile.Users, fromNode.Users) ||
			!reflect.DeepEqual(fromFile.Apps, fromNode.Apps) || fromFile.ConditionalAccess != fromNode.ConditionalAccess) {
			t.Fatalf("the node's tenant differs from the file's")
		}
	})
}
