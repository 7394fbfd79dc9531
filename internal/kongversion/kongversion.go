// Package kongversion holds the one Kong Gateway version the project speaks: the version the
// emulator reports and serves its schemas for, and the version translate assumes KIC sees when
// a translation depends on it. Keeping it in one place keeps the two sides of the wire agreed.
package kongversion

// Version is the Kong Gateway version kubectl-kongdb targets and kong-emulator reports.
const Version = "3.9.3"
