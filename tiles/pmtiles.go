package tiles

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"slices"
)

// PMTiles v3 is written by hand: the format is a 127-byte header, varint
// directories and the tile data, and github.com/protomaps/go-pmtiles would
// bring its cloud-storage dependencies (gocloud.dev and every provider SDK)
// into the binary for these ~200 lines.

// PMTiles header constants (spec v3).
const (
	pmHeaderLen      = 127
	pmRootMax        = 16384 - pmHeaderLen // header and root directory fit in the first 16 KiB
	pmCompressGzip   = 2
	pmTileTypeMVT    = 1
	pmLeafStartCount = 4096
)

type pmEntry struct {
	id        uint64
	offset    uint64
	length    uint32
	runLength uint32 // 0 marks a pointer to a leaf directory
}

// pmtilesWriter collects tiles in a temporary data file (storing identical
// tiles once) and, in finish, writes header, directories, metadata and the
// data in that order.
type pmtilesWriter struct {
	path   string
	data   *os.File
	buf    *bufio.Writer
	size   uint64
	seen   map[[32]byte]pmEntry
	tiles  []pmEntry
	unique int
}

func newPMTiles(path string) (*pmtilesWriter, error) {
	f, err := os.CreateTemp("", "tudi-pmtiles-*")
	if err != nil {
		return nil, err
	}
	return &pmtilesWriter{path: path, data: f, buf: bufio.NewWriterSize(f, 1<<20), seen: map[[32]byte]pmEntry{}}, nil
}

func (p *pmtilesWriter) put(t Tile, gz []byte) error {
	id := pmTileID(t.Z, t.X, t.Y)
	h := contentHash(gz)
	if e, ok := p.seen[h]; ok {
		p.tiles = append(p.tiles, pmEntry{id: id, offset: e.offset, length: e.length, runLength: 1})
		return nil
	}
	if _, err := p.buf.Write(gz); err != nil {
		return err
	}
	e := pmEntry{id: id, offset: p.size, length: uint32(len(gz)), runLength: 1}
	p.size += uint64(len(gz))
	p.seen[h] = e
	p.tiles = append(p.tiles, e)
	p.unique++
	return nil
}

func (p *pmtilesWriter) abort() {
	p.data.Close()
	os.Remove(p.data.Name())
}

