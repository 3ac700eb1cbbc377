package httpx

import (
	"mime"
	"net/http"
	"strings"
)

// MediaType returns the media type to answer a request with header h,
// chosen among offers (media types without parameters, in the server's
// order of preference) by its Accept header, following RFC 9110 section
// 12.5.1:
//
//   - each media range may carry a weight ("text/html;q=0.9"); no weight
//     means 1, and 0 means "not acceptable";
//   - an offer takes the weight of the most specific range that matches it
//     ("text/html" before "text/*" before "*/*"); parameters of a range
//     other than q are not compared;
//   - the acceptable offer of highest weight wins, the earlier offer on a
//     tie (the order of the client's list means nothing).
//
// Without an Accept header every offer is acceptable and the first wins.
// "" means none is acceptable; the caller decides what to send then (RFC
// 9110 allows answering with a default rather than 406). An entry with a
// malformed weight or media range is ignored.
func MediaType(h http.Header, offers ...string) string {
	values := h.Values("Accept")
	if len(values) == 0 {
		if len(offers) == 0 {
			return ""
		}
		return offers[0]
	}
	type mediaRange struct {
		typ, sub string
		q        float64
	}
	var ranges []mediaRange
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			mr, params, _ := strings.Cut(member, ";")
			typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mr)), "/")
			if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
				continue
			}
			q, valid := 1.0, true
			for p := range strings.SplitSeq(params, ";") {
				if k, v, found := strings.Cut(p, "="); found && strings.EqualFold(strings.TrimSpace(k), "q") {
					q, valid = parseWeight(strings.TrimSpace(v))
					break // what follows q are extension parameters
				}
			}
			if valid {
				ranges = append(ranges, mediaRange{typ, sub, q})
			}
		}
	}
	best, bestQ := "", 0.0
	for _, o := range offers {
		mt, _, err := mime.ParseMediaType(o)
		if err != nil {
			continue
		}
		typ, sub, _ := strings.Cut(mt, "/")
		q, specificity := 0.0, -1
		for _, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.sub == sub:
				s = 2
			case r.typ == typ && r.sub == "*":
				s = 1
			case r.typ == "*":
				s = 0
			}
			if s > specificity || (s == specificity && s >= 0 && r.q > q) {
				q, specificity = r.q, s
			}
		}
		if q > bestQ {
			best, bestQ = o, q
		}
	}
	return best
}
