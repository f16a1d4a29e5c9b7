// Package profile is the device profile: the Windows version, edition, join type, cloud and
// provisioning of the device being set up, with their names and parsing (YAML files and
// dsregcmd /status captures). It is a leaf: it judges nothing (restore does) and stores nothing.
package profile
