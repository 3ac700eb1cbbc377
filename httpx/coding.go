package httpx

import (
	"net/http"
	"strconv"
	"strings"
)

// Coding returns the content coding to send to a request with header h,
// chosen among offers (lower-case coding names such as "br" and "gzip", in
// the server's order of preference) and identity, following RFC 9110
// section 12.5.3:
//
//   - each coding of Accept-Encoding may carry a weight ("gzip;q=0.5"); no
//     weight means 1, and 0 means "not acceptable";
//   - "*" stands for every coding not named, identity included;
//   - identity is acceptable unless refused by "identity;q=0", or by
//     "*;q=0" without an entry of its own;
//   - "x-gzip" is gzip (section 8.4.1.3); names are case-insensitive;
//   - an empty Accept-Encoding asks for identity only.
//
// The acceptable coding of highest weight wins; on a tie the earlier offer
// wins, and any offer wins over identity (compression is the point of
// offering it). Identity competes with the weight it is given (by its own
// entry or by "*"); when neither names it, it is the fallback only, so
// "gzip;q=0.5" alone still gets gzip. "" means identity, which is also the answer when nothing
// is acceptable: a response must be sent anyway, and the client named no
// coding it can read.
//
// A request without Accept-Encoding gets identity too. RFC 9110 lets the
// server pick any coding then, but clients that say nothing (curl without
// --compressed, scripts) rarely decode anything.
//
// An entry with a malformed weight is ignored, as if it were absent.
func Coding(h http.Header, offers ...string) string {
	values := h.Values("Accept-Encoding")
	if len(values) == 0 {
		return ""
	}
	var (
		weights  map[string]float64 // of the codings named, by name
		star     = -1.0             // weight of "*"; -1: absent
		identity = -1.0             // weight of "identity"; -1: absent
	)
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			name, q, ok := parseMember(member)
			if !ok {
				continue
			}
			switch name {
			case "*":
				star = q
			case "identity":
				identity = q
			default:
				if weights == nil {
					weights = map[string]float64{}
				}
				weights[name] = q
			}
		}
	}
	weight := func(coding string) float64 {
		if q, ok := weights[coding]; ok {
			return q
		}
		return max(star, 0)
	}
	if identity < 0 {
		// Not named: acceptable, but as the fallback only, unless "*"
		// gives it a weight ("gzip;q=0.5" alone still asks for gzip).
		identity = max(star, 0)
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		if q := weight(o); q > bestQ {
			best, bestQ = o, q
		}
	}
	if best != "" && bestQ >= identity {
		return best
	}
	return ""
}

// parseMember parses one member of Accept-Encoding: a coding name and its
// optional parameters, of which only q counts. ok is false for an empty
// member or a malformed weight.
func parseMember(member string) (name string, q float64, ok bool) {
	name, params, _ := strings.Cut(member, ";")
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return "", 0, false
	}
	if name == "x-gzip" {
		name = "gzip"
	}
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		k, v, found := strings.Cut(p, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		w, valid := parseWeight(strings.TrimSpace(v))
		if !valid {
			return "", 0, false
		}
		q = w
	}
	return name, q, true
}

// parseWeight parses a qvalue (RFC 9110 section 12.4.2): 0 or 1, with at
// most three decimals, and never above 1.
func parseWeight(s string) (float64, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	if len(s) > 1 {
		if s[1] != '.' {
			return 0, false
		}
		for _, c := range s[2:] {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
	}
	q, err := strconv.ParseFloat(s, 64)
	if err != nil || q > 1 {
		return 0, false
	}
	return q, true
}
