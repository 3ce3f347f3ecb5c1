package crawl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is a sources file.
type Config struct {
	UserAgent string
	Sources   []Source
}

type yamlConfig struct {
	UserAgent string       `yaml:"user_agent"`
	Sources   []yamlSource `yaml:"sources"`
}

type yamlSource struct {
	Name          string   `yaml:"name"`
	Type          string   `yaml:"type"`
	URL           string   `yaml:"url"`
	URLs          []string `yaml:"urls"`
	Scope         []string `yaml:"scope"`
	Schedule      string   `yaml:"schedule"`
	FollowLinks   *bool    `yaml:"follow_links"`
	MaxDepth      int      `yaml:"max_depth"`
	MaxPages      int      `yaml:"max_pages"`
	Lang          string   `yaml:"lang"`
	Tags          []string `yaml:"tags"`
	Delay         string   `yaml:"delay"`
	Concurrency   int      `yaml:"concurrency"`
	Timeout       string   `yaml:"timeout"`
	MaxBytes      int64    `yaml:"max_bytes"`
	MaxRedirects  int      `yaml:"max_redirects"`
	AllowPrivate  bool     `yaml:"allow_private"`
	AllowNetworks []string `yaml:"allow_networks"`
	IgnoreRobots  bool     `yaml:"ignore_robots"`
	Sweep         string   `yaml:"sweep"`
	APIKey        string   `yaml:"api_key"`
	APIKeyEnv     string   `yaml:"api_key_env"`
	APIUsername   string   `yaml:"api_username"`
}

// ErrNoConfig is wrapped when the sources file does not exist.
var ErrNoConfig = errors.New("no sources file")

// LoadConfig reads a sources file (YAML). Unknown keys, bad durations,
// networks or URLs and duplicate names are errors that name the source
// and field; every source is checked as Run would check it.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: %s", ErrNoConfig, path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read sources: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig parses the YAML of a sources file; see LoadConfig.
func ParseConfig(data []byte) (Config, error) {
	var yc yamlConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&yc); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	cfg := Config{UserAgent: strings.TrimSpace(yc.UserAgent)}
	seen := map[string]bool{}
	for i, ys := range yc.Sources {
		where := fmt.Sprintf("source %d (%s)", i+1, ys.Name)
		if seen[ys.Name] {
			return Config{}, fmt.Errorf("%s: name used twice", where)
		}
		seen[ys.Name] = true
		s := Source{
			Name: ys.Name, Type: strings.ToLower(ys.Type), URLs: ys.URLs, Scope: ys.Scope,
			FollowLinks: ys.FollowLinks, MaxDepth: ys.MaxDepth, MaxPages: ys.MaxPages, Lang: ys.Lang,
			Tags: ys.Tags, Concurrency: ys.Concurrency, MaxBytes: ys.MaxBytes, MaxRedirects: ys.MaxRedirects,
			AllowPrivate: ys.AllowPrivate, IgnoreRobots: ys.IgnoreRobots, APIKey: ys.APIKey, APIUsername: ys.APIUsername,
		}
		if ys.URL != "" {
			s.URLs = append([]string{ys.URL}, s.URLs...)
		}
		for _, d := range []struct {
			field string
			in    string
			out   *time.Duration
		}{{"schedule", ys.Schedule, &s.Schedule}, {"delay", ys.Delay, &s.Delay}, {"timeout", ys.Timeout, &s.Timeout}, {"sweep", ys.Sweep, &s.Sweep}} {
			if d.in == "" {
				continue
			}
			v, err := time.ParseDuration(d.in)
			if err != nil || v < 0 {
				return Config{}, fmt.Errorf("%s: %s %q: want a duration like 30s, 15m or 6h", where, d.field, d.in)
			}
			*d.out = v
		}
		if ys.Delay != "" && s.Delay == 0 {
			s.Delay = NoDelay
		}
		if ys.Sweep != "" && s.Sweep == 0 {
			s.Sweep = -1 // "0s": never
		}
		for _, n := range ys.AllowNetworks {
			p, err := netip.ParsePrefix(strings.TrimSpace(n))
			if err != nil {
				return Config{}, fmt.Errorf("%s: allow_networks %q: want a CIDR range like 10.0.0.0/8", where, n)
			}
			s.AllowNetworks = append(s.AllowNetworks, p)
		}
		if ys.APIKeyEnv != "" {
			s.APIKey = os.Getenv(ys.APIKeyEnv)
			if s.APIKey == "" {
				return Config{}, fmt.Errorf("%s: api_key_env %s is not set", where, ys.APIKeyEnv)
			}
		}
		if _, err := s.withDefaults(); err != nil {
			return Config{}, fmt.Errorf("%s: %w", where, err)
		}
		cfg.Sources = append(cfg.Sources, s)
	}
	return cfg, nil
}
