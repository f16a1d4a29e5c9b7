package replay

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeReport is a report as play would give it, without running anything.
func fakeReport(i int) *Report {
	return &Report{Name: fmt.Sprintf("scenario %d", i), Passed: i%3 != 0}
}

func TestStreamYieldsInOrderHoldingAFewReports(t *testing.T) {
	for _, parallel := range []int{1, 2, 8} {
		t.Run(fmt.Sprintf("parallel %d", parallel), func(t *testing.T) {
			const n = 200
			var running, held, maxHeld atomic.Int64
			rng := rand.New(rand.NewPCG(1, uint64(parallel)))
			delays := make([]time.Duration, n)
			for i := range delays {
				delays[i] = time.Duration(rng.IntN(300)) * time.Microsecond
			}
			delays[5] = 20 * time.Millisecond // a long one early: the others must not pile up behind it
			play := func(ctx context.Context, i int) *Report {
				if running.Add(1) > int64(parallel) {
					t.Errorf("more than %d scenarios at once", parallel)
				}
				time.Sleep(delays[i])
				running.Add(-1)
				h := held.Add(1)
				for m := maxHeld.Load(); h > m && !maxHeld.CompareAndSwap(m, h); m = maxHeld.Load() {
				}
				return fakeReport(i)
			}
			got := 0
			for r := range stream(context.Background(), n, Options{Parallel: parallel}, play) {
				if want := fakeReport(got).Name; r.Name != want {
					t.Fatalf("report %d is %q, want %q", got, r.Name, want)
				}
				held.Add(-1)
				got++
			}
			if got != n {
				t.Fatalf("%d reports, want %d", got, n)
			}
			if limit := int64(parallel + reorderSlack); maxHeld.Load() > limit {
				t.Fatalf("%d reports held at once, want at most %d", maxHeld.Load(), limit)
			}
		})
	}
}

func TestBreakingOutOfAStreamCancelsTheRest(t *testing.T) {
	var started, cancelled atomic.Int64
	play := func(ctx context.Context, i int) *Report {
		started.Add(1)
		if i > 0 {
			<-ctx.Done() // everything after the first waits until the loop lets go
			cancelled.Add(1)
		}
		return fakeReport(i)
	}
	for r := range stream(context.Background(), 1000, Options{Parallel: 4}, play) {
		if r.Name != "scenario 0" {
			t.Fatalf("first report %q", r.Name)
		}
		break
	}
	// stream has returned, so every scenario it started has ended.
	if s, c := started.Load(), cancelled.Load(); s > 4+reorderSlack || c != s-1 {
		t.Fatalf("%d started, %d cancelled after the break", s, c)
	}
}

func TestAStreamStopsStartingScenariosWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var started atomic.Int64
	play := func(ctx context.Context, i int) *Report {
		if started.Add(1) == 3 {
			cancel()
		}
		return fakeReport(i)
	}
	got := 0
	for r := range stream(ctx, 1000, Options{Parallel: 2}, play) {
		if want := fakeReport(got).Name; r.Name != want {
			t.Fatalf("report %d is %q, want %q", got, r.Name, want)
		}
		got++
	}
	if s := started.Load(); int64(got) != s || s > 3+2+reorderSlack {
		t.Fatalf("%d started, %d yielded", s, got)
	}
}

