// Package auth signs a person in to Microsoft Entra ID (or the loopback simulator) with the device
// code or auth code + PKCE flow, verifies the ID token and caches tokens; it never sends a client secret.
package auth
