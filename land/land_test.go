package land_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"tudi/land"
)

func TestErrorKinds(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk on fire")
	cases := []struct {
		name    string
		err     error
		kind    land.ErrorKind
		message string
	}{
		{"a land error keeps its kind and message", land.Errorf(land.Invalid, "bbox %q: want 4 numbers", "1,2"), land.Invalid, `bbox "1,2": want 4 numbers`},
		{"a wrapped land error is still found", fmt.Errorf("outer: %w", land.Errorf(land.NotFound, "layer %q not found", "x")), land.NotFound, `layer "x" not found`},
		{"a foreign error is internal and says so only", cause, land.Internal, "internal error"},
		{"an internal land error hides its message from users", land.Wrap(land.Internal, cause, "secret path /etc"), land.Internal, "internal error"},
		{"a deadline is a timeout", fmt.Errorf("query: %w", context.DeadlineExceeded), land.Timeout, "internal error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if k := land.KindOf(c.err); k != c.kind {
				t.Errorf("KindOf = %s, want %s", k, c.kind)
			}
			if m := land.MessageOf(c.err); m != c.message {
				t.Errorf("MessageOf = %q, want %q", m, c.message)
			}
		})
	}
	wrapped := land.Errorf(land.Unavailable, "database: %w", cause)
	if !errors.Is(wrapped, cause) {
		t.Error("Errorf with %w does not unwrap to its cause")
	}
	if wrapped.Error() != "database: disk on fire" {
		t.Errorf("Error() = %q: the cause must not be spelled twice", wrapped.Error())
	}
}

func TestLayerNames(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"parcels", "p2", "renewal_units", "a"} {
		if err := land.ValidateLayerName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Parcels", "2p", "_x", "地块", `x"; drop table y`, "a-b", "x.y", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw"} {
		if err := land.ValidateLayerName(bad); land.KindOf(err) != land.Invalid {
			t.Errorf("%q accepted (err %v)", bad, err)
		}
	}
}

func TestEveryKindHasFieldsWithPresets(t *testing.T) {
	t.Parallel()
	for _, k := range land.Kinds {
		if len(k.Fields()) == 0 {
			t.Errorf("kind %s has no fields", k)
		}
		if k2, err := land.ParseKind(string(k)); err != nil || k2 != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, k2, err)
		}
		for _, f := range k.Fields() {
			if f.Title == "" || f.TitleEN == "" || len(f.Presets) == 0 {
				t.Errorf("kind %s field %s lacks titles or presets", k, f.Name)
			}
		}
	}
	if _, err := land.ParseKind("roads"); land.KindOf(err) != land.Invalid {
		t.Errorf("unknown kind accepted: %v", err)
	}
}

func TestMilestonesAreDateFields(t *testing.T) {
	t.Parallel()
	ms := land.RenewalUnits.Milestones()
	var titles []string
	for _, m := range ms {
		titles = append(titles, m.Title)
		if f, ok := land.RenewalUnits.Field(m.Field); !ok || f.Type != land.Date || m.TitleEN == "" {
			t.Errorf("milestone %+v: field %+v", m, f)
		}
	}
	if got := strings.Join(titles, " → "); got != "计划立项 → 规划批准 → 实施主体确认 → 土地出让 → 开工 → 竣工" {
		t.Errorf("renewal milestones %s", got)
	}
	if len(land.Parcels.Milestones()) != 0 {
		t.Errorf("parcels have milestones")
	}
}
