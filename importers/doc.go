// Package importers loads files into layers: shapefiles (also zipped),
// GeoJSON and GeoPackage, streamed one feature at a time, decoded from their
// real encodings and reference systems, mapped onto the kind's canonical
// fields, copied into a staging table, validated and repaired in PostGIS and
// swapped into the layer in one transaction.
package importers
