package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/crawl"
)

// Crawls is the running crawl scheduler as the sources page needs it
// (*crawl.Scheduler).
type Crawls interface {
	// CrawlNow queues one source's crawl; crawl.ErrQueued if it is
	// running or waiting already.
	CrawlNow(name string) error
	Status() crawl.SchedulerStatus
	// Reload makes the scheduler reread the sources file now.
	Reload()
}

// SourcesOptions are what the staff sources page works on. The sources
// file stays the truth: the page edits it, and the scheduler rereads it.
type SourcesOptions struct {
	// File is the sources file (<data dir>/sources.yaml); "" leaves the
	// page read-only with a note.
	File string
	// Crawls is the running scheduler; nil switches "crawl now" off.
	Crawls Crawls
	// AllowPrivate lets staff tick "allow private addresses" on a source.
	// Off by default: a staff login must not be able to point the crawler
	// at the intranet or a cloud metadata address; the operator allows it
	// in the sources file by hand or with sofort serve --staff-allow-private.
	AllowPrivate bool
}

// sourcesState serialises edits of the sources file: each is a
// read-modify-write of the whole file.
type sourcesState struct {
	SourcesOptions
	mu sync.Mutex
}

// maxSourceErrors is how many failing URLs the page lists per source.
const maxSourceErrors = 20

type sourcesData struct {
	pageData
	File      string
	CanEdit   bool
	CanCrawl  bool
	Notice    string
	LoadError string
	Rows      []sourceRow
	// Others are sources with crawl history that the file does not name
	// (ad hoc `sofort crawl URL` runs, removed sources).
	Others []corpus.CrawlSource
	Form   sourceForm
	Types  []string
}

type sourceRow struct {
	Name       string
	Kind       string
	URLs       []string
	Scope      []string
	Schedule   string
	Private    bool
	Crawled    bool // a run finished at least once
	Finished   time.Time
	Last       crawl.Stats
	Duration   string
	Unfinished bool
	LastError  string
	Errors     []corpus.CrawlPage
	Running    bool
	Since      time.Time
	Progress   crawl.Progress
	Queued     bool
}

// sourceForm is the add/edit form as typed.
type sourceForm struct {
	Old          string // the name being edited; "" adds
	Version      string
	Name         string
	Type         string
	URLs         string
	Scope        string
	Schedule     string
	Lang         string
	Tags         string
	MaxPages     string
	Delay        string
	FollowLinks  string // "", "yes", "no"
	AllowPrivate bool
	// APIKey says where the source's API key comes from ("$NAME" or
	// "the file"), "" for none. The page never sets it: see apply.
	APIKey      string
	APIUsername string
	// Field is the field at fault, for aria-invalid.
	Field string
}

var sourceTypes = []string{crawl.TypeAuto, crawl.TypeHTML, crawl.TypeSitemap, crawl.TypeFeed, crawl.TypeDiscourse}

func (s *Server) sourcesPageData(r *http.Request) sourcesData {
	return sourcesData{pageData: s.page(r), File: s.sources.File, CanEdit: s.sources.File != "",
		CanCrawl: s.sources.Crawls != nil, Types: sourceTypes}
}

func (s *Server) renderSources(w http.ResponseWriter, r *http.Request, status int, name string, d sourcesData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.tmpl.ExecuteTemplate(w, name, d); err != nil && r.Context().Err() == nil {
		s.log.Error("render staff page", "page", name, "err", err)
	}
}

