// Package pgcluster runs tudi's private PostgreSQL cluster: the embedded
// default database of `tudi serve` and of every CLI command without --db, and
// the cluster that tests start through pgcluster/pgtest.
//
// The cluster lives in <data dir>/pg. Open creates it with initdb on first
// use, starts `postgres` as a child process listening only on a unix socket
// inside the data directory, or attaches to a server another tudi process
// already runs there (two postmasters never share a data directory: the
// postmaster's own lock file decides, and the loser attaches). When the
// effective user is root, PostgreSQL, which refuses to run as root, runs as
// the `postgres` system user and owns the cluster directory.
//
// The cluster is private however it is started: pg_hba.conf has only `local`
// lines with peer authentication (no `host` line, no `trust`), and
// an empty listen_addresses and the socket settings are in the cluster's own
// tudi.conf, included from postgresql.conf, so a server started by hand with
// `pg_ctl start -D <data dir>/pg` opens no TCP port either. Open rewrites
// these files every time, upgrading clusters made by older versions in place.
// See private.go for the choice of peer over passwords.
package pgcluster
