package e2e_test

import (
	"testing"

	"tudi/pgcluster/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