// GET /staff/sources: every source of the file with its last crawl, its
// failing URLs and whether it is crawling now.
func (s *Server) sourcesList(w http.ResponseWriter, r *http.Request) {
	d := s.sourcesPageData(r)
	q := r.URL.Query()
	for _, n := range []struct{ key, text string }{{"saved", "srcSaved"}, {"removed", "srcRemoved"}, {"queued", "srcStarted"}, {"already", "srcAlready"}} {
		if v := q.Get(n.key); v != "" {
			d.Notice = fmt.Sprintf(d.T[n.text], truncateID(v))
		}
	}
	var specs []crawl.SourceSpec
	if d.CanEdit {
		f, err := crawl.ReadConfigFile(s.sources.File)
		if err == nil {
			specs, err = f.Sources()
		}
		if err != nil {
			d.CanEdit = false
			d.Error = d.T["srcBadFile"] + " " + err.Error()
		}
	}
	var st crawl.SchedulerStatus
	if d.CanCrawl {
		st = s.sources.Crawls.Status()
		d.LoadError = st.LoadError
	}
	for _, sp := range specs {
		row := sourceRow{Name: sp.Name, Kind: sp.Type, URLs: sp.AllURLs(), Scope: sp.Scope, Schedule: sp.Schedule,
			Private: sp.AllowPrivate || len(sp.AllowNetworks) > 0}
		if row.Kind == "" {
			row.Kind = crawl.TypeAuto
		}
		info, err := s.store.CrawlSourceOf(r.Context(), sp.Name)
		switch {
		case errors.Is(err, corpus.ErrNotFound):
		case err != nil:
			s.staffFail(w, r, err)
			return
		default:
			row.Unfinished = info.Run > 0 && info.RunFinished.IsZero()
			row.LastError = info.LastError
			if info.Stats != "" && json.Unmarshal([]byte(info.Stats), &row.Last) == nil {
				row.Crawled = true
				row.Finished = info.RunFinished
				if row.Finished.IsZero() { // a later run is unfinished
					row.Finished = info.LastSuccess
				}
				row.Duration = row.Last.Duration.Round(100 * time.Millisecond).String()
				if row.Last.Duration < time.Second {
					row.Duration = row.Last.Duration.Round(time.Millisecond).String()
				}
			}
			if row.Errors, err = s.store.CrawlErrors(r.Context(), sp.Name, maxSourceErrors); err != nil {
				s.staffFail(w, r, err)
				return
			}
		}
		if st.Running == sp.Name {
			row.Running, row.Since, row.Progress = true, st.Since, st.Progress
		}
		for _, q := range st.Queued {
			row.Queued = row.Queued || q == sp.Name
		}
		if row.Running || row.Queued {
			d.Refresh = 5 // watch it finish
		}
		d.Rows = append(d.Rows, row)
	}
	all, err := s.store.CrawlSources(r.Context())
	if err != nil {
		s.staffFail(w, r, err)
		return
	}
	for _, cs := range all {
		if !slices.ContainsFunc(specs, func(sp crawl.SourceSpec) bool { return sp.Name == cs.Name }) {
			d.Others = append(d.Others, cs)
		}
	}
	s.renderSources(w, r, http.StatusOK, "sources.html", d)
}

// openSources reads the sources file for an edit, or renders why not.
func (s *Server) openSources(w http.ResponseWriter, r *http.Request) (*crawl.ConfigFile, bool) {
	if s.sources.File == "" {
		s.staffError(w, r, http.StatusNotFound, "no sources file is configured for this server")
		return nil, false
	}
	f, err := crawl.ReadConfigFile(s.sources.File)
	if err != nil {
		s.staffError(w, r, http.StatusConflict, "the sources file cannot be edited here until it is fixed by hand: "+err.Error())
		return nil, false
	}
	return f, true
}

// GET /staff/sources/new
func (s *Server) sourceNew(w http.ResponseWriter, r *http.Request) {
	f, ok := s.openSources(w, r)
	if !ok {
		return
	}
	d := s.sourcesPageData(r)
	d.Form = sourceForm{Version: f.Version(), Type: crawl.TypeAuto}
	s.renderSources(w, r, http.StatusOK, "source_form.html", d)
}

// GET /staff/sources/{name}/edit
func (s *Server) sourceEdit(w http.ResponseWriter, r *http.Request) {
	f, ok := s.openSources(w, r)
	if !ok {
		return
	}
	name := chi.URLParam(r, "name")
	sp, ok := f.Source(name)
	if !ok {
		s.staffError(w, r, http.StatusNotFound, "no source "+strconv.Quote(truncateID(name))+" in the sources file")
		return
	}
	d := s.sourcesPageData(r)
	d.Form = formOf(sp)
	d.Form.Old, d.Form.Version = name, f.Version()
	s.renderSources(w, r, http.StatusOK, "source_form.html", d)
}

