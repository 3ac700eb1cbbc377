package land

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FieldValue is an allowed value of a field, with the colour that styles and
// legends give it.
type FieldValue struct {
	Value   string `json:"value"`
	Title   string `json:"title"` // Chinese label (the value itself when not given)
	TitleEN string `json:"title_en"`
	Color   string `json:"color"`           // #rrggbb
	Level   int    `json:"level,omitempty"` // land use: 1 for a first-level class, 2 for a second-level code
}

// KindStyle is the default style of a kind: which field colours it (by the
// colours of that field's values) or else a plain fill, and its outline.
type KindStyle struct {
	Field   string // the field whose values colour the features; empty: Fill
	Match   string // "prefix2": a code without its own colour takes its first two digits' colour
	Fill    string // fill colour when not by field
	Outline string // outline colour
	Other   string // colour of values not listed
	Note    string // a note for the legend
}

// KindSpec is a kind as the catalogue declares it: one file per kind.
type KindSpec struct {
	Kind       Kind
	Title      string // Chinese name
	TitleEN    string
	CodeField  string // the field that identifies a feature across imports; empty: none
	Fields     []Field
	Milestones []Milestone
	Style      KindStyle
	File       string // where it was declared, for messages
}

// Field returns the field of s with the given name.
func (s *KindSpec) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Catalog is the set of kinds tudi knows: the embedded ones, plus or
// overridden by those of a catalogue directory (--catalog). It is built once
// at start and never changed.
type Catalog struct {
	kinds map[Kind]*KindSpec
	order []Kind // canonical kinds first, then added ones by name
}

// or returns c, or the embedded catalogue when c is nil.
func (c *Catalog) or() *Catalog {
	if c == nil {
		return defaultCatalog
	}
	return c
}

// Kind returns the spec of k, or nil when the catalogue has no such kind.
// A nil catalogue is the embedded one.
func (c *Catalog) Kind(k Kind) *KindSpec { return c.or().kinds[k] }

// Spec returns the spec of k. A kind the catalogue does not have (a stored
// layer of a kind since removed from it, or of a --catalog kind read
// without that catalogue) gets Generic's titles and style and no canonical
// fields: its table is read as it is, every column but id, props, geom and
// area_m2 ignored. A nil catalogue is the embedded one. The spec is shared:
// do not modify it.
func (c *Catalog) Spec(k Kind) *KindSpec {
	c = c.or()
	if s := c.kinds[k]; s != nil {
		return s
	}
	g := c.kinds[Generic]
	return &KindSpec{Kind: k, Title: g.Title, TitleEN: g.TitleEN, Style: g.Style, File: g.File}
}

// Kinds lists the kinds of the catalogue: the canonical ones first, then any
// added kind by name.
func (c *Catalog) Kinds() []Kind { return slices.Clone(c.or().order) }

// ParseKind returns the kind named s if the catalogue has it, or an Invalid
// error listing the kinds.
func (c *Catalog) ParseKind(s string) (Kind, error) {
	c = c.or()
	if _, ok := c.kinds[Kind(s)]; ok {
		return Kind(s), nil
	}
	names := make([]string, len(c.order))
	for i, k := range c.order {
		names[i] = string(k)
	}
	return "", Errorf(Invalid, "unknown kind %q (allowed: %s)", s, strings.Join(names, ", "))
}

// Overlay returns a catalogue with the kinds of c, to which those read from
// the *.yaml files of dir in fsys are added, replacing kinds of the same
// name. label names dir in messages (e.g. the --catalog path). It returns an
// Invalid error naming the file and line of the first problem.
func (c *Catalog) Overlay(fsys fs.FS, dir, label string) (*Catalog, error) {
	c = c.or()
	specs, err := ReadKinds(fsys, dir, label)
	if err != nil {
		return nil, err
	}
	out := &Catalog{kinds: map[Kind]*KindSpec{}, order: slices.Clone(c.order)}
	for k, s := range c.kinds {
		out.kinds[k] = s
	}
	var added []Kind
	for _, s := range specs {
		if _, ok := out.kinds[s.Kind]; !ok {
			added = append(added, s.Kind)
		}
		out.kinds[s.Kind] = s
	}
	slices.Sort(added)
	out.order = append(out.order, added...)
	return out, nil
}

//go:embed catalog/kinds/*.yaml
var embeddedKinds embed.FS

