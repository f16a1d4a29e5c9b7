// Package tui is the terminal UI of the Autopilot setup: one root model that draws the flow
// engine's stages as screens and answers its questions (oobe.Person) from key presses.
// It does no I/O in Update: the flow, the browser and the files are reached through commands.
package tui
