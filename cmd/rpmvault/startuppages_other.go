//go:build !linux

package main

// releaseStartupPages does nothing outside Linux (see startuppages_linux.go).
func releaseStartupPages() error { return nil }
