package tui_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/kongdb/kubectl-kongdb/pkg/status"
	"github.com/kongdb/kubectl-kongdb/pkg/status/statustest"
	"github.com/kongdb/kubectl-kongdb/pkg/tui"
)

type runResult struct {
	report *status.Report
	err    error
}

// runStatus runs RunStatus over a pipe the test types into, as a terminal would.
func runStatus(t *testing.T, c status.Collector, refresh time.Duration) (*io.PipeWriter, <-chan runResult) {
	t.Helper()
	in, typeIn := io.Pipe()
	t.Cleanup(func() { typeIn.Close() })
	done := make(chan runResult, 1)
	go func() {
		r, err := tui.RunStatus(t.Context(), c, tui.StatusOptions{Refresh: refresh}, in, &bytes.Buffer{})
		done <- runResult{r, err}
	}()
	return typeIn, done
}

func finished(t *testing.T, done <-chan runResult) runResult {
	t.Helper()
	select {
	case res := <-done:
		return res
	case <-time.After(wait):
		t.Fatal("RunStatus did not return after q")
		return runResult{}
	}
}

// q ends the view at once, even with a collect still running, and that collect's context is
// cancelled so it does not outlive the view.
func TestRunStatusQuitCancelsTheRunningCollect(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	c := status.CollectorFunc(func(ctx context.Context) (*status.Report, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})
	typeIn, done := runStatus(t, c, time.Hour)
	<-started
	if _, err := typeIn.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	res := finished(t, done)
	if res.err != nil || res.report != nil {
		t.Errorf("RunStatus = %v, %v; want no report and no error", res.report, res.err)
	}
	select {
	case <-cancelled:
	case <-time.After(wait):
		t.Error("the running collect was not cancelled when the view ended")
	}
}

// RunStatus returns the last good Report, which --exit-code judges.
func TestRunStatusReturnsTheLastReport(t *testing.T) {
	c := statustest.NewCollector()
	typeIn, done := runStatus(t, c, time.Millisecond)
	called(t, c)
	c.Answers <- statustest.Answer{Report: statustest.Traditional()}
	called(t, c) // the next refresh began, so the first Report was taken in
	if _, err := typeIn.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	res := finished(t, done)
	if res.err != nil || res.report == nil || len(res.report.Nodes) != 3 {
		t.Fatalf("RunStatus = %+v, %v; want the Traditional report", res.report, res.err)
	}
}