// POST /staff/sources/new and /staff/sources/{name}/edit: the file is
// changed only if the whole result is valid.
func (s *Server) sourceSave(w http.ResponseWriter, r *http.Request) {
	old := chi.URLParam(r, "name")
	fm := readSourceForm(r)
	fm.Old = old
	d := s.sourcesPageData(r)
	fail := func(status int, field, msg string) {
		d.Form = fm
		d.Form.Field = field
		d.Error = msg
		s.renderSources(w, r, status, "source_form.html", d)
	}
	s.sources.mu.Lock()
	defer s.sources.mu.Unlock()
	f, ok := s.openSources(w, r)
	if !ok {
		return
	}
	var base crawl.SourceSpec
	if old != "" {
		if base, ok = f.Source(old); !ok {
			s.staffError(w, r, http.StatusNotFound, "no source "+strconv.Quote(truncateID(old))+" in the sources file")
			return
		}
		if fm.Version != f.Version() {
			fm.Version = f.Version()
			fail(http.StatusConflict, "", d.T["srcChanged"])
			return
		}
	}
	sp, err := fm.apply(base)
	if err == nil && sp.AllowPrivate && !base.AllowPrivate && !s.sources.AllowPrivate {
		err = &crawl.FieldError{Source: fm.Name, Field: "allow_private",
			Msg: "only the operator may allow private addresses: set allow_private in the sources file, or start sofort serve with --staff-allow-private"}
	}
	if err == nil {
		err = f.Put(old, sp)
	}
	if err == nil {
		_, err = f.Save()
	}
	var fe *crawl.FieldError
	switch {
	case errors.As(err, &fe):
		label := fe.Field
		if l := d.T["f_"+fe.Field]; l != "" {
			l, _, _ = strings.Cut(l, " (") // the label without its hint
			label = l + " (" + fe.Field + ")"
		}
		if fe.Field == "" {
			label = d.T["srcInvalid"]
		}
		fail(http.StatusUnprocessableEntity, fe.Field, label+": "+fe.Msg)
		return
	case errors.Is(err, crawl.ErrConfigChanged):
		fm.Version = f.Version()
		fail(http.StatusConflict, "", d.T["srcChanged"])
		return
	case err != nil:
		fail(http.StatusUnprocessableEntity, "", d.T["srcNotSaved"]+" "+err.Error())
		return
	}
	ss, _ := staffFrom(r.Context())
	s.log.Info("sources file changed", "source", sp.Name, "was", old, "by", ss.User)
	if s.sources.Crawls != nil {
		s.sources.Crawls.Reload()
	}
	http.Redirect(w, r, "/staff/sources?saved="+url.QueryEscape(sp.Name), http.StatusSeeOther)
}

// POST /staff/sources/{name}/delete (with confirm=yes): the source leaves
// the file; its documents and crawl history stay in the store.
func (s *Server) sourceDelete(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if r.PostFormValue("confirm") != "yes" {
		s.staffError(w, r, http.StatusBadRequest, "tick the confirmation box to remove a source")
		return
	}
	s.sources.mu.Lock()
	defer s.sources.mu.Unlock()
	f, ok := s.openSources(w, r)
	if !ok {
		return
	}
	if !f.Remove(name) {
		s.staffError(w, r, http.StatusNotFound, "no source "+strconv.Quote(truncateID(name))+" in the sources file")
		return
	}
	if _, err := f.Save(); err != nil {
		s.staffError(w, r, http.StatusConflict, err.Error())
		return
	}
	ss, _ := staffFrom(r.Context())
	s.log.Info("source removed from the sources file", "source", name, "by", ss.User)
	if s.sources.Crawls != nil {
		s.sources.Crawls.Reload()
	}
	http.Redirect(w, r, "/staff/sources?removed="+url.QueryEscape(name), http.StatusSeeOther)
}

// POST /staff/sources/{name}/crawl: queue a crawl for the scheduler, which
// runs one at a time; the page shows it running.
func (s *Server) sourceCrawl(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if s.sources.Crawls == nil {
		s.staffError(w, r, http.StatusServiceUnavailable, "crawling is not running in this server")
		return
	}
	err := s.sources.Crawls.CrawlNow(name)
	switch {
	case errors.Is(err, crawl.ErrQueued):
		http.Redirect(w, r, "/staff/sources?already="+url.QueryEscape(name), http.StatusSeeOther)
		return
	case err != nil:
		// The file may have been saved a moment ago: the scheduler may
		// not have read it yet.
		s.staffError(w, r, http.StatusNotFound, err.Error())
		return
	}
	ss, _ := staffFrom(r.Context())
	s.log.Info("crawl requested", "source", name, "by", ss.User)
	http.Redirect(w, r, "/staff/sources?queued="+url.QueryEscape(name), http.StatusSeeOther)
}

