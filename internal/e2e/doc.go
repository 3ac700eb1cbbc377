// Package e2e holds the tests that cross feature packages, so that no
// feature package's tests import a sibling: the sample district imported
// by the importer and read by the reports. It has no code of its own.
package e2e
