package postgis

// Fences is what a process knows of the standing write fences: the layers
// of each fence, and how many fences stand on each layer. The tile registry
// and the replica router both keep one. It has no lock of its own: its
// users hold theirs around it. The zero value is empty and ready.
type Fences struct {
	layers map[string][]string // token → layers
	count  map[string]int      // layer → fences standing on it
}

// Reset drops every fence, then adds those of standing (token → layers).
func (f *Fences) Reset(standing map[string][]string) {
	f.layers, f.count = map[string][]string{}, map[string]int{}
	for t, ls := range standing {
		f.Add(t, ls)
	}
}

// Add adds the fence of token on layers; a fence already standing is left
// as it is.
func (f *Fences) Add(token string, layers []string) {
	if f.layers == nil {
		f.layers, f.count = map[string][]string{}, map[string]int{}
	}
	if _, ok := f.layers[token]; ok {
		return
	}
	f.layers[token] = layers
	for _, l := range layers {
		f.count[l]++
	}
}

// Lift ends the fence of token and returns its layers; ok is false when no
// such fence stands.
func (f *Fences) Lift(token string) (layers []string, ok bool) {
	layers, ok = f.layers[token]
	if !ok {
		return nil, false
	}
	for _, l := range layers {
		if f.count[l]--; f.count[l] <= 0 {
			delete(f.count, l)
		}
	}
	delete(f.layers, token)
	return layers, true
}

// Fenced reports whether a fence stands on layer.
func (f *Fences) Fenced(layer string) bool { return f.count[layer] > 0 }

// Len is the number of standing fences.
func (f *Fences) Len() int { return len(f.layers) }

// Tokens returns the tokens of the standing fences.
func (f *Fences) Tokens() []string {
	out := make([]string, 0, len(f.layers))
	for t := range f.layers {
		out = append(out, t)
	}
	return out
}
