// Package sim builds a simulated world from a plain Go Spec: the Entra- and Graph-shaped tenant
// on 127.0.0.1, the device being set up, the old PC's backups and the clock, wired as the flow's
// oobe.Config. It reads no scenario files and parses no YAML (its callers map their own formats
// to a Spec), and it is the only package besides tests that starts the tenant.
package sim
