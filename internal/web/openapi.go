package web

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3.1 document of the API, served at GET
// /openapi.json. It is written by hand; openapi_test.go checks it against the
// route table, the Go types it describes and the answers of a running server.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document of the API, as served at GET
// /openapi.json.
func OpenAPI() []byte {
	return append([]byte(nil), openAPIDocument...)
}

// openAPI serves the API's OpenAPI document. It is public: it describes the
// routes, not their data.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(openAPIDocument)))
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(openAPIDocument)
}