func TestStreamParsesEachScenarioWhenItRuns(t *testing.T) {
	dir := t.TempDir()
	for i, name := range []string{"a", "b"} {
		src := strings.Replace(goodScenario, "name: ", fmt.Sprintf("name: %d ", i), 1)
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	corpus, err := Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(corpus) != 2 || corpus[0].Name != loaded[0].Name || corpus[1].Rel != loaded[1].Rel || corpus[1].File != loaded[1].File {
		t.Fatalf("Scan %+v, Load %s %s", corpus, loaded[0].Name, loaded[1].Name)
	}
	// b changes between the check and the run: its report says so, a's is the one Load's scenario gives.
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("name: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := Options{Parallel: 2, WorkDir: t.TempDir()}
	var reports []*Report
	for r := range Stream(context.Background(), corpus, opts) {
		reports = append(reports, r)
	}
	var want, got bytes.Buffer
	_ = WriteJSON(&want, RunAll(context.Background(), loaded[:1], opts))
	_ = WriteJSON(&got, reports[:1])
	if got.String() != want.String() {
		t.Fatalf("streamed:\n%s\nrun from the loaded scenario:\n%s", &got, &want)
	}
	if b := reports[1]; b.Passed || len(b.Failures) != 1 || b.Failures[0].Field != "run" || !strings.Contains(b.Failures[0].Got, "b.yaml:") || b.Name != corpus[1].Name {
		t.Fatalf("the changed file's report: %+v", b)
	}
}

// junitReports are reports for the JUnit writers: passing, failing with a transcript, and
// with names and texts XML must escape.
func junitReports() []*Report {
	start := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	return []*Report{
		{Name: "passes", File: "a.yaml", Passed: true, VirtualDuration: "24m10s", Outcome: Summary{FinalStage: "desktop"}, elapsed: 1234567 * time.Microsecond},
		{Name: `fails <on> "purpose" & 'twice'`, File: "dir/b&c.yaml", VirtualDuration: "1m20s", start: start, elapsed: 15 * time.Millisecond,
			Outcome: Summary{FinalStage: "signIn"},
			Failures: []Failure{{Field: "expect.finalStage", Expected: "desktop", Got: "signIn\nnext line", Stage: "signIn"},
				{Field: "expect.items", Expected: "<1>", Got: "]]> 2"}},
			Transcript: []Event{{At: start, Stage: "region", Kind: "enter", Text: "Is this the right country or region?"},
				{At: start.Add(80 * time.Second), Stage: "signIn", Kind: "error", Text: "wrong password\ttabbed"}}},
		{Name: "fails without failures", File: "", VirtualDuration: "0s"},
	}
}

// TestTheJUnitWritersGiveTheWholeDocumentsBytes checks that the pieces WriteJUnit and
// JUnitWriter write add up, byte for byte, to the document encoding/xml writes as a whole,
// which is what oobe replay wrote when it held every report.
func TestTheJUnitWritersGiveTheWholeDocumentsBytes(t *testing.T) {
	all := junitReports()
	for n := range len(all) + 1 {
		reports := all[:n]
		t.Run(fmt.Sprintf("%d reports", n), func(t *testing.T) {
			var took time.Duration
			for _, r := range reports {
				took += r.elapsed
			}
			suite := junitSuite{Name: "oobe replay", Tests: n, Skipped: 2, Time: junitSeconds(took)}
			for _, r := range reports {
				if !r.Passed {
					suite.Failures++
				}
				suite.Cases = append(suite.Cases, junitCaseOf(r))
			}
			doc := junitSuites{Name: "oobe replay", Tests: n, Failures: suite.Failures, Time: junitSeconds(took), Suites: []junitSuite{suite}}
			var whole bytes.Buffer
			whole.WriteString(xml.Header)
			enc := xml.NewEncoder(&whole)
			enc.Indent("", "  ")
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			whole.WriteString("\n")

			var written bytes.Buffer
			if err := WriteJUnit(&written, reports, 2); err != nil {
				t.Fatal(err)
			}
			if written.String() != whole.String() {
				t.Fatalf("WriteJUnit:\n%s\nthe whole document:\n%s", &written, &whole)
			}

			jw, err := NewJUnitWriter(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reports {
				if err := jw.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			var streamed bytes.Buffer
			if err := jw.Finish(&streamed, 2); err != nil {
				t.Fatal(err)
			}
			spool := jw.spool.Name()
			if err := jw.Close(); err != nil {
				t.Fatal(err)
			}
			if streamed.String() != whole.String() {
				t.Fatalf("JUnitWriter:\n%s\nthe whole document:\n%s", &streamed, &whole)
			}
			if _, err := os.Stat(spool); !os.IsNotExist(err) {
				t.Fatalf("the spool %s is still there: %v", spool, err)
			}
		})
	}
}
