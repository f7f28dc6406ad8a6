//go:build !demo

package main

import "github.com/spf13/cobra"

// demoCommand is absent from release builds: the demo's fixture world (an
// RPM builder, a fake upstream server) is test code, built only with
// -tags demo (make demo).
func (a *app) demoCommand() *cobra.Command { return nil }
