package crawl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SourceSpec is one source as written in a sources file, before defaults
// and parsing: what the staff page edits. Its keys are the file's keys.
type SourceSpec struct {
	Name          string   `yaml:"name"`
	Type          string   `yaml:"type,omitempty"`
	URL           string   `yaml:"url,omitempty"`
	URLs          []string `yaml:"urls,omitempty"`
	Scope         []string `yaml:"scope,omitempty"`
	Schedule      string   `yaml:"schedule,omitempty"`
	FollowLinks   *bool    `yaml:"follow_links,omitempty"`
	MaxDepth      int      `yaml:"max_depth,omitempty"`
	MaxPages      int      `yaml:"max_pages,omitempty"`
	Lang          string   `yaml:"lang,omitempty"`
	Tags          []string `yaml:"tags,omitempty"`
	Delay         string   `yaml:"delay,omitempty"`
	Concurrency   int      `yaml:"concurrency,omitempty"`
	Timeout       string   `yaml:"timeout,omitempty"`
	MaxBytes      int64    `yaml:"max_bytes,omitempty"`
	MaxRedirects  int      `yaml:"max_redirects,omitempty"`
	AllowPrivate  bool     `yaml:"allow_private,omitempty"`
	AllowNetworks []string `yaml:"allow_networks,omitempty"`
	IgnoreRobots  bool     `yaml:"ignore_robots,omitempty"`
	Sweep         string   `yaml:"sweep,omitempty"`
	APIKey        string   `yaml:"api_key,omitempty"`
	APIKeyEnv     string   `yaml:"api_key_env,omitempty"`
	APIUsername   string   `yaml:"api_username,omitempty"`
}

// AllURLs is url followed by urls.
func (sp SourceSpec) AllURLs() []string {
	if sp.URL == "" {
		return sp.URLs
	}
	return append([]string{sp.URL}, sp.URLs...)
}

// FieldError is a problem with one field of a source, named by its key
// in the sources file ("" when no single field is at fault).
type FieldError struct {
	Source string
	Field  string
	Msg    string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("source %s: %s", e.Source, e.Msg)
	}
	return fmt.Sprintf("source %s: %s: %s", e.Source, e.Field, e.Msg)
}

// Check validates sp the way LoadConfig would and names the field at
// fault.
func (sp SourceSpec) Check() error {
	fe := func(field, format string, a ...any) error {
		return &FieldError{Source: sp.Name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if !nameRE.MatchString(sp.Name) {
		return fe("name", "must be 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit")
	}
	switch strings.ToLower(sp.Type) {
	case "", TypeAuto, TypeHTML, TypeSitemap, TypeFeed, TypeDiscourse:
	default:
		return fe("type", "unknown type %q (want auto, html, sitemap, feed or discourse)", sp.Type)
	}
	urls := sp.AllURLs()
	if len(urls) == 0 {
		return fe("urls", "give at least one URL to start from")
	}
	for _, raw := range urls {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fe("urls", "%q: want an absolute http or https URL", raw)
		}
	}
	for _, raw := range sp.Scope {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fe("scope", "%q: want an absolute http or https URL prefix", raw)
		}
	}
	for _, d := range []struct{ field, v string }{{"schedule", sp.Schedule}, {"delay", sp.Delay}, {"timeout", sp.Timeout}, {"sweep", sp.Sweep}} {
		if d.v == "" {
			continue
		}
		if v, err := time.ParseDuration(d.v); err != nil || v < 0 {
			return fe(d.field, "%q: want a duration like 30s, 15m or 6h", d.v)
		}
	}
	if l := strings.TrimSpace(sp.Lang); l != "" && len(l) != 2 {
		return fe("lang", "%q: want a two-letter code like de or en", sp.Lang)
	}
	for _, f := range []struct {
		field string
		v     int64
	}{{"max_depth", int64(sp.MaxDepth)}, {"max_pages", int64(sp.MaxPages)}, {"concurrency", int64(sp.Concurrency)}, {"max_bytes", sp.MaxBytes}, {"max_redirects", int64(sp.MaxRedirects)}} {
		if f.v < 0 {
			return fe(f.field, "must not be negative (0 or empty means the default)")
		}
	}
	for _, n := range sp.AllowNetworks {
		if _, err := netip.ParsePrefix(strings.TrimSpace(n)); err != nil {
			return fe("allow_networks", "%q: want a CIDR range like 10.0.0.0/8", n)
		}
	}
	if sp.APIKeyEnv != "" && os.Getenv(sp.APIKeyEnv) == "" {
		return fe("api_key_env", "the environment variable %s is not set", sp.APIKeyEnv)
	}
	// Whatever the checks above missed, the parser catches.
	var doc bytes.Buffer
	enc := yaml.NewEncoder(&doc)
	if err := enc.Encode(map[string]any{"sources": []SourceSpec{sp}}); err != nil {
		return fe("", "%v", err)
	}
	if _, err := ParseConfig(doc.Bytes()); err != nil {
		return fe("", "%v", err)
	}
	return nil
}

