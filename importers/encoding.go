package importers

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"tudi/land"
)

// textEncoding is a named text encoding of .dbf values.
type textEncoding struct {
	Name string // canonical name for the summary: GBK, GB18030, UTF-8, Big5, …
	enc  encoding.Encoding
}

// utf8Encoding needs no decoding.
var utf8Encoding = textEncoding{Name: "UTF-8"}

// lookupEncoding normalises the names found in .cpg files and given on the
// command line — GBK, CP936, 936, GB2312, "ANSI 936", GB18030, UTF-8, UTF8,
// 65001, Big5, "Big-5", 950 … — and returns the encoding, or an Invalid
// error naming where the name came from.
func lookupEncoding(name, from string) (textEncoding, error) {
	key := strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))
	key = strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(key)
	key = strings.TrimPrefix(key, "ANSI")
	switch key {
	case "GBK", "CP936", "936", "GB2312", "WINDOWS936", "MS936", "EUCCN", "XGBK", "GB231280":
		return textEncoding{"GBK", simplifiedchinese.GBK}, nil
	case "GB18030", "54936", "CP54936":
		return textEncoding{"GB18030", simplifiedchinese.GB18030}, nil
	case "UTF8", "65001", "CP65001", "UNICODE":
		return utf8Encoding, nil
	case "BIG5", "950", "CP950", "BIG5HKSCS":
		return textEncoding{"Big5", traditionalchinese.Big5}, nil
	case "1252", "CP1252", "WINDOWS1252":
		return textEncoding{"windows-1252", charmap.Windows1252}, nil
	case "932", "CP932", "SHIFTJIS", "SJIS":
		return textEncoding{"Shift_JIS", japanese.ShiftJIS}, nil
	case "949", "CP949", "EUCKR":
		return textEncoding{"EUC-KR", korean.EUCKR}, nil
	}
	for _, lookup := range []func(string) (encoding.Encoding, error){ianaindex.IANA.Encoding, htmlindex.Get} {
		if e, err := lookup(strings.TrimSpace(name)); err == nil && e != nil {
			if e == unicode.UTF8 {
				return utf8Encoding, nil
			}
			n, _ := ianaindex.MIME.Name(e)
			if n == "" {
				n, _ = ianaindex.IANA.Name(e)
			}
			if n == "" {
				n = strings.TrimSpace(name)
			}
			return textEncoding{n, e}, nil
		}
	}
	return textEncoding{}, land.Errorf(land.Invalid, "%s: unknown text encoding %q (use for example GBK, GB18030, UTF-8 or Big5)", from, name)
}

// encodingOfLDID maps the dBASE language-driver id (byte 29 of the .dbf
// header) onto an encoding, for the ids that say something definite. 0x57
// ("ANSI", the writer's code page) and 0 say nothing.
func encodingOfLDID(b byte) (textEncoding, bool) {
	switch b {
	case 0x4D, 0x7A: // code page 936: Chinese GBK (PRC)
		return textEncoding{"GBK", simplifiedchinese.GBK}, true
	case 0x78: // code page 950: Chinese Big5 (Taiwan)
		return textEncoding{"Big5", traditionalchinese.Big5}, true
	case 0x7B, 0x13: // code page 932: Japanese
		return textEncoding{"Shift_JIS", japanese.ShiftJIS}, true
	case 0x79: // code page 949: Korean
		return textEncoding{"EUC-KR", korean.EUCKR}, true
	case 0x03: // code page 1252: Windows ANSI
		return textEncoding{"windows-1252", charmap.Windows1252}, true
	}
	return textEncoding{}, false
}

// decoder turns raw bytes into strings, caching short non-ASCII values: the
// text columns of land data repeat a few names (streets, land-use names)
// hundreds of thousands of times.
type decoder struct {
	enc   textEncoding
	dec   *encoding.Decoder
	cache map[string]string
}

func newDecoder(e textEncoding) *decoder {
	d := &decoder{enc: e, cache: map[string]string{}}
	if e.enc != nil {
		d.dec = e.enc.NewDecoder()
	}
	return d
}

// decode returns b as a string; bytes that are not valid in the encoding
// become U+FFFD, and ok is false then.
func (d *decoder) decode(b []byte) (s string, ok bool) {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), true
	}
	if s, ok := d.cache[string(b)]; ok {
		return s, !strings.ContainsRune(s, utf8.RuneError)
	}
	if d.dec == nil {
		s = strings.ToValidUTF8(string(b), "\uFFFD")
	} else {
		out, err := d.dec.Bytes(b)
		if err != nil {
			s = strings.ToValidUTF8(string(b), "\uFFFD")
		} else {
			s = string(out)
		}
	}
	if len(d.cache) < 4096 && len(b) <= 64 {
		d.cache[string(b)] = s
	}
	return s, !strings.ContainsRune(s, utf8.RuneError)
}

// detectEncoding decides between UTF-8 and GB18030 from sample bytes: text
// that is valid UTF-8 (and not plain ASCII) is UTF-8, anything else is taken
// as GB18030, which covers GBK and GB2312. found is false when the sample
// holds no non-ASCII byte at all.
func detectEncoding(sample [][]byte) (e textEncoding, found bool) {
	for _, b := range sample {
		if !utf8.Valid(b) {
			return textEncoding{"GB18030", simplifiedchinese.GB18030}, true
		}
		for _, c := range b {
			if c >= utf8.RuneSelf {
				found = true
			}
		}
	}
	return utf8Encoding, found
}
