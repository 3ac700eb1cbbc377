package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// MediaJSON is the media type of tudi's plain JSON answers.
const MediaJSON = "application/json; charset=utf-8"

// WriteJSON answers with v encoded as JSON (HTML characters unescaped,
// one trailing newline), with the given status and Content-Type mediaType.
//
// v is encoded before anything is written, so when it cannot be (a NaN, a
// channel) WriteJSON returns the error with the response untouched, and
// the caller can still answer with an error status. An error writing the
// body is not returned: the status line has gone by then and nothing can
// be done about a client that went away (net/http's own helpers, like
// http.Error, ignore it too).
func WriteJSON(w http.ResponseWriter, status int, mediaType string, v any) error {
	return writeJSON(w, status, mediaType, v, "")
}

// WriteJSONIndent is WriteJSON with two spaces of indentation, for
// documents people read (TileJSON, styles).
func WriteJSONIndent(w http.ResponseWriter, status int, mediaType string, v any) error {
	return writeJSON(w, status, mediaType, v, "  ")
}

func writeJSON(w http.ResponseWriter, status int, mediaType string, v any, indent string) error {
	// json.Encoder builds the whole encoding in memory before it writes, so
	// encoding into a buffer first costs no more memory than it did.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding %T as JSON: %w", v, err)
	}
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
	return nil
}
