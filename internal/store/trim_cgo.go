//go:build linux && cgo

package store

/*
#include <features.h>
#ifdef __GLIBC__
#include <malloc.h>
static void cairn_trim(void) { malloc_trim(0); }
#else
static void cairn_trim(void) {}
#endif
*/
import "C"

// releaseCMemory hands the C heap's free memory back to the system (glibc's
// malloc_trim; nothing elsewhere). SQLite's sorter and caches allocate
// through malloc, and after a correlation rebuild glibc kept what they freed:
// the process stayed 100 MB or more above a newly started one.
func releaseCMemory() { C.cairn_trim() }
