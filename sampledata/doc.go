// Package sampledata writes a deterministic synthetic district as the files
// a land bureau would hand over, so that imports, tiles and reports can be
// exercised exactly as they are with real data.
//
// The district lies near lon 113.3, lat 23.1 (CGCS2000 3° Gauss-Krüger zone
// 38) and has 5–8 sub-districts (街道/镇) that tile it. Blocks sit on a
// slightly rotated and bent road grid with a river, each cut into 1–6
// parcels; land use follows a town centre, smaller town centres, industrial
// belts and fields, woods and orchards towards the edge, with GB/T
// 21010-2017 codes and names. Write produces:
//
//   - parcels: GBK shapefile in EPSG:4526 (zone prefix in the false
//     easting), with a .cpg, and a few broken records listed in the manifest;
//   - farmland: GBK shapefile in EPSG:4547 (no prefix), encoding only in the
//     DBF language-driver byte, overlapping some construction parcels;
//   - renewal_units, boundaries and stations: RFC 7946 GeoJSON;
//   - idle_land: GeoPackage in EPSG:4490;
//   - manifest.json: the Manifest.
//
// Options.Scale grows the area, not the parcels: scale 1 is about 2 500
// parcels, scale 400 about a million, streamed to the files block by block in
// bounded memory. The same Options give the same bytes on every run.
package sampledata
