package importers

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzDBF reads a .dbf's header, then every record and field, decoding text
// as GB18030 (the decoder that sees the most varied bytes).
func FuzzDBF(f *testing.F) {
	gbk, err := lookupEncoding("GBK", "test")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := newDBF(nopSeekCloser{bytes.NewReader(b)}, "f.dbf")
		if err != nil {
			return
		}
		defer d.Close()
		dec := newDecoder(gbk)
		for range 2 { // read, rewind, read again as encoding detection does
			for {
				rec, _, err := d.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return
				}
				for _, fd := range d.Fields {
					fd.value(rec, dec)
					fd.fieldType()
				}
			}
			if err := d.rewind(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

type nopSeekCloser struct{ io.ReadSeeker }

func (nopSeekCloser) Close() error { return nil }
