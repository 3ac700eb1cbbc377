package httpx

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	t.Run("a value that cannot be encoded leaves the response untouched", func(t *testing.T) {
		rec := httptest.NewRecorder()
		if err := WriteJSON(rec, http.StatusOK, MediaJSON, map[string]float64{"area": math.NaN()}); err == nil {
			t.Fatal("no error for NaN")
		}
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" || rec.Flushed {
			t.Errorf("written: status %d, %d bytes, Content-Type %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
		}
	})
	t.Run("status, media type, length and unescaped HTML", func(t *testing.T) {
		rec := httptest.NewRecorder()
		if err := WriteJSON(rec, http.StatusCreated, "application/geo+json", map[string]string{"name": "A&B <x>"}); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusCreated || rec.Body.String() != "{\"name\":\"A&B <x>\"}\n" ||
			rec.Header().Get("Content-Type") != "application/geo+json" || rec.Header().Get("Content-Length") != "19" {
			t.Errorf("status %d, body %q, header %v", rec.Code, rec.Body.String(), rec.Header())
		}
	})
	t.Run("indented", func(t *testing.T) {
		rec := httptest.NewRecorder()
		if err := WriteJSONIndent(rec, http.StatusOK, MediaJSON, map[string]int{"z": 1}); err != nil {
			t.Fatal(err)
		}
		if rec.Body.String() != "{\n  \"z\": 1\n}\n" {
			t.Errorf("body %q", rec.Body.String())
		}
	})
}
