// Package device is a simulated Windows device kept as a directory of readable JSON files.
// It stores, reads and backs up device state; it never decides what a restore does (restore/apply does).
//
// # Layout
//
//	DIR/
//	  profile.json          profile.DeviceProfile: OS version, edition, join, …, and the device name
//	  settings/<cat>.json   {"name": value} for accessibility, accountsAndWifi, personalization,
//	                        language, other and windowsUpdate (kept here, never backed up)
//	  wifi.json             saved Wi-Fi networks [{ssid, security}]
//	  apps.json             installed Store apps [{productId, name, architecture, architectures}]
//	  start.json            {"pins": [...]} on Windows 11, {"tiles": [...]} on Windows 10
//	  taskbar.json          taskbar pins [{appId, name}]
//	  policies.json         settings an Intune policy enforces [{category, name, value, source}]
//	  backups.json          when this device last backed up (the 8-day schedule)
//	  restore.json          what the last restore that changed this device did
//	  journal.json          the commit journal (see below); absent until the first change
//	  .lock                 writers hold an exclusive lock on it
//
// # Crash safety
//
// Every change is a redo journal: the complete next state goes to journal.json, marked
// pending (temp file, fsync, rename, fsync of the directory); then each file that changes is
// replaced the same way; then the journal is rewritten as done with its generation number.
// A writer that finds a pending journal (a run was killed) redoes it before anything else,
// and readers take a pending journal's state as the device's state, so a reader never sees
// a mix of old and new files. See docs/apply.md.
package device
