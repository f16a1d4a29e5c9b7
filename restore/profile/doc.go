// Package profile is the device profile: the Windows version, edition, join type, cloud and
// provisioning of the device being set up, with their names and parsing (YAML files and
// dsregcmd /status captures), and the restore page's previous PC (BackupProfile). It sits below
// every other restore package and imports only backup and internal helpers; it judges nothing
// (restore does) and stores nothing.
package profile
