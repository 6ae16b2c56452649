package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestUnknownRoutesAnswerInTheErrorShape(t *testing.T) {
	a := start(t)

	for _, c := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{http.MethodGet, "/api/no-such-thing", http.StatusNotFound, "not_found", ""},
		{http.MethodDelete, "/api/exceptions", http.StatusMethodNotAllowed,
			"method_not_allowed", "GET"},
		{http.MethodPut, "/api/bank-files/7", http.StatusMethodNotAllowed,
			"method_not_allowed", "GET"},
	} {
		req, err := http.NewRequest(c.method, a.url+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}

		req.Header.Set("Authorization", "Bearer "+a.token)

		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}

		var e struct {
			Error  string `json:"error"`
			Detail string `json:"detail"`
		}

		err = json.NewDecoder(resp.Body).Decode(&e)
		_ = resp.Body.Close()

		if resp.StatusCode != c.status || err != nil || e.Error != c.code ||
			!strings.Contains(e.Detail, c.path) ||
			resp.Header.Get("Content-Type") != "application/json" ||
			!strings.Contains(resp.Header.Get("Allow"), c.allow) {
			t.Errorf("%s %s: %d %q %+v %v, want %d %s", c.method, c.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), e, err, c.status, c.code)
		}
	}

	// The routes are public (/openapi.json): an anonymous caller gets the same answer.
	if code, body := send(t, http.MethodGet, a.url+"/api/no-such-thing", "", ""); code !=
		http.StatusNotFound || !strings.Contains(body, `"error":"not_found"`) {
		t.Errorf("anonymous unknown path: %d %s", code, body)
	}

	// A browser still gets the error page.
	req, err := http.NewRequest(http.MethodGet, a.url+"/no-such-page", nil)
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Accept", "text/html")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	page, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	// The page knows who is signed in: no "Log in" link for them.
	if resp.StatusCode != http.StatusNotFound ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(page), "Back to the start page") ||
		strings.Contains(string(page), `href="/login"`) {
		t.Errorf("browser unknown page: %d %s\n%s", resp.StatusCode,
			resp.Header.Get("Content-Type"), page)
	}
}
