//go:build !linux

package pgtest

// roomyTmpfs is false where tmpfs cannot be told apart: clusters go to
// os.TempDir().
func roomyTmpfs(string, uint64) bool { return false }
