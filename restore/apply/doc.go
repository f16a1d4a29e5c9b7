// Package apply restores a backup onto a simulated device: plan every item's outcome, apply
// the plan crash-safely, report why each item ended as it did. It never reads Graph or signs in.
package apply
