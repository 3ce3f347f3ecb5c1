package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

//go:embed static templates
var assets embed.FS

var templates = template.Must(template.New("").Funcs(tmplFuncs).ParseFS(assets, "templates/*.html"))

// PublicRoutes are the routes that answer without a staff session; every
// other route is a staff route. The route-walk test holds the router to
// this list.
var PublicRoutes = map[string]bool{
	"GET /":                          true,
	"GET /embed.js":                  true,
	"GET /assets/*":                  true,
	"GET /healthz":                   true,
	"GET /readyz":                    true,
	"GET /metrics":                   true,
	"POST /api/v1/conversations":     true,
	"GET /api/v1/conversations/{id}": true,
	"POST /api/v1/conversations/{id}/messages": true,
	"POST /api/v1/conversations/{id}/feedback": true,
	"GET /api/v1/conversations/{id}/events":    true,
	"GET /staff/login":                         true,
	"POST /staff/login":                        true,
}

func (s *Server) routes() chi.Router {
	s.tmpl = templates
	static, _ := fs.Sub(assets, "static")
	files := http.FileServerFS(static)

	r := chi.NewRouter()
	// HEAD is answered like GET (monitors probe /healthz with it).
	r.Use(s.observe, middleware.GetHead)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errStatus(http.StatusNotFound, "no such page or API endpoint: %s", truncateID(r.URL.Path)))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errStatus(http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, truncateID(r.URL.Path)))
	})

	r.Group(func(r chi.Router) {
		r.Use(headers(cspAPI, false))
		r.Get("/healthz", s.healthz)
		r.Get("/readyz", s.readyz)
		r.Method(http.MethodGet, "/metrics", s.metrics.Handler())
	})

	// The chat widget: frameable by the sites in FrameAncestors.
	r.Group(func(r chi.Router) {
		r.Use(headers(cspWidget(s.cfg.FrameAncestors), true))
		r.Get("/", s.widgetPage)
		r.Get("/embed.js", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			// Loaded by other sites' pages: allow cross-origin use.
			w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
			http.ServeFileFS(w, r, static, "embed.js")
		})
		r.Get("/assets/*", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/") { // no directory listings
				s.writeError(w, r, errStatus(http.StatusNotFound, "no such file"))
				return
			}
			w.Header().Set("Cache-Control", "public, max-age=300")
			http.StripPrefix("/assets", files).ServeHTTP(w, r)
		})
	})

	r.Route("/api/v1", func(r chi.Router) {
		r.Use(headers(cspAPI, false))
		r.Get("/conversations/{id}/events", s.events)
		r.Group(func(r chi.Router) {
			r.Use(s.deadline, s.limit(s.visitorLimit, "visitor"))
			r.Post("/conversations", s.createConversation)
			r.Get("/conversations/{id}", s.getConversation)
			r.Post("/conversations/{id}/messages", s.postMessage)
			r.Post("/conversations/{id}/feedback", s.postFeedback)
		})
	})

	r.Route("/staff", func(r chi.Router) {
		r.Use(headers(cspStaff, false), http.NewCrossOriginProtection().Handler, s.deadline)
		r.Get("/login", s.loginPage)
		r.Post("/login", s.login)
		r.Group(func(r chi.Router) {
			r.Use(s.requireStaff)
			r.Get("/", s.inbox)
			r.Post("/logout", s.logout)
			r.Get("/escalations/{id}", s.escalationPage)
			r.Post("/escalations/{id}/claim", s.claim)
			r.Post("/escalations/{id}/reply", s.reply)
			r.Post("/escalations/{id}/close", s.closeEscalation)
			r.Get("/api/escalations", s.apiEscalations)
			r.Get("/sources", s.sourcesList)
			r.Get("/sources/new", s.sourceNew)
			r.Post("/sources/new", s.sourceSave)
			r.Get("/sources/{name}/edit", s.sourceEdit)
			r.Post("/sources/{name}/edit", s.sourceSave)
			r.Post("/sources/{name}/delete", s.sourceDelete)
			r.Post("/sources/{name}/crawl", s.sourceCrawl)
		})
	})
	return r
}

// GET /: the chat page. ?embed=1 is the iframe the bubble opens; ?lang=de
// overrides the browser's language.
func (s *Server) widgetPage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		s.writeError(w, r, errStatus(http.StatusNotFound, "no such page"))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	static, _ := fs.Sub(assets, "static")
	http.ServeFileFS(w, r, static, "index.html")
}

// GET /healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// GET /readyz: the process can answer chats (store and index reachable)
// and is not shutting down.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
		return
	}
	if err := s.ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
