package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Exit codes, mapped from errors in one place (ExitCode).
const (
	ExitOK = 0
	// ExitError is any failure: bad flags, unreadable manifests, an unreachable cluster.
	ExitError = 1
	// ExitPartial means the command ran but left some objects out (translate --strict).
	ExitPartial = 2
)

// ErrPartial marks a run that completed but left some objects out; it maps to ExitPartial.
// The details were already reported, so it is not printed again.
var ErrPartial = errors.New("some objects were left out")

// ErrDiverged marks a status --exit-code run that found drift or unconverged nodes; it maps to
// ExitError, as git diff --exit-code does. The output already shows them, so it is not printed
// again.
var ErrDiverged = errors.New("kong differs from kubernetes or some nodes have not converged")

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	var coded *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &coded):
		return coded.code
	case errors.Is(err, ErrDifferences):
		return ExitError
	case errors.Is(err, ErrPartial):
		return ExitPartial
	default:
		return ExitError
	}
}

func isSilentError(err error) bool {
	var coded *exitError
	return errors.Is(err, ErrPartial) || errors.Is(err, ErrDifferences) || errors.Is(err, ErrDiverged) ||
		errors.As(err, &coded) && coded.silent
}

// usageErrorf builds a usage error for cmd, ending with kubectl's "See '<cmd> -h' for help" hint.
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return fmt.Errorf("%s\nSee '%s -h' for help and examples", msg, cmd.CommandPath())
}

// exitError carries its own exit code: diff's errors are >1, as kubectl diff's, and the
// emulator run in-process behind `sim __kong` exits with its own code after printing its own
// error (silent).
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// diffFailed marks an error of diff, whose exit code is 2 since 1 means "differences".
func diffFailed(err error) error { return &exitError{code: 2, err: err} }
