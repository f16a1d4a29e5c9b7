// Package restore decides whether the OOBE restore page shows, and why not: the device
// profile, Windows versions and the eligibility rules. It does no HTTP and touches no device.
package restore
