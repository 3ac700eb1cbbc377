package land

import (
	"regexp"
	"slices"
	"strings"
)

// Kind is the kind of a layer. Five kinds have a canonical schema that the
// reports rely on; anything else is Generic.
type Kind string

// The layer kinds.
const (
	Parcels      Kind = "parcels"
	Farmland     Kind = "farmland"
	RenewalUnits Kind = "renewal_units"
	IdleLand     Kind = "idle_land"
	Boundaries   Kind = "boundaries"
	Generic      Kind = "generic"
	// InspectionPatches are 卫片 patches and inspection problems with their
	// rectification; Permits are the planning office's approvals.
	InspectionPatches Kind = "inspection_patches"
	Permits           Kind = "permits"
	// Expropriation and renovation (征收、三改): plots, households, projects.
	Acquisition Kind = "acquisition"
	Households  Kind = "households"
	Renovation  Kind = "renovation"
)

// Kinds lists every kind, canonical ones first.
var Kinds = []Kind{Parcels, Farmland, RenewalUnits, IdleLand, Boundaries, Generic, InspectionPatches, Permits, Acquisition, Households, Renovation}

// FieldType is the type of a canonical field, which decides its column type
// and how source values are normalised.
type FieldType string

// The field types.
const (
	Text  FieldType = "text"
	Int   FieldType = "int"
	Float FieldType = "float"
	Date  FieldType = "date"
	Bool  FieldType = "bool"
)

// SQLType returns the PostgreSQL column type of t.
func (t FieldType) SQLType() string {
	switch t {
	case Int:
		return "integer"
	case Float:
		return "double precision"
	case Date:
		return "date"
	case Bool:
		return "boolean"
	}
	return "text"
}

// Field is a canonical field of a kind.
type Field struct {
	Name    string       // column name, lower_snake ASCII
	Type    FieldType    // column type
	Title   string       // Chinese label
	TitleEN string       // English label
	Unit    string       // unit of a number, if any
	Presets []string     // common source field names, upper case, in order of preference
	Values  []FieldValue // allowed values with their colours, if the field has a closed list
	// Index asks for a B-tree index on the column, created with the layer
	// table: for the fields that filters, counts and reports select on.
	Index bool
}

// Valid values of some canonical fields, for reports, styles and legends,
// as the embedded catalogue declares them (land/catalog/kinds).
var (
	SupplyMethods  = Parcels.values("supply_method")
	RenewalStages  = RenewalUnits.values("stage")
	DisposalStates = IdleLand.values("disposal_status")
	IdleKinds      = IdleLand.values("kind")
)

// values returns the allowed values of field name of k.
func (k Kind) values(name string) []string {
	f, _ := k.Field(name)
	out := make([]string, len(f.Values))
	for i, v := range f.Values {
		out[i] = v.Value
	}
	return out
}

// Milestone is a step of a kind's progress, dated by a date field: a
// feature has reached it on that date.
type Milestone struct {
	Field   string // the date field
	Title   string // the stage reached, in Chinese
	TitleEN string // the stage reached, in English
}

// Spec returns the embedded catalogue's declaration of k (Generic's for an
// unknown kind). It is shared: do not modify it.
func (k Kind) Spec() *KindSpec {
	if s := defaultCatalog.Kind(k); s != nil {
		return s
	}
	return defaultCatalog.Kind(Generic)
}

// Milestones returns the ordered milestones of k (none for most kinds). The
// stage of a feature as of a date D is the last milestone whose date is on
// or before D. The slice is shared: do not modify it.
func (k Kind) Milestones() []Milestone {
	if s := defaultCatalog.Kind(k); s != nil {
		return s.Milestones
	}
	return nil
}

// Fields returns the canonical fields of k (Generic's for an unknown kind).
// The slice is shared: do not modify it.
func (k Kind) Fields() []Field { return k.Spec().Fields }

// Field returns the canonical field of k with the given name.
func (k Kind) Field(name string) (Field, bool) { return k.Spec().Field(name) }

// Title returns the Chinese and English names of the kind.
func (k Kind) Title() (zh, en string) {
	s := k.Spec()
	return s.Title, s.TitleEN
}

// ParseKind returns the kind named s, or an Invalid error listing the kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", Errorf(Invalid, "unknown kind %q (allowed: %s)", s, strings.Join(names, ", "))
}

var layerNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// ValidateLayerName returns an Invalid error unless name is a valid layer
// name: lower-case ASCII letters, digits and underscores, starting with a
// letter, at most 48 characters. Layer names are also MVT layer names and
// table names, so they must be stable ASCII.
func ValidateLayerName(name string) error {
	if !layerNameRE.MatchString(name) {
		return Errorf(Invalid, "invalid layer name %q: use lower-case letters, digits and _ (starting with a letter, at most 48)", name)
	}
	return nil
}
