// Package tenant is the simulated Microsoft cloud: an Entra-shaped OIDC issuer and a Graph-shaped API on loopback.
// It must never pass for the real service: it serves only fixture tenants, and client packages never import it.
package tenant
