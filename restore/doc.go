// Package restore decides whether the OOBE restore page shows, and why not: the eligibility
// rules as data with their sources, judged against a device profile (restore/profile).
// It does no HTTP and touches no device: restore/graph reads the backups, restore/device is
// the simulated device and restore/apply applies a backup to it.
package restore
