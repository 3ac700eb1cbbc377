// Command mvtdigest prints a digest of the features of vector tiles that
// does not depend on the order of the features in the tile: for each URL
// path read from stdin, "path digest", the tile fetched from -base. Two
// tiles with the same digest hold the same features (layer, properties and
// geometry), whatever their order. Used by scripts/test-scale.sh.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/encoding/wkt"
)

func main() {
	base := flag.String("base", "", "base URL of the tile server")
	flag.Parse()
	if err := run(context.Background(), *base, os.Stdin, os.Stdout); err != nil {
		slog.Error("mvtdigest", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, base string, in io.Reader, out io.Writer) error {
	if base == "" {
		return fmt.Errorf("-base is required")
	}
	client := &http.Client{Timeout: 60 * time.Second}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		path := strings.TrimSpace(sc.Text())
		if path == "" {
			continue
		}
		d, err := digest(ctx, client, base+path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(out, "%s %s\n", path, d)
	}
	return sc.Err()
}

func digest(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
		return "empty", nil
	case http.StatusOK:
	default:
		return "", fmt.Errorf("status %d: %.200s", resp.StatusCode, body)
	}
	layers, err := mvt.Unmarshal(body)
	if err != nil {
		return "", fmt.Errorf("decode: %w", err)
	}
	var lines []string
	for _, l := range layers {
		for _, f := range l.Features {
			props, err := json.Marshal(f.Properties) // map keys sorted
			if err != nil {
				return "", err
			}
			lines = append(lines, fmt.Sprintf("%s|%v|%s|%s", l.Name, f.ID, props, wkt.MarshalString(f.Geometry)))
		}
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	return fmt.Sprintf("%d:%s", len(lines), hex.EncodeToString(h.Sum(nil))[:16]), nil
}
