// Package replay runs enrollment scenarios headless: it parses scenario files, plays each one
// against a fresh simulated tenant over loopback HTTP and checks what it expects; it never sleeps for real.
package replay