// defaultCatalog is the embedded catalogue, parsed once: a constant-like
// table (TestDefaultCatalog proves it valid, so the panic cannot happen in a
// released binary).
var defaultCatalog = func() *Catalog {
	specs, err := ReadKinds(embeddedKinds, "catalog/kinds", "land/catalog/kinds")
	if err != nil {
		panic(err)
	}
	c := &Catalog{kinds: map[Kind]*KindSpec{}}
	for _, s := range specs {
		c.kinds[s.Kind] = s
	}
	for _, k := range Kinds {
		if c.kinds[k] == nil {
			panic(fmt.Sprintf("embedded catalogue lacks kind %q", k))
		}
		c.order = append(c.order, k)
	}
	// The other embedded kinds (renewal_projects, land_approvals) after
	// the canonical ones, by name, as Overlay adds a catalogue's.
	var added []Kind
	for k := range c.kinds {
		if !slices.Contains(Kinds, k) {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	c.order = append(c.order, added...)
	return c
}()

// DefaultCatalog returns the embedded catalogue: the canonical kinds.
func DefaultCatalog() *Catalog { return defaultCatalog }

// The YAML shape of a kind file. Strict decoding (unknown keys are errors)
// catches a misspelt key, which would otherwise be silently dropped.
type kindFile struct {
	Kind       string          `yaml:"kind"`
	Title      string          `yaml:"title"`
	TitleEN    string          `yaml:"title_en"`
	CodeField  string          `yaml:"code_field"`
	Fields     []fieldFile     `yaml:"fields"`
	Milestones []milestoneFile `yaml:"milestones"`
	Style      styleFile       `yaml:"style"`
}

type fieldFile struct {
	Name    string      `yaml:"name"`
	Type    string      `yaml:"type"`
	Title   string      `yaml:"title"`
	TitleEN string      `yaml:"title_en"`
	Unit    string      `yaml:"unit"`
	Presets []string    `yaml:"presets"`
	Values  []valueFile `yaml:"values"`
	Index   bool        `yaml:"index"`
}

type valueFile struct {
	Value   string `yaml:"value"`
	Title   string `yaml:"title"`
	TitleEN string `yaml:"title_en"`
	Color   string `yaml:"color"`
	Level   int    `yaml:"level"`
}

type milestoneFile struct {
	Field   string `yaml:"field"`
	Title   string `yaml:"title"`
	TitleEN string `yaml:"title_en"`
}

type styleFile struct {
	Field   string `yaml:"field"`
	Match   string `yaml:"match"`
	Fill    string `yaml:"fill"`
	Outline string `yaml:"outline"`
	Other   string `yaml:"other"`
	Note    string `yaml:"note"`
}

var (
	colorRE     = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	fieldNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	yamlLineRE  = regexp.MustCompile(`^yaml: (?:unmarshal errors:\n\s*)?line (\d+): (.*)$`)
)

// ReadKinds reads and validates every *.yaml file of dir in fsys, one kind
// per file, in file-name order. label replaces dir in messages. Errors are
// Invalid and read "FILE:LINE: kind "K": field "F": problem".
func ReadKinds(fsys fs.FS, dir, label string) ([]*KindSpec, error) {
	var out []*KindSpec
	seen := map[Kind]string{}
	err := ReadCatalogFiles(fsys, dir, "*.yaml", label, func(file string, b []byte) error {
		s, err := parseKind(b, file)
		if err != nil {
			return err
		}
		if prev, ok := seen[s.Kind]; ok {
			return Errorf(Invalid, "%s:%d: duplicate kind %q (also declared in %s)", file, s.line, s.Kind, prev)
		}
		seen[s.Kind] = file
		out = append(out, s.KindSpec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadCatalogFiles calls fn with each file of dir in fsys that matches
// pattern (e.g. "*.yaml"), in file-name order, named as label/BASE for
// messages, and stops at the first error. The kinds and the reports of a
// catalogue are read with it.
func ReadCatalogFiles(fsys fs.FS, dir, pattern, label string, fn func(file string, data []byte) error) error {
	names, err := fs.Glob(fsys, path.Join(dir, pattern))
	if err != nil {
		return fmt.Errorf("catalogue %s: %w", label, err)
	}
	sort.Strings(names)
	for _, name := range names {
		file := path.Join(label, path.Base(name))
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("catalogue %s: %w", file, err)
		}
		if err := fn(file, b); err != nil {
			return err
		}
	}
	return nil
}

type parsedKind struct {
	*KindSpec
	line int
}

func parseKind(b []byte, file string) (parsedKind, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return parsedKind{}, yamlError(file, err)
	}
	var kf kindFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&kf); err != nil {
		return parsedKind{}, yamlError(file, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	at := func(p ...any) int { return lineAt(doc, p...) }
	bad := func(line int, format string, args ...any) error {
		return Errorf(Invalid, "%s:%d: kind %q: %s", file, line, kf.Kind, fmt.Sprintf(format, args...))
	}
	if !fieldNameRE.MatchString(kf.Kind) {
		return parsedKind{}, Errorf(Invalid, "%s:%d: invalid kind name %q: use lower-case letters, digits and _", file, at("kind"), kf.Kind)
	}
	s := &KindSpec{Kind: Kind(kf.Kind), Title: kf.Title, TitleEN: kf.TitleEN, CodeField: kf.CodeField, File: file}
	if s.Title == "" {
		return parsedKind{}, bad(at("kind"), "missing title")
	}
	if len(kf.Fields) == 0 {
		return parsedKind{}, bad(at("kind"), "no fields")
	}
	types := map[string]FieldType{}
	indexed := 0
	for i, ff := range kf.Fields {
		line := at("fields", i)
		if !fieldNameRE.MatchString(ff.Name) {
			return parsedKind{}, bad(line, "invalid field name %q: use lower-case letters, digits and _", ff.Name)
		}
		if slices.Contains(reservedColumns, ff.Name) {
			return parsedKind{}, bad(line, "field %q: reserved column name (every layer has %s)", ff.Name, strings.Join(reservedColumns, ", "))
		}
		if _, dup := types[ff.Name]; dup {
			return parsedKind{}, bad(line, "field %q: duplicate field", ff.Name)
		}
		t := FieldType(ff.Type)
		if !slices.Contains(fieldTypes, t) {
			return parsedKind{}, bad(at("fields", i, "type"), "field %q: unknown type %q (allowed: text, int, float, date, bool)", ff.Name, ff.Type)
		}
		types[ff.Name] = t
		if ff.Index {
			if indexed++; indexed > maxIndexedFields {
				return parsedKind{}, bad(at("fields", i, "index"), "field %q: more than %d fields with index: true (each index slows every import)", ff.Name, maxIndexedFields)
			}
		}
		f := Field{Name: ff.Name, Type: t, Title: ff.Title, TitleEN: ff.TitleEN, Unit: ff.Unit, Presets: ff.Presets, Index: ff.Index}
		seenValue := map[string]bool{}
		for j, v := range ff.Values {
			vline := at("fields", i, "values", j)
			if seenValue[v.Value] {
				return parsedKind{}, bad(vline, "field %q: duplicate value %q", ff.Name, v.Value)
			}
			seenValue[v.Value] = true
			if !colorRE.MatchString(v.Color) {
				return parsedKind{}, bad(vline, "field %q: value %q: bad colour %q (want #rrggbb)", ff.Name, v.Value, v.Color)
			}
			fv := FieldValue(v)
			if fv.Title == "" {
				fv.Title = fv.Value
			}
			f.Values = append(f.Values, fv)
		}
		s.Fields = append(s.Fields, f)
	}
	if s.CodeField != "" {
		if _, ok := types[s.CodeField]; !ok {
			return parsedKind{}, bad(at("code_field"), "code_field %q is not a field", s.CodeField)
		}
	}
	seenMilestone := map[string]bool{}
	for i, m := range kf.Milestones {
		line := at("milestones", i)
		t, ok := types[m.Field]
		if !ok {
			return parsedKind{}, bad(line, "milestone %q: field %q is not a field", m.Title, m.Field)
		}
		if t != Date {
			return parsedKind{}, bad(line, "milestone %q: field %q is of type %s, not date", m.Title, m.Field, t)
		}
		if seenMilestone[m.Field] {
			return parsedKind{}, bad(line, "milestone %q: field %q is already a milestone", m.Title, m.Field)
		}
		seenMilestone[m.Field] = true
		s.Milestones = append(s.Milestones, Milestone(m))
	}
	s.Style = KindStyle(kf.Style)
	if s.Style.Field != "" {
		f, ok := s.Field(s.Style.Field)
		if !ok {
			return parsedKind{}, bad(at("style", "field"), "style: field %q is not a field", s.Style.Field)
		}
		if len(f.Values) == 0 {
			return parsedKind{}, bad(at("style", "field"), "style: field %q has no values to colour by", s.Style.Field)
		}
	}
	if s.Style.Match != "" && s.Style.Match != "prefix2" {
		return parsedKind{}, bad(at("style", "match"), "style: unknown match %q (allowed: prefix2)", s.Style.Match)
	}
	for _, c := range []struct{ key, v string }{{"fill", s.Style.Fill}, {"outline", s.Style.Outline}, {"other", s.Style.Other}} {
		if c.v != "" && !colorRE.MatchString(c.v) {
			return parsedKind{}, bad(at("style", c.key), "style: %s: bad colour %q (want #rrggbb)", c.key, c.v)
		}
	}
	return parsedKind{KindSpec: s, line: at("kind")}, nil
}

var fieldTypes = []FieldType{Text, Int, Float, Date, Bool}

// maxIndexedFields bounds the fields of a kind marked `index: true`.
const maxIndexedFields = 8

// reservedColumns are the columns every layer table (or its history) has
// besides the kind's fields: a field cannot take their names.
var reservedColumns = []string{"id", "props", "geom", "geom_3857", "area_m2", "valid_from", "valid_to"}

// yamlError turns a YAML error ("yaml: line 7: …") into "FILE:7: …".
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return Errorf(Invalid, "%s:%s: %s", file, m[1], m[2])
	}
	return Errorf(Invalid, "%s: %s", file, strings.TrimPrefix(msg, "yaml: "))
}

// lineAt returns the line of the node at p (map keys and sequence indexes)
// under n, or of the deepest node found on the way.
func lineAt(n *yaml.Node, p ...any) int {
	line := n.Line
	for _, step := range p {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next = n.Content[i+1]
						if next.Kind == yaml.ScalarNode {
							next = n.Content[i] // the key's line, same as a scalar value's
						}
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
			}
		}
		if next == nil {
			return line
		}
		n, line = next, next.Line
	}
	return line
}