// ConfigFile is a sources file opened for editing. Edits keep the rest of
// the file as it was, comments included (YAML is re-indented, and the
// comments inside a source that is removed go with it).
type ConfigFile struct {
	Path    string
	root    *yaml.Node // the top-level mapping
	version string
}

// ErrConfigChanged is returned by Save when the file changed on disk
// since it was read.
var ErrConfigChanged = errors.New("the sources file was changed by someone else since it was read")

// ReadConfigFile reads path for editing; a missing file is an empty one.
// A file that is not YAML (or whose top level is not a mapping) is an
// error: the page cannot edit it without losing it.
func ReadConfigFile(path string) (*ConfigFile, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	f := &ConfigFile{Path: path, version: fileVersion(data, err == nil)}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case doc.Kind == 0 || len(doc.Content) == 0 || doc.Content[0].Tag == "!!null":
		// yaml.v3 drops a document of comments only (a template): keep
		// them above the sources.
		var comments []string
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "#") {
				comments = append(comments, line)
			}
		}
		f.root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: strings.Join(comments, "\n")}
	case doc.Content[0].Kind == yaml.MappingNode:
		f.root = doc.Content[0]
	default:
		return nil, fmt.Errorf("%s: the top level must be a mapping with a sources: list", path)
	}
	if _, err := f.list(false); err != nil {
		return nil, err
	}
	return f, nil
}

