package importers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"tudi/land"
	"tudi/sheet"
)

// headerScan is the number of rows searched for a ledger's header: title
// rows, a unit line and a two- or three-row header fit well within it.
const headerScan = 30

// ledgerHeader is what findHeader makes of the top of a sheet.
type ledgerHeader struct {
	top, bottom int      // 0-based rows of the header block
	names       []string // per column; "" for a column with neither name nor data
}

// grid is the text of a sheet's cells, rows of unequal length, with the
// merged ranges (whose value is in their top-left cell only).
type grid struct {
	rows   [][]string
	merges []sheet.Range
}

func (g *grid) cell(r, c int) string {
	if r < 0 || r >= len(g.rows) || c < 0 || c >= len(g.rows[r]) {
		return ""
	}
	return strings.TrimSpace(g.rows[r][c])
}

// filled is the cell's text, or the value of the merged range it lies in.
func (g *grid) filled(r, c int) string {
	if s := g.cell(r, c); s != "" {
		return s
	}
	for _, m := range g.merges {
		if r >= m.R0 && r <= m.R1 && c >= m.C0 && c <= m.C1 {
			return g.cell(m.R0, m.C0)
		}
	}
	return ""
}

func (g *grid) width() int {
	w := 0
	for _, r := range g.rows {
		for c := len(r) - 1; c >= w; c-- {
			if strings.TrimSpace(r[c]) != "" {
				w = c + 1
				break
			}
		}
	}
	return w
}

// rowStats are the counts header detection looks at: cells with text of
// their own, columns covered (by those or by a merged range with text),
// and whether every cell with text is a word rather than a number or a
// date.
func (g *grid) rowStats(r, width int) (k, cov int, textual bool) {
	textual = true
	for c := range width {
		s := g.cell(r, c)
		if s != "" {
			k++
			if looksLikeValue(s) {
				textual = false
			}
		}
		if g.filled(r, c) != "" {
			cov++
		}
	}
	return k, cov, textual
}

// looksLikeValue reports whether a cell's text is a number or a date (a
// header cell is neither).
func looksLikeValue(s string) bool {
	if _, err := cleanNumber(s, ""); err == nil {
		return true
	}
	if _, err := parseDate(s); err == nil {
		return true
	}
	return false
}

// titleLike reports whether row r reads as a title or a caption line (a
// few wide merged cells, or "填报单位：…" labels) rather than column names.
func (g *grid) titleLike(r, width int) bool {
	k, cov, _ := g.rowStats(r, width)
	if k == 0 {
		return true
	}
	if k <= 3 && cov >= 3*k && width > 3 {
		return true
	}
	colon := 0
	for c := range width {
		s := g.cell(r, c)
		if i := strings.IndexAny(s, ":："); i >= 0 && i < len(s)-len("：") {
			colon++
		}
	}
	return colon*2 >= k && k <= 4
}

