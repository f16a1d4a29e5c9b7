// Package layout holds no code: its test checks the import rules of the project's packages
// (README.md, "Layout"): every import points down the layer list, and only sim/ and the CLI
// start the simulated tenant.
package layout
