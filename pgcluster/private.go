package pgcluster

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// The cluster stays private however it is started — by tudi, or by hand
// with `pg_ctl start -D DIR/pg` after a crash — because everything that makes
// it private is in its own files rather than on tudi's command line:
//
//   - postgresql.conf ends with `include 'tudi.conf'`, and tudi.conf sets
//     listen_addresses = '' (no TCP at all), the unix socket in the cluster
//     directory itself (0700, so only the server's user and root reach it)
//     with mode 0700, and the port;
//   - pg_hba.conf has `local` lines only, all `peer` through the pg_ident
//     map "tudi": no `host` line, no `trust`, no password.
//
// Why peer and not scram-sha-256: peer needs no secret. The kernel vouches
// for the connecting user (SO_PEERCRED) and pg_ident.conf names the system
// users allowed to act as the database superuser `postgres`: the user running
// tudi and the user running the server. Those are the same user when tudi
// runs as an ordinary user; when tudi runs as root, the server runs as the
// `postgres` system user and tudi connects as root, so both are mapped. A
// password would have to sit in a file both of them read and in every
// connection URL (so in process lists and logs) for no gain: only those two
// users can reach the socket anyway.
//
// Open writes these files at every start and attach (so clusters made by
// older tudi versions, whose initdb wrote `trust` lines, are upgraded in
// place) and reloads a running server when they changed.

// identMap is the pg_ident.conf map name of tudi's peer rule.
const identMap = "tudi"

// includeFile is the file tudi owns in the cluster directory, included at the
// end of postgresql.conf.
const includeFile = "tudi.conf"

// hbaConf is the whole pg_hba.conf of the cluster.
const hbaConf = `# Written by tudi at every start; edits are overwritten.
#
# The embedded cluster takes connections only on its unix socket, from the
# system users named in pg_ident.conf (map "tudi"), identified by the kernel
# (peer). There are deliberately no "host" lines: TCP connections are refused
# even if listen_addresses is changed. To reach the data from elsewhere, run
# tudi against your own PostgreSQL server with --db instead.
#
# TYPE  DATABASE     USER  METHOD
local   all          all   peer map=` + identMap + `
local   replication  all   peer map=` + identMap + `
`

// confFile renders tudi.conf from the settings.
func confFile(settings map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString("# Written by tudi at every start and included from postgresql.conf; edits are\n")
	b.WriteString("# overwritten. listen_addresses, unix_socket_* and port keep the cluster private\n")
	b.WriteString("# whoever starts it (tudi, or pg_ctl start -D by hand).\n")
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	return b.Bytes()
}

// identFile renders pg_ident.conf: the lines of the current file that are not
// tudi's map kept as they are, then tudi's map with the users it had plus
// users.
func identFile(old []byte, users []string) []byte {
	var keep []string
	mapped := map[string]bool{}
	for _, line := range strings.Split(string(old), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == identMap {
			if f[2] == "postgres" {
				mapped[f[1]] = true
			}
			continue
		}
		if strings.HasPrefix(line, "# tudi:") || (len(keep) == 0 && strings.TrimSpace(line) == "") {
			continue
		}
		keep = append(keep, line)
	}
	for len(keep) > 0 && strings.TrimSpace(keep[len(keep)-1]) == "" {
		keep = keep[:len(keep)-1]
	}
	for _, u := range users {
		mapped[u] = true
	}
	var b bytes.Buffer
	for _, l := range keep {
		b.WriteString(l + "\n")
	}
	if len(keep) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("# tudi: the system users that run tudi or its server connect as the database\n")
	b.WriteString("# tudi: superuser postgres (peer authentication, see pg_hba.conf).\n")
	for _, u := range slices.Sorted(maps.Keys(mapped)) {
		fmt.Fprintf(&b, "%s %s postgres\n", identMap, u)
	}
	return b.Bytes()
}

// includeLine makes postgresql.conf end with the include of tudi.conf; the
// include is kept where it is when already there.
func includeLine(conf []byte) []byte {
	want := "include '" + includeFile + "'"
	for _, line := range strings.Split(string(conf), "\n") {
		if strings.TrimSpace(line) == want {
			return conf
		}
	}
	out := slices.Clone(conf)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, []byte("\n# tudi's settings (listen_addresses, socket, port, sizes): keep this line last.\n"+want+"\n")...)
	return out
}

// systemUsers names the system users that must be able to connect: the one
// running tudi and the one running the server.
func systemUsers(cred *syscall.Credential) ([]string, error) {
	me, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("the user running tudi has no name (peer authentication needs one): %w", err)
	}
	users := []string{me.Username}
	if cred != nil {
		u, err := user.LookupId(strconv.Itoa(int(cred.Uid)))
		if err != nil {
			return nil, fmt.Errorf("look up the server's user %d: %w", cred.Uid, err)
		}
		users = append(users, u.Username)
	}
	return users, nil
}

// writePrivateConfig writes pg_hba.conf, pg_ident.conf, tudi.conf and the
// include in postgresql.conf, each only when its content changes, owned by
// the server's user with mode 0600. It reports whether anything changed.
func writePrivateConfig(pgDir string, cred *syscall.Credential, settings map[string]string) (bool, error) {
	users, err := systemUsers(cred)
	if err != nil {
		return false, err
	}
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(pgDir, name))
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(pgDir, name), err)
		}
		return b, nil
	}
	ident, err := read("pg_ident.conf")
	if err != nil {
		return false, err
	}
	conf, err := read("postgresql.conf")
	if err != nil {
		return false, err
	}
	changed := false
	// tudi.conf before the include, so that postgresql.conf never names a
	// missing file (include, unlike include_if_exists, refuses to start
	// without it: the cluster fails closed).
	for _, f := range []struct {
		name string
		data []byte
	}{
		{includeFile, confFile(settings)},
		{"pg_ident.conf", identFile(ident, users)},
		{"pg_hba.conf", []byte(hbaConf)},
		{"postgresql.conf", includeLine(conf)},
	} {
		c, err := writeIfChanged(filepath.Join(pgDir, f.name), f.data, cred)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	return changed, nil
}

// writeIfChanged replaces path with data (through a temp file and rename)
// unless it already holds exactly that, and makes it 0600 and owned by the
// server's user either way.
func writeIfChanged(path string, data []byte, cred *syscall.Credential) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, ownPrivate(path, cred)
	}
	// A temp file of its own: two tudi processes may open the cluster at once.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	if err := ownPrivate(tmp, cred); err != nil {
		_ = os.Remove(tmp)
		return false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("write %s: %w", path, err)
	}
	return true, nil
}

// ownPrivate makes path 0600 and, when tudi runs as root, owned by the
// server's user.
func ownPrivate(path string, cred *syscall.Credential) error {
	if cred != nil {
		if err := os.Lchown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}
