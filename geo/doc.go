// Package geo holds tudi's coordinate knowledge: the Chinese reference
// systems (CGCS2000 and its Gauss-Krüger zones, Xi'an 1980, Beijing 1954),
// recognising .prj files, tile math (z/x/y to Web Mercator envelopes) and area
// units (m², 公顷, 亩). It never touches the database or HTTP.
package geo