func fileVersion(data []byte, exists bool) string {
	if !exists {
		return "none"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// Version identifies the file's content as read ("none" when it did not
// exist), so an edit form can tell whether the file changed meanwhile.
func (f *ConfigFile) Version() string { return f.version }

// list returns the sources sequence, creating it if create is set.
func (f *ConfigFile) list(create bool) (*yaml.Node, error) {
	for i := 0; i+1 < len(f.root.Content); i += 2 {
		if f.root.Content[i].Value != "sources" {
			continue
		}
		v := f.root.Content[i+1]
		switch {
		case v.Kind == yaml.SequenceNode:
			return v, nil
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			if create {
				*v = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", HeadComment: v.HeadComment, LineComment: v.LineComment, FootComment: v.FootComment}
				return v, nil
			}
			return nil, nil
		default:
			return nil, fmt.Errorf("%s line %d: sources must be a list", f.Path, v.Line)
		}
	}
	if !create {
		return nil, nil
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	f.root.Content = append(f.root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "sources"}, seq)
	return seq, nil
}

// Sources decodes the file's sources as written.
func (f *ConfigFile) Sources() ([]SourceSpec, error) {
	seq, err := f.list(false)
	if err != nil || seq == nil {
		return nil, err
	}
	out := make([]SourceSpec, 0, len(seq.Content))
	for i, n := range seq.Content {
		var sp SourceSpec
		if err := n.Decode(&sp); err != nil {
			return nil, fmt.Errorf("%s: source %d: %w", f.Path, i+1, err)
		}
		out = append(out, sp)
	}
	return out, nil
}

// Source returns the source called name as written.
func (f *ConfigFile) Source(name string) (SourceSpec, bool) {
	all, _ := f.Sources()
	for _, sp := range all {
		if sp.Name == name {
			return sp, true
		}
	}
	return SourceSpec{}, false
}

func (f *ConfigFile) index(name string) int {
	seq, _ := f.list(false)
	if seq == nil {
		return -1
	}
	for i, n := range seq.Content {
		if n.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "name" && n.Content[j+1].Value == name {
				return i
			}
		}
	}
	return -1
}

// Put checks sp and adds it (old == "") or replaces the source called old
// with it (which may rename it). Keys of the old source and their
// comments are kept where sp keeps the key. Nothing is written: see Save.
func (f *ConfigFile) Put(old string, sp SourceSpec) error {
	if err := sp.Check(); err != nil {
		return err
	}
	if sp.Name != old && f.index(sp.Name) >= 0 {
		return &FieldError{Source: sp.Name, Field: "name", Msg: "another source already has this name"}
	}
	var n yaml.Node
	if err := n.Encode(sp); err != nil {
		return fmt.Errorf("encode source %s: %w", sp.Name, err)
	}
	seq, err := f.list(true)
	if err != nil {
		return err
	}
	if old == "" {
		seq.Content = append(seq.Content, &n)
		return nil
	}
	i := f.index(old)
	if i < 0 {
		return fmt.Errorf("no source %q in %s", old, f.Path)
	}
	mergeMapping(seq.Content[i], &n)
	return nil
}

// mergeMapping makes dst say what src says, keeping dst's key order and
// comments for keys both have.
func mergeMapping(dst, src *yaml.Node) {
	newVals := map[string]*yaml.Node{}
	var order []string
	for j := 0; j+1 < len(src.Content); j += 2 {
		newVals[src.Content[j].Value] = src.Content[j+1]
		order = append(order, src.Content[j].Value)
	}
	kept := dst.Content[:0]
	have := map[string]bool{}
	for j := 0; j+1 < len(dst.Content); j += 2 {
		k, v := dst.Content[j], dst.Content[j+1]
		nv, ok := newVals[k.Value]
		if !ok {
			continue // the key was cleared
		}
		have[k.Value] = true
		if v.Kind == yaml.ScalarNode && nv.Kind == yaml.ScalarNode {
			v.Value, v.Tag, v.Style = nv.Value, nv.Tag, nv.Style
		} else {
			nv.HeadComment, nv.LineComment, nv.FootComment = v.HeadComment, v.LineComment, v.FootComment
			if v.Style&yaml.FlowStyle != 0 && nv.Kind == yaml.SequenceNode {
				nv.Style |= yaml.FlowStyle
			}
			v = nv
		}
		kept = append(kept, k, v)
	}
	for j, k := range order {
		if !have[k] {
			kept = append(kept, src.Content[2*j], src.Content[2*j+1])
		}
	}
	dst.Content = kept
}

// Remove drops the source called name; it reports whether there was one.
func (f *ConfigFile) Remove(name string) bool {
	i := f.index(name)
	if i < 0 {
		return false
	}
	seq, _ := f.list(false)
	seq.Content = append(seq.Content[:i], seq.Content[i+1:]...)
	return true
}

// Bytes encodes the file as it would be saved.
func (f *ConfigFile) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{f.root}}); err != nil {
		return nil, fmt.Errorf("encode %s: %w", f.Path, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", f.Path, err)
	}
	return buf.Bytes(), nil
}

// Save validates the whole file as LoadConfig would and writes it
// atomically (a temporary file in the same directory, synced, renamed
// over the old one), so a crash leaves the old file or the new one,
// never half of one. It fails with ErrConfigChanged if the file on disk
// is no longer what was read. It returns the parsed config.
func (f *ConfigFile) Save() (Config, error) {
	data, err := f.Bytes()
	if err != nil {
		return Config{}, err
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("not saved, the file would be invalid: %w", err)
	}
	cur, err := os.ReadFile(f.Path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("read sources: %w", err)
	}
	if fileVersion(cur, err == nil) != f.version {
		return Config{}, ErrConfigChanged
	}
	mode := fs.FileMode(0o600) // it may hold an API key
	if fi, err := os.Stat(f.Path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := WriteFileAtomic(f.Path, data, mode); err != nil {
		return Config{}, err
	}
	f.version = fileVersion(data, true)
	return cfg, nil
}

// WriteFileAtomic replaces path with data: written to a temporary file in
// the same directory, synced and renamed, so readers see the old content
// or the new, never a part.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename: a no-op
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		d.Close()
	}
	return nil
}

// LoadConfigIfExists is LoadConfig for a server that lets staff create
// the file: a missing file is one without sources.
func LoadConfigIfExists(path string) (Config, error) {
	cfg, err := LoadConfig(path)
	if errors.Is(err, ErrNoConfig) {
		return Config{}, nil
	}
	return cfg, err
}
