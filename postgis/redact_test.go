package postgis_test

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"tudi/postgis"
)

func TestRedactHidesThePasswordAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
		secret         []string // substrings that must not survive
	}{
		{"a URL without a password is unchanged",
			"postgres://tudi@db.example:5432/land?sslmode=require",
			"postgres://tudi@db.example:5432/land?sslmode=require", nil},
		{"a plain password",
			"postgres://tudi:s3cret@db.example:5432/land",
			"postgres://tudi:xxxxx@db.example:5432/land", []string{"s3cret"}},
		{"a percent-encoded password",
			"postgres://tudi:p%40ss@db.example/land",
			"postgres://tudi:xxxxx@db.example/land", []string{"p%40ss", "p@ss"}},
		{"a password that also appears elsewhere in the URL",
			"postgres://postgres:postgres@postgres/postgres?application_name=postgres",
			"postgres://postgres:xxxxx@postgres/postgres?application_name=postgres", nil},
		{"a one-letter password",
			"postgresql://u:p@host/db?sslmode=disable",
			"postgresql://u:xxxxx@host/db?sslmode=disable", nil},
		{"an empty password",
			"postgres://u:@host/db",
			"postgres://u:xxxxx@host/db", nil},
		{"an unescaped @ in the password",
			"postgres://u:p@ss@host/db",
			"postgres://u:xxxxx@host/db", []string{"p@ss"}},
		{"an unescaped slash in the password",
			"postgres://u:pa/ss@host/db",
			"postgres://u:xxxxx@host/db", []string{"pa/ss"}},
		{"several hosts",
			"postgres://u:pw1@h1:5432,h2:5433/db?target_session_attrs=read-write",
			"postgres://u:xxxxx@h1:5432,h2:5433/db?target_session_attrs=read-write", []string{"pw1"}},
		{"a socket directory in the query is left as written",
			"postgres://postgres@/tudi?host=/tmp/tudi-data/pg&port=5432&sslmode=disable",
			"postgres://postgres@/tudi?host=/tmp/tudi-data/pg&port=5432&sslmode=disable", nil},
		{"a password in the query",
			"postgres:///land?host=/run/pg&user=tudi&password=hunter2&sslmode=disable",
			"postgres:///land?host=/run/pg&user=tudi&password=xxxxx&sslmode=disable", []string{"hunter2"}},
		{"an escaped password key in the query",
			"postgres://h/db?pass%77ord=hunter2",
			"postgres://h/db?pass%77ord=xxxxx", []string{"hunter2"}},
		{"key=value without a password is unchanged",
			"host=db.example port=5432 dbname=land user=tudi sslmode=require",
			"host=db.example port=5432 dbname=land user=tudi sslmode=require", nil},
		{"key=value with a bare password",
			"host=db.example user=tudi password=s3cret dbname=land",
			"host=db.example user=tudi password=xxxxx dbname=land", []string{"s3cret"}},
		{"key=value with spaces around the equals sign",
			"host=db.example password = s3cret dbname=land",
			"host=db.example password = xxxxx dbname=land", []string{"s3cret"}},
		{"key=value with a quoted password holding spaces and quotes",
			`host=db.example password='a b\'c' dbname=land`,
			`host=db.example password='xxxxx' dbname=land`, []string{"a b", `\'c`}},
		{"key=value with a password equal to another value",
			"user=tudi password=tudi dbname=tudi",
			"user=tudi password=xxxxx dbname=tudi", nil},
		{"key=value with an unterminated quote is cut at the password",
			"host=h password='oops dbname=land",
			"host=h password=xxxxx", []string{"oops"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := postgis.Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			for _, s := range tc.secret {
				if strings.Contains(got, s) {
					t.Errorf("Redact(%q) = %q still shows %q", tc.in, got, s)
				}
			}
			// Whatever pgconn reads as the password is gone, and the rest of
			// what it reads is as it was.
			before, err1 := pgconn.ParseConfig(tc.in)
			after, err2 := pgconn.ParseConfig(got)
			if err1 != nil || err2 != nil {
				return
			}
			if before.Password != "" && after.Password != "xxxxx" {
				t.Errorf("Redact(%q) = %q: pgconn reads the password %q", tc.in, got, after.Password)
			}
			if strings.Contains(tc.in, "p@ss@") {
				return // pgconn splits this broken URL at another '@'
			}
			if before.Host != after.Host || before.Port != after.Port || before.Database != after.Database || before.User != after.User {
				t.Errorf("Redact(%q) = %q changed the connection: %s@%s:%d/%s, was %s@%s:%d/%s", tc.in, got,
					after.User, after.Host, after.Port, after.Database, before.User, before.Host, before.Port, before.Database)
			}
		})
	}
}
