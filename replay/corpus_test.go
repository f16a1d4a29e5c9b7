package replay

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// manyScenarios is a corpus of n scenarios that differ in name and path only: enough for
// shards to split unevenly and still have to cover everything.
func manyScenarios(t *testing.T, n int) []*Scenario {
	t.Helper()
	base := mustParse(t, "base.yaml", goodScenario)
	out := make([]*Scenario, n)
	for i := range out {
		sc := *base
		sc.Name = fmt.Sprintf("scenario %03d", i)
		sc.File = fmt.Sprintf("corpus/area-%d/scenario-%03d.yaml", i%7, i)
		sc.Rel = strings.TrimPrefix(sc.File, "corpus/")
		out[i] = &sc
	}
	return out
}

func TestShardsAreDisjointAndTogetherCoverTheCorpus(t *testing.T) {
	scs := manyScenarios(t, 200)
	for n := 1; n <= 5; n++ {
		t.Run(fmt.Sprintf("%d shards", n), func(t *testing.T) {
			owner := map[string]int{}
			total := 0
			for i := range n {
				sh, err := ParseShard(fmt.Sprintf("%d/%d", i, n))
				if err != nil {
					t.Fatal(err)
				}
				sel, skipped := Select(scs, nil, sh)
				if len(sel)+skipped != len(scs) {
					t.Fatalf("shard %s: %d selected + %d skipped != %d", sh, len(sel), skipped, len(scs))
				}
				if n > 1 && (len(sel) == 0 || len(sel) == len(scs)) {
					t.Fatalf("shard %s has %d of %d scenarios: the hash does not split", sh, len(sel), len(scs))
				}
				for _, sc := range sel {
					if prev, dup := owner[sc.Rel]; dup {
						t.Fatalf("%s is in shard %d and shard %d", sc.Rel, prev, i)
					}
					owner[sc.Rel] = i
				}
				total += len(sel)
			}
			if total != len(scs) || len(owner) != len(scs) {
				t.Fatalf("the shards hold %d scenarios, the corpus %d", total, len(scs))
			}
		})
	}
}

func TestAShardDependsOnThePathUnderTheCorpusNotWhereItIs(t *testing.T) {
	a, b := manyScenarios(t, 50), manyScenarios(t, 50)
	for i := range b {
		b[i].File = "/home/ci/checkout/fixtures/scenarios/" + b[i].Rel
	}
	sh := Shard{Index: 1, Count: 3}
	for i := range a {
		if sh.Has(a[i]) != sh.Has(b[i]) {
			t.Fatalf("%s changed shard with its checkout directory", a[i].Rel)
		}
	}
}

func TestShardsComeFromTheFlagOrAnIndexedJob(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cases := []struct {
		name    string
		env     map[string]string
		want    Shard
		ok      bool
		wantErr string
	}{
		{"no Job", nil, Shard{}, false, ""},
		{"an Indexed Job", map[string]string{"JOB_COMPLETION_INDEX": "2", "JOB_COMPLETIONS": "4"}, Shard{2, 4}, true, ""},
		{"an index without the count", map[string]string{"JOB_COMPLETION_INDEX": "2"}, Shard{}, false, "JOB_COMPLETIONS is not"},
		{"an index past the count", map[string]string{"JOB_COMPLETION_INDEX": "4", "JOB_COMPLETIONS": "4"}, Shard{}, false, "I from 0 to N-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := ShardFromEnv(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || ok != tc.ok || got != tc.want {
				t.Fatalf("got %v %v %v, want %v %v", got, ok, err, tc.want, tc.ok)
			}
		})
	}
	for _, bad := range []string{"1", "4/4", "-1/4", "a/b", "0/0", "1/4/2"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted it", bad)
		}
	}
}

func TestRunPicksScenariosByName(t *testing.T) {
	sel, skipped := Select(manyScenarios(t, 20), regexp.MustCompile(`scenario 01[0-4]`), Shard{})
	if len(sel) != 5 || skipped != 15 {
		t.Fatalf("selected %d, skipped %d; want 5 and 15", len(sel), skipped)
	}
}

func TestRunPicksScenariosByFilePathToo(t *testing.T) {
	scs := manyScenarios(t, 21)
	for _, c := range []struct {
		run  string
		want int
	}{{`^corpus/area-3/`, 3}, {`^area-3/`, 3}, {`scenario-01[0-4]\.yaml$`, 5}, {`area-9`, 0}} {
		sel, skipped := Select(scs, regexp.MustCompile(c.run), Shard{})
		if len(sel) != c.want || skipped != 21-c.want {
			t.Errorf("--run %s selected %d, skipped %d; want %d", c.run, len(sel), skipped, c.want)
		}
	}
}

// junitSuites is the JUnit document as a whole, the shape the writers' pieces must add up to.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

func TestJUnitIsWellFormedAndCarriesTheDiff(t *testing.T) {
	pass := mustParse(t, "pass.yaml", goodScenario)
	fail := mustParse(t, "fail.yaml", mutate(t, goodScenario, "finalStage: desktop", "finalStage: failed"))
	fail.Name = "a scenario <expecting> & failing"
	reports := RunAll(context.Background(), []*Scenario{pass, fail}, Options{Parallel: 2, WorkDir: t.TempDir()})
	var b bytes.Buffer
	if err := WriteJUnit(&b, reports, 3); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit XML does not parse: %v\n%s", err, b.String())
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || doc.Suites[0].Skipped != 3 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("suites %+v", doc)
	}
	c := doc.Suites[0].Cases
	if c[0].Failure != nil || c[1].Failure == nil || c[1].Name != "a scenario <expecting> & failing" || c[1].ClassName != "fail" {
		t.Fatalf("cases %+v", c)
	}
	f := c[1].Failure
	if f.Message != "fail.yaml:14: expect.finalStage: expected failed, got desktop" || !strings.Contains(f.Body, "expected: failed") || !strings.Contains(f.Body, "transcript around desktop") {
		t.Fatalf("failure %+v", f)
	}
	// Round trip: what was read writes back the same.
	var again bytes.Buffer
	again.WriteString(xml.Header)
	enc := xml.NewEncoder(&again)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	again.WriteString("\n")
	if again.String() != b.String() {
		t.Fatalf("the JUnit XML does not survive a round trip:\n%s\n---\n%s", b.String(), again.String())
	}
}
