package auth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/o2c-dev/o2c/internal/auth"
)

// A page handler behind Require reads its user from the request; a role that lacks
// the action never reaches it. In a server, Service.Middleware puts the user in the
// context; here WithUser does.
func ExampleRequire() {
	resolve := auth.Require(auth.ActionResolve, func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.UserFrom(r.Context())
		fmt.Fprintf(w, "%s resolves (form token %q)", u.Name, auth.CSRFToken(r))
	})

	for _, u := range []auth.User{{Name: "ana", Role: auth.RoleOps},
		{Name: "vic", Role: auth.RoleViewer}} {
		req := httptest.NewRequest(http.MethodPost, "/exceptions/7/resolve", nil)
		req = req.WithContext(auth.WithUser(req.Context(), u))

		rec := httptest.NewRecorder()
		resolve(rec, req)

		fmt.Println(rec.Code, rec.Body.String())
	}

	// Output:
	// 200 ana resolves (form token "")
	// 403 {"error":"forbidden","detail":"role viewer may not do this"}
}

func ExampleCan() {
	for _, r := range auth.Roles() {
		fmt.Println(r, auth.Can(r, auth.ActionUpload), auth.Can(r, auth.ActionResolve))
	}

	// Output:
	// admin true true
	// treasury true false
	// ops false true
	// viewer false false
}
