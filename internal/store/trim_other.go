//go:build !linux || !cgo

package store

// releaseCMemory does nothing where Cairn does not run on glibc.
func releaseCMemory() {}