func formOf(sp crawl.SourceSpec) sourceForm {
	fm := sourceForm{Name: sp.Name, Type: sp.Type, URLs: strings.Join(sp.AllURLs(), "\n"),
		Scope: strings.Join(sp.Scope, "\n"), Schedule: sp.Schedule, Lang: sp.Lang, Tags: strings.Join(sp.Tags, ", "),
		Delay: sp.Delay, AllowPrivate: sp.AllowPrivate, APIUsername: sp.APIUsername}
	switch {
	case sp.APIKeyEnv != "":
		fm.APIKey = "$" + sp.APIKeyEnv
	case sp.APIKey != "":
		fm.APIKey = "file"
	}
	if fm.Type == "" {
		fm.Type = crawl.TypeAuto
	}
	if sp.MaxPages > 0 {
		fm.MaxPages = strconv.Itoa(sp.MaxPages)
	}
	if sp.FollowLinks != nil {
		fm.FollowLinks = map[bool]string{true: "yes", false: "no"}[*sp.FollowLinks]
	}
	return fm
}

func readSourceForm(r *http.Request) sourceForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return sourceForm{Version: v("version"), Name: v("name"), Type: strings.ToLower(v("type")), URLs: v("urls"),
		Scope: v("scope"), Schedule: v("schedule"), Lang: v("lang"), Tags: v("tags"), MaxPages: v("max_pages"),
		Delay: v("delay"), FollowLinks: v("follow_links"), AllowPrivate: r.PostFormValue("allow_private") != "",
		APIUsername: v("api_username")}
}

// apply writes the form's fields over sp; keys the form does not show
// (timeout, allow_networks, api_key, ...) stay as the file had them.
func (fm sourceForm) apply(old crawl.SourceSpec) (crawl.SourceSpec, error) {
	sp := old
	sp.Scope, sp.Tags, sp.URLs = slices.Clone(old.Scope), slices.Clone(old.Tags), slices.Clone(old.URLs)
	bad := func(field, msg string) error { return &crawl.FieldError{Source: fm.Name, Field: field, Msg: msg} }
	sp.Name = fm.Name
	sp.Type = fm.Type
	if sp.Type == crawl.TypeAuto {
		sp.Type = ""
	}
	urls := strings.Fields(fm.URLs)
	sp.URL, sp.URLs = "", nil
	if len(urls) == 1 {
		sp.URL = urls[0]
	} else {
		sp.URLs = urls
	}
	sp.Scope = strings.Fields(fm.Scope)
	sp.Schedule, sp.Lang, sp.Delay = fm.Schedule, fm.Lang, fm.Delay
	sp.Tags = nil
	for _, t := range strings.Split(fm.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			sp.Tags = append(sp.Tags, t)
		}
	}
	sp.MaxPages = 0
	if fm.MaxPages != "" {
		n, err := strconv.Atoi(fm.MaxPages)
		if err != nil || n < 0 {
			return sp, bad("max_pages", fmt.Sprintf("%q: want a whole number (empty: 50000)", fm.MaxPages))
		}
		sp.MaxPages = n
	}
	switch fm.FollowLinks {
	case "":
		sp.FollowLinks = nil
	case "yes", "no":
		f := fm.FollowLinks == "yes"
		sp.FollowLinks = &f
	default:
		return sp, bad("follow_links", "want default, yes or no")
	}
	sp.AllowPrivate = fm.AllowPrivate
	sp.APIUsername = fm.APIUsername
	// API keys are the operator's: a page that could name any environment
	// variable as a source's key, or move a keyed source to another host,
	// would let a staff login send the server's secrets to a site of its
	// choosing. Keys are set in the file by hand, and a keyed source keeps
	// its hosts.
	if (sp.APIKey != "" || sp.APIKeyEnv != "") && !slices.Equal(hostsOf(old.AllURLs()), hostsOf(sp.AllURLs())) {
		return sp, bad("urls", "this source sends an API key; change its hosts in the sources file by hand")
	}
	return sp, nil
}

// hostsOf lists the distinct hosts of urls, sorted.
func hostsOf(urls []string) []string {
	var hosts []string
	for _, raw := range urls {
		h := raw
		if u, err := url.Parse(raw); err == nil {
			h = strings.ToLower(u.Host)
		}
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	slices.Sort(hosts)
	return hosts
}
