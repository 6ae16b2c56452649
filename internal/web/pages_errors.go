package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// errorData is the error page's data.
type errorData struct {
	Status  int
	Heading string
	Message string
}

// pageError writes the HTML error page with status and a message for people.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, status int,
	message string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Disposition")

	heading := http.StatusText(status)
	switch status {
	case http.StatusForbidden:
		heading = "Not allowed"
	case http.StatusNotFound:
		heading = "Not found"
	case http.StatusInternalServerError:
		heading = "Something went wrong"
	}

	s.render(w, r, status, "error", heading, errorData{Status: status, Heading: heading,
		Message: message})
}

// pageMessage is what the error page says for an error answer with status and
// body (the API's JSON error shape, or anything else).
func pageMessage(status int, body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)

	switch {
	case e.Error == "csrf":
		return "The form was refused: it lacks this session's security token or came " +
			"from another site. Reload the page and send it again."
	case status == http.StatusForbidden:
		msg := "Your role may not do this."
		if e.Detail != "" {
			msg = "Not allowed: " + e.Detail + "."
		}

		return msg
	case status == http.StatusNotFound:
		return "There is no such page or record."
	case status == http.StatusMethodNotAllowed:
		return "This address does not take that kind of request."
	case status >= 500:
		return "o2c could not answer this request. It has been logged; try again later."
	case e.Detail != "":
		return e.Detail
	}

	return http.StatusText(status)
}

// pageErrors turns error answers of page routes for browsers into HTML: a 401 into
// a redirect to the login page, any other status of 400 or more that is not
// already HTML into the error page. API routes and clients not asking for HTML are
// left alone.
func (s *Server) pageErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsHTML(r) {
			next.ServeHTTP(w, r)
			return
		}

		pw := &pageErrorWriter{ResponseWriter: w}
		seen := &innerContext{}
		next.ServeHTTP(pw, r.WithContext(context.WithValue(r.Context(), innerKey{}, seen)))

		if !pw.caught {
			return
		}

		// The error page is drawn for the user authentication found, not as if
		// nobody were signed in.
		if seen.ctx != nil {
			r = r.WithContext(seen.ctx)
		}

		h := w.Header()
		for _, k := range []string{"Content-Type", "Content-Length", "WWW-Authenticate",
			"X-Content-Type-Options"} {
			h.Del(k)
		}

		if pw.status == http.StatusUnauthorized {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(nextAfterLogin(r)),
				http.StatusSeeOther)
			return
		}

		s.pageError(w, r, pw.status, pageMessage(pw.status, pw.body.Bytes()))
	})
}

// wantsHTML reports whether r is a browser asking for a page (or posting a page's
// form) rather than a script calling the API.
func wantsHTML(r *http.Request) bool {
	return !strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// nextAfterLogin is where the login page sends the user back to: the page asked
// for, or for a form post the page the form was on.
func nextAfterLogin(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}

	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return safeNext(ref.RequestURI())
	}

	return "/"
}

// pageErrorWriter holds back an error answer that is not HTML, for pageErrors to
// replace.
type pageErrorWriter struct {
	http.ResponseWriter
	wrote  bool
	caught bool
	status int
	body   bytes.Buffer
}

func (w *pageErrorWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}

	w.wrote = true

	ct := w.Header().Get("Content-Type")
	if code >= 400 && !strings.HasPrefix(ct, "text/html") {
		w.caught, w.status = true, code
		return
	}

	w.ResponseWriter.WriteHeader(code)
}

func (w *pageErrorWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}

	if w.caught {
		if room := 4096 - w.body.Len(); room > 0 {
			w.body.Write(b[:min(len(b), room)])
		}

		return len(b), nil
	}

	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far, for streamed downloads.
func (w *pageErrorWriter) Flush() {
	if w.caught {
		return
	}

	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *pageErrorWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// innerKey holds, in a request's context, where rememberContext keeps the context
// the routes saw, with the signed-in user that authentication added.
type innerKey struct{}

type innerContext struct{ ctx context.Context }

// rememberContext keeps the request's context for pageErrors, which sits outside
// authentication.
func rememberContext(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen, ok := r.Context().Value(innerKey{}).(*innerContext); ok {
			seen.ctx = r.Context()
		}

		next.ServeHTTP(w, r)
	})
}
