package importers

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"tudi/land"
)

// The .dbf reader is written by hand, like the .shp reader (see
// shapefile.go): it hands out the raw bytes of each field so that text is
// decoded with the encoding we settle on (.cpg, language driver, detection
// or --encoding), reads records strictly in sequence through one buffer, and
// turns "****" and other garbage in numeric fields into a null and a
// warning rather than an error.

// dbfField is a column of a .dbf table.
type dbfField struct {
	Name     string // decoded
	raw      []byte // undecoded name
	Type     byte
	Offset   int // within the record, after the deletion flag
	Length   int
	Decimals int
}

// dbfReader reads a dBASE table record by record.
type dbfReader struct {
	name    string // file name for messages
	f       io.ReadSeekCloser
	r       *bufio.Reader
	Records int64 // from the header
	LDID    byte
	Fields  []dbfField
	recLen  int
	hdrLen  int
	rec     []byte
	read    int64
}

func openDBF(path, name string) (*dbfReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, land.Errorf(land.Invalid, "%s: %w", name, err)
	}
	return newDBF(f, name)
}

// newDBF reads the header of the table in f, which it closes on error.
func newDBF(f io.ReadSeekCloser, name string) (*dbfReader, error) {
	d := &dbfReader{name: name, f: f}
	if err := d.readHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

func (d *dbfReader) readHeader() error {
	var h [32]byte
	if _, err := io.ReadFull(d.f, h[:]); err != nil {
		return land.Errorf(land.Invalid, "%s: not a dBASE table (header: %w)", d.name, err)
	}
	d.Records = int64(binary.LittleEndian.Uint32(h[4:]))
	d.hdrLen = int(binary.LittleEndian.Uint16(h[8:]))
	d.recLen = int(binary.LittleEndian.Uint16(h[10:]))
	d.LDID = h[29]
	if d.hdrLen < 33 || d.recLen < 1 {
		return land.Errorf(land.Invalid, "%s: not a dBASE table (header length %d, record length %d)", d.name, d.hdrLen, d.recLen)
	}
	desc := make([]byte, d.hdrLen-32)
	if _, err := io.ReadFull(d.f, desc); err != nil {
		return land.Errorf(land.Invalid, "%s: field descriptors truncated: %w", d.name, err)
	}
	off := 0
	for i := 0; i+32 <= len(desc) && desc[i] != 0x0D; i += 32 {
		fd := desc[i : i+32]
		raw := fd[:11]
		if k := bytes.IndexByte(raw, 0); k >= 0 {
			raw = raw[:k]
		}
		f := dbfField{raw: bytes.TrimSpace(raw), Type: fd[11], Offset: off, Length: int(fd[16]), Decimals: int(fd[17])}
		if f.Type == 'C' && f.Decimals > 0 { // Clipper/FoxPro: long text fields
			f.Length += f.Decimals << 8
			f.Decimals = 0
		}
		off += f.Length
		d.Fields = append(d.Fields, f)
	}
	if off+1 > d.recLen {
		return land.Errorf(land.Invalid, "%s: fields are %d bytes long but records only %d", d.name, off+1, d.recLen)
	}
	if _, err := d.f.Seek(int64(d.hdrLen), io.SeekStart); err != nil {
		return land.Errorf(land.Invalid, "%s: %w", d.name, err)
	}
	d.r = bufio.NewReaderSize(d.f, 1<<20)
	d.rec = make([]byte, d.recLen)
	return nil
}

// next returns the raw bytes of the next record (valid until the next call)
// and whether it is marked deleted; io.EOF after the last record the header
// announces, or at the end-of-file mark.
func (d *dbfReader) next() ([]byte, bool, error) {
	if d.read >= d.Records {
		return nil, false, io.EOF
	}
	n, err := io.ReadFull(d.r, d.rec)
	if n == 1 && d.rec[0] == 0x1A || errors.Is(err, io.EOF) {
		return nil, false, io.EOF
	}
	if err != nil {
		return nil, false, land.Errorf(land.Invalid, "%s: record %d is truncated (the header announces %d records)", d.name, d.read+1, d.Records)
	}
	d.read++
	return d.rec[1:], d.rec[0] == '*', nil
}

// rewind goes back to the first record (after sampling for the encoding).
func (d *dbfReader) rewind() error {
	if _, err := d.f.Seek(int64(d.hdrLen), io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	d.r.Reset(d.f)
	d.read = 0
	return nil
}

func (d *dbfReader) Close() error { return d.f.Close() }

// fieldType is the land type of a column, for the registry's source fields.
func (f dbfField) fieldType() land.FieldType {
	switch f.Type {
	case 'N', 'F':
		if f.Decimals == 0 && f.Length < 19 {
			return land.Int
		}
		return land.Float
	case 'I', '+':
		return land.Int
	case 'O', 'B':
		return land.Float
	case 'D':
		return land.Date
	case 'L':
		return land.Bool
	}
	return land.Text
}

// value decodes one field of a record: nil for blank, and a problem reason
// (with a nil value) when the bytes cannot be read as the field's type.
func (f dbfField) value(rec []byte, dec *decoder) (v any, problem string) {
	b := rec[f.Offset : f.Offset+f.Length]
	switch f.Type {
	case 'N', 'F':
		t := trimSpaceNUL(b)
		if len(t) == 0 {
			return nil, ""
		}
		if bytes.Count(t, []byte("*")) == len(t) {
			return nil, fmt.Sprintf("overflow value %q (the number did not fit the field) read as null", t)
		}
		s := string(t)
		if f.Decimals == 0 {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n, ""
			}
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Sprintf("garbage number %q read as null", t)
		}
		return x, ""
	case 'I', '+':
		if len(b) != 4 {
			return nil, "integer field of odd length"
		}
		return int64(int32(binary.LittleEndian.Uint32(b))), ""
	case 'O':
		if len(b) != 8 {
			return nil, "double field of odd length"
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), ""
	case 'D':
		t := trimSpaceNUL(b)
		if len(t) == 0 || string(t) == "00000000" {
			return nil, ""
		}
		d, err := time.Parse("20060102", string(t))
		if err != nil {
			return nil, fmt.Sprintf("bad date %q read as null", t)
		}
		return d, ""
	case 'L':
		if len(b) == 0 {
			return nil, ""
		}
		switch b[0] {
		case 'T', 't', 'Y', 'y':
			return true, ""
		case 'F', 'f', 'N', 'n':
			return false, ""
		}
		return nil, ""
	case 'M', 'G', 'P':
		return nil, "" // memo fields live in a .dbt file that shapefiles do not carry
	}
	t := trimSpaceNUL(b)
	if len(t) == 0 {
		return nil, ""
	}
	s, ok := dec.decode(t)
	if !ok {
		return s, fmt.Sprintf("bytes not valid in %s (kept with U+FFFD)", dec.enc.Name)
	}
	return s, ""
}
