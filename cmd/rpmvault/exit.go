package main

import (
	"errors"
	"fmt"

	"github.com/rpmvault/rpmvault/abi"
	"github.com/rpmvault/rpmvault/bundle"
	"github.com/rpmvault/rpmvault/installer"
	"github.com/rpmvault/rpmvault/mirror"
	"github.com/rpmvault/rpmvault/resolver"
	"github.com/rpmvault/rpmvault/resolver/rpmmd"
	"github.com/rpmvault/rpmvault/store"
)

// Exit codes of the command-line contract (DESIGN.md).
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitUnresolvable = 3
	exitVerification = 4
	exitPreflight    = 5
)

// usageError marks a command line that cannot be run as given.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// codedError carries an exit code decided by the command that failed, for
// outcomes that are not Go errors of another package (a failed preflight).
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// exitCode maps an error to the contract's exit code. Packages export typed
// errors; this is the one place that knows which type means which code.
func exitCode(err error) int {
	var ue usageError
	var ce codedError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce):
		return ce.code
	}
	for _, m := range errorCodes {
		if m.is(err) {
			return m.code
		}
	}
	return exitError
}

// errorCodes lists the typed errors of the packages and their exit codes.
var errorCodes = []struct {
	is   func(error) bool
	code int
}{
	{func(err error) bool { var e *resolver.UnsatisfiableError; return errors.As(err, &e) }, exitUnresolvable},
	{func(err error) bool { var e *abi.FindingsError; return errors.As(err, &e) }, exitUnresolvable},
	{func(err error) bool { var e *resolver.MissingSourceError; return errors.As(err, &e) }, exitUnresolvable},
	{func(err error) bool { var e *rpmmd.ChecksumMismatchError; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *mirror.VerifyError; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *store.CorruptError; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *bundle.Error; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *installer.TransactionError; return errors.As(err, &e) }, exitPreflight},
	{func(err error) bool { var e *installer.PreflightError; return errors.As(err, &e) }, exitPreflight},
	{func(err error) bool { var e *installer.EscapeError; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *installer.DigestError; return errors.As(err, &e) }, exitVerification},
	{func(err error) bool { var e *installer.UnpinnedError; return errors.As(err, &e) }, exitVerification},
}