// findHeader finds the header block of a ledger sheet: the first row in the
// first headerScan rows that names at least two columns, covers at least
// half of the sheet's width and holds no numbers or dates (title rows above
// it are skipped), extended down over the rows that its merged ranges
// reach and over rows that name the columns left blank under a group
// heading ("签约情况" over "签约日期", "签约金额"), and up over a row that
// names columns the block leaves blank. A column is named by its bottom
// header cell, else by the merged cell above it; duplicate names get their
// group heading ("拆除情况/日期") or a number.
func findHeader(g *grid) (ledgerHeader, error) {
	width := g.width()
	if width == 0 {
		return ledgerHeader{}, fmt.Errorf("the sheet is empty")
	}
	n := min(len(g.rows), headerScan)
	covMax := 0
	for r := range n {
		if _, cov, _ := g.rowStats(r, width); cov > covMax {
			covMax = cov
		}
	}
	top := -1
	for r := range n {
		k, cov, textual := g.rowStats(r, width)
		if !textual || cov*2 < covMax || (k < 2 && covMax > 1) || k == 0 || g.titleLike(r, width) {
			continue
		}
		top = r
		break
	}
	if top < 0 {
		return ledgerHeader{}, fmt.Errorf("no header row (a row naming the columns) in the first %d rows", n)
	}
	bottom := top
	blank := func(c int) bool { // no header text in the block for column c
		for r := top; r <= bottom; r++ {
			if g.filled(r, c) != "" {
				return false
			}
		}
		return true
	}
	for {
		grown := false
		for _, m := range g.merges {
			// A merged range may reach below the last row with text.
			end := min(m.R1, len(g.rows)-1, top+headerScan-1)
			if m.R0 >= top && m.R0 <= bottom && end > bottom {
				bottom, grown = end, true
			}
		}
		if grown {
			continue
		}
		next := bottom + 1
		if next >= len(g.rows) || next >= top+headerScan {
			break
		}
		k, _, textual := g.rowStats(next, width)
		if k == 0 || !textual {
			break
		}
		fills, leaves := false, false
		for c := range width {
			s := g.cell(next, c)
			if s != "" && blank(c) {
				fills = true
			}
			if s == "" && !blank(c) {
				leaves = true
			}
		}
		if !fills || !leaves {
			break
		}
		bottom = next
	}
	for top > 0 {
		up := top - 1
		k, _, textual := g.rowStats(up, width)
		if k == 0 || !textual || g.titleLike(up, width) {
			break
		}
		fills := false
		for c := range width {
			if g.cell(up, c) != "" && blank(c) {
				fills = true
			}
		}
		if !fills {
			break
		}
		top = up
	}

	h := ledgerHeader{top: top, bottom: bottom, names: make([]string, width)}
	used := map[string]int{}
	for c := range width {
		name, parent, at := "", "", -1
		for r := bottom; r >= top; r-- {
			s := headerName(g.filled(r, c))
			if s == "" {
				continue
			}
			if name == "" {
				name, at = s, r
			} else if s != name {
				parent = s
				break
			}
		}
		if parent == "" && at > top {
			parent = g.groupAbove(top, at, c)
		}
		if name == "" {
			hasData := false
			for r := bottom + 1; r < len(g.rows) && !hasData; r++ {
				hasData = g.cell(r, c) != ""
			}
			if !hasData {
				continue
			}
			name = "column_" + columnLetter(c)
		}
		if used[name] > 0 && parent != "" && used[parent+"/"+name] == 0 {
			name = parent + "/" + name
		}
		if used[name] > 0 {
			base := name
			for i := used[base] + 1; ; i++ {
				name = fmt.Sprintf("%s_%d", base, i)
				if used[name] == 0 {
					break
				}
			}
			used[base]++
		}
		used[name]++
		h.names[c] = name
	}
	return h, nil
}

// groupAbove finds the group heading over column c when a CSV export left
// it only in the group's first column: the nearest heading to the left in
// a row above row at, if that heading's own column has names under it.
func (g *grid) groupAbove(top, at, c int) string {
	for r := at - 1; r >= top; r-- {
		k := c
		for k >= 0 && g.filled(r, k) == "" {
			k--
		}
		if k < 0 {
			continue
		}
		for rr := r + 1; rr <= at; rr++ {
			if g.filled(rr, k) != "" {
				return headerName(g.filled(r, k))
			}
		}
	}
	return ""
}

// headerName tidies a header cell: line breaks and runs of spaces inside it
// go (Excel headers are often wrapped by hand: "签约\n日期"); spaces between
// Latin words stay single.
func headerName(s string) string {
	parts := strings.Fields(s)
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			prev, _ := utf8.DecodeLastRuneInString(parts[i-1])
			next, _ := utf8.DecodeRuneInString(p)
			if prev < utf8.RuneSelf && next < utf8.RuneSelf {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

// columnLetter is a 0-based column's spreadsheet name: A … Z, AA ….
func columnLetter(c int) string {
	var b []byte
	for c++; c > 0; c = (c - 1) / 26 {
		b = append([]byte{byte('A' + (c-1)%26)}, b...)
	}
	return string(b)
}

// footerRow reports whether a data row is a total, a signature or a note
// line (合计, 总计, 小计, 填表人…, 说明：…) rather than a record.
func footerRow(cells []string) bool {
	for _, s := range cells {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		s = strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
		for _, p := range []string{"合计", "总计", "小计", "累计", "填表人", "填报人", "制表人", "审核人", "负责人", "制表", "填表", "说明：", "说明:", "注：", "注:", "备注："} {
			if strings.HasPrefix(s, p) {
				return true
			}
		}
		return false
	}
	return false
}

// ledgerError is a user-facing error about a sheet.
func ledgerError(file, where string, err error) error {
	return land.Errorf(land.Invalid, "%s: %s: %v", file, where, err)
}
