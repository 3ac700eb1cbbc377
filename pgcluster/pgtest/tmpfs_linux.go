package pgtest

import "syscall"

// roomyTmpfs reports whether dir is a writable tmpfs with at least free
// bytes available.
func roomyTmpfs(dir string, free uint64) bool {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != tmpfsMagic {
		return false
	}
	return st.Bavail*uint64(st.Bsize) >= free && syscall.Access(dir, 2) == nil
}