func (p *pmtilesWriter) finish(meta exportMeta) error {
	defer p.abort()
	if err := p.buf.Flush(); err != nil {
		return err
	}
	slices.SortFunc(p.tiles, func(a, b pmEntry) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	// Merge runs: consecutive tile ids with the same content become one entry.
	var entries []pmEntry
	for _, e := range p.tiles {
		if n := len(entries); n > 0 {
			last := &entries[n-1]
			if last.offset == e.offset && last.length == e.length && last.id+uint64(last.runLength) == e.id {
				last.runLength++
				continue
			}
		}
		entries = append(entries, e)
	}
	root, leaves := pmDirectories(entries)
	js, err := metadataJSON(meta)
	if err != nil {
		return err
	}
	metaJSON := map[string]any{}
	_ = json.Unmarshal(js, &metaJSON)
	metaJSON["name"], metaJSON["description"], metaJSON["attribution"] = meta.Name, meta.Description, "tudi"
	mj, err := json.Marshal(metaJSON)
	if err != nil {
		return err
	}
	metadata := gzipBytes(mj)

	rootOff := uint64(pmHeaderLen)
	metaOff := rootOff + uint64(len(root))
	leafOff := metaOff + uint64(len(metadata))
	dataOff := leafOff + uint64(len(leaves))
	h := make([]byte, pmHeaderLen)
	copy(h, "PMTiles")
	h[7] = 3
	le := binary.LittleEndian
	le.PutUint64(h[8:], rootOff)
	le.PutUint64(h[16:], uint64(len(root)))
	le.PutUint64(h[24:], metaOff)
	le.PutUint64(h[32:], uint64(len(metadata)))
	le.PutUint64(h[40:], leafOff)
	le.PutUint64(h[48:], uint64(len(leaves)))
	le.PutUint64(h[56:], dataOff)
	le.PutUint64(h[64:], p.size)
	le.PutUint64(h[72:], uint64(len(p.tiles)))
	le.PutUint64(h[80:], uint64(len(entries)))
	le.PutUint64(h[88:], uint64(p.unique))
	h[96] = 0 // not clustered: data is in arrival order
	h[97] = pmCompressGzip
	h[98] = pmCompressGzip
	h[99] = pmTileTypeMVT
	h[100] = uint8(meta.MinZoom)
	h[101] = uint8(meta.MaxZoom)
	e7 := func(v float64) uint32 { return uint32(int32(math.Round(v * 1e7))) }
	le.PutUint32(h[102:], e7(meta.Bounds[0]))
	le.PutUint32(h[106:], e7(meta.Bounds[1]))
	le.PutUint32(h[110:], e7(meta.Bounds[2]))
	le.PutUint32(h[114:], e7(meta.Bounds[3]))
	h[118] = uint8(meta.Center[2])
	le.PutUint32(h[119:], e7(meta.Center[0]))
	le.PutUint32(h[123:], e7(meta.Center[1]))

	out, err := os.Create(p.path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	for _, b := range [][]byte{h, root, metadata, leaves} {
		if _, err := w.Write(b); err != nil {
			out.Close()
			return err
		}
	}
	if _, err := p.data.Seek(0, io.SeekStart); err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(w, p.data); err != nil {
		out.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// pmDirectories returns the gzip-compressed root directory and leaf
// directories: everything in the root when it fits the first 16 KiB,
// else leaves of growing size until the root of leaf pointers fits.
func pmDirectories(entries []pmEntry) (root, leaves []byte) {
	root = gzipBytes(pmSerialize(entries))
	if len(root) <= pmRootMax {
		return root, nil
	}
	for size := pmLeafStartCount; ; size *= 2 {
		var rootEntries []pmEntry
		var leafBuf []byte
		for i := 0; i < len(entries); i += size {
			chunk := entries[i:min(i+size, len(entries))]
			leaf := gzipBytes(pmSerialize(chunk))
			rootEntries = append(rootEntries, pmEntry{id: chunk[0].id, offset: uint64(len(leafBuf)), length: uint32(len(leaf))})
			leafBuf = append(leafBuf, leaf...)
		}
		root = gzipBytes(pmSerialize(rootEntries))
		if len(root) <= pmRootMax {
			return root, leafBuf
		}
	}
}

// pmSerialize encodes a directory: the entry count, then delta-encoded
// tile ids, run lengths, lengths, and offsets (0 meaning "right after the
// previous entry", else offset+1), all as unsigned varints.
func pmSerialize(entries []pmEntry) []byte {
	b := binary.AppendUvarint(nil, uint64(len(entries)))
	var last uint64
	for _, e := range entries {
		b = binary.AppendUvarint(b, e.id-last)
		last = e.id
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.runLength))
	}
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(e.length))
	}
	for i, e := range entries {
		if i > 0 && e.offset == entries[i-1].offset+uint64(entries[i-1].length) {
			b = binary.AppendUvarint(b, 0)
		} else {
			b = binary.AppendUvarint(b, e.offset+1)
		}
	}
	return b
}

// pmTileID returns the PMTiles tile id of z/x/y: the tiles of all lower
// zooms, plus the position of x/y on the Hilbert curve of zoom z.
func pmTileID(z, x, y int) uint64 {
	var acc uint64
	for i := 0; i < z; i++ {
		acc += 1 << (2 * i)
	}
	n := uint64(1) << z
	tx, ty := uint64(x), uint64(y)
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint64
		if tx&s > 0 {
			rx = 1
		}
		if ty&s > 0 {
			ry = 1
		}
		d += s * s * ((3 * rx) ^ ry)
		// Rotate the quadrant so the curve stays continuous.
		if ry == 0 {
			if rx == 1 {
				tx = n - 1 - tx
				ty = n - 1 - ty
			}
			tx, ty = ty, tx
		}
	}
	return acc + d
}
