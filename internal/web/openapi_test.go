package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/dashboard"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/invoices"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/monitor"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

// The OpenAPI document is written by hand. These tests keep it honest: it names
// exactly the routes the server has, it is well formed, its schemas have the
// fields of the Go types they describe, and the answers of a running server match
// them.

// oaDoc is a decoded JSON document.
type oaDoc = map[string]any

// publicRoutes are the routes outside the route table that the document
// describes: they need no role.
var publicRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics",
	"GET /openapi.json", "POST /api/login", "POST /api/logout"}

// oaMethods are the operations' keys of a path item.
var oaMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

func loadOpenAPI(t *testing.T) oaDoc {
	t.Helper()

	dec := json.NewDecoder(bytes.NewReader(web.OpenAPI()))
	dec.UseNumber()

	var doc oaDoc
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}

	if dec.More() {
		t.Fatal("openapi.json holds more than one JSON value")
	}

	return doc
}

// oaOp is one documented operation.
type oaOp struct {
	method, path string
	op           oaDoc
}

func (o oaOp) key() string { return strings.ToUpper(o.method) + " " + o.path }

func operations(doc oaDoc) []oaOp {
	var out []oaOp

	for path, item := range doc["paths"].(oaDoc) {
		for _, m := range oaMethods {
			if op, ok := item.(oaDoc)[m].(oaDoc); ok {
				out = append(out, oaOp{method: m, path: path, op: op})
			}
		}
	}

	sort.Slice(out, func(i, j int) bool { return out[i].key() < out[j].key() })

	return out
}

// openAPIPath turns a ServeMux pattern's path into an OpenAPI path template.
func openAPIPath(p string) string {
	return strings.NewReplacer("...}", "}", "{$}", "").Replace(p)
}

// roleSentence is what an operation's description says of who may call it.
func roleSentence(a auth.Action) string {
	var roles []string

	for _, r := range auth.Roles() {
		if auth.Can(r, a) {
			roles = append(roles, string(r))
		}
	}

	return fmt.Sprintf("Needs the `%s` action: roles %s.", a, strings.Join(roles, ", "))
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()

	doc := loadOpenAPI(t)
	srv := web.New(web.Config{Logger: quiet})

	want := map[string]auth.Action{}

	for _, rt := range srv.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if strings.HasPrefix(path, "/api/") {
			want[method+" "+openAPIPath(path)] = rt.Action
		}
	}

	for _, p := range publicRoutes {
		want[p] = ""
	}

	documented := map[string]bool{}

	for _, o := range operations(doc) {
		k := o.key()
		documented[k] = true

		action, ok := want[k]
		if !ok {
			t.Errorf("%s is documented but the server has no such route", k)
			continue
		}

		got, _ := o.op["x-o2c-action"].(string)
		desc, _ := o.op["description"].(string)
		sec, hasSec := o.op["security"].([]any)

		switch {
		case action == "" && got != "":
			t.Errorf("%s: public, but x-o2c-action is %q", k, got)
		case action == "" && (!hasSec || len(sec) > 0 &&
			!slices.ContainsFunc(sec, emptyRequirement)):
			t.Errorf("%s: public, but its security does not allow anonymous callers", k)
		case action != "" && got != string(action):
			t.Errorf("%s: x-o2c-action %q, the route table says %q", k, got, action)
		case action != "" && !strings.Contains(desc, roleSentence(action)):
			t.Errorf("%s: description lacks %q", k, roleSentence(action))
		case action != "" && hasSec && slices.ContainsFunc(sec, emptyRequirement):
			t.Errorf("%s: needs a role, but its security allows anonymous callers", k)
		}

		if action != "" && o.method != "get" {
			checkWriteSecurity(t, k, sec)
		}
	}

	for k := range want {
		if !documented[k] {
			t.Errorf("%s is a route of the server but openapi.json does not document it", k)
		}
	}
}

func emptyRequirement(r any) bool {
	m, ok := r.(oaDoc)
	return ok && len(m) == 0
}

// checkWriteSecurity checks that a write with the session cookie is documented as
// needing the CSRF header too.
func checkWriteSecurity(t *testing.T, k string, sec []any) {
	t.Helper()

	if len(sec) == 0 {
		t.Errorf("%s: a write without its own security (the CSRF header)", k)
		return
	}

	for _, r := range sec {
		m := r.(oaDoc)
		_, cookie := m["sessionCookie"]
		_, csrf := m["csrfHeader"]

		if cookie && !csrf {
			t.Errorf("%s: a write with the session cookie but without csrfHeader", k)
		}
	}
}

// pointer resolves a local JSON pointer ("#/components/schemas/X") in doc.
func pointer(doc oaDoc, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, false
	}

	var cur any = doc

	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)

		m, ok := cur.(oaDoc)
		if !ok {
			return nil, false
		}

		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}

	return cur, true
}

// deref follows $ref until an object without one.
func deref(doc oaDoc, v oaDoc) oaDoc {
	for i := 0; i < 10; i++ {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}

		target, _ := pointer(doc, ref)
		v, _ = target.(oaDoc)
	}

	return v
}

// walk calls fn with every JSON object in v and its location.
func walk(v any, at string, fn func(at string, m oaDoc)) {
	switch x := v.(type) {
	case oaDoc:
		fn(at, x)

		for k, e := range x {
			walk(e, at+"/"+k, fn)
		}
	case []any:
		for i, e := range x {
			walk(e, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

// schemaKeywords are the JSON Schema keywords the document may use: those
// checkSchema understands, and annotations.
var schemaKeywords = map[string]bool{"$ref": true, "anyOf": true, "type": true,
	"enum": true, "format": true, "pattern": true, "minimum": true, "maximum": true,
	"minLength": true, "maxLength": true, "properties": true, "required": true,
	"additionalProperties": true, "items": true, "description": true,
	"contentMediaType": true}

// schemasOf calls fn with every schema of the document, nested ones included.
func schemasOf(doc oaDoc, fn func(at string, s oaDoc)) {
	var visit func(at string, s oaDoc)
	visit = func(at string, s oaDoc) {
		fn(at, s)

		for name, p := range mapOf(s["properties"]) {
			visit(at+"/properties/"+name, p.(oaDoc))
		}

		for _, k := range []string{"items", "additionalProperties"} {
			if sub, ok := s[k].(oaDoc); ok {
				visit(at+"/"+k, sub)
			}
		}

		for i, sub := range listOf(s["anyOf"]) {
			visit(at+"/anyOf/"+strconv.Itoa(i), sub.(oaDoc))
		}
	}

	for name, s := range mapOf(mapOf(doc["components"])["schemas"]) {
		visit("#/components/schemas/"+name, s.(oaDoc))
	}

	walk(doc["paths"], "#/paths", func(at string, m oaDoc) {
		if s, ok := m["schema"].(oaDoc); ok {
			visit(at+"/schema", s)
		}
	})

	walk(mapOf(doc["components"])["parameters"], "#/components/parameters",
		func(at string, m oaDoc) {
			if s, ok := m["schema"].(oaDoc); ok && m["in"] != nil {
				visit(at+"/schema", s)
			}
		})

	walk(mapOf(doc["components"])["responses"], "#/components/responses",
		func(at string, m oaDoc) {
			if s, ok := m["schema"].(oaDoc); ok {
				visit(at+"/schema", s)
			}
		})
}

func mapOf(v any) oaDoc {
	m, _ := v.(oaDoc)
	return m
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	t.Parallel()

	doc := loadOpenAPI(t)

	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Errorf("openapi %q, want 3.1.x", v)
	}

	info := mapOf(doc["info"])
	if info["title"] == nil || info["version"] == nil {
		t.Error("info lacks title or version")
	}

	walk(doc, "#", func(at string, m oaDoc) {
		if ref, ok := m["$ref"].(string); ok {
			if _, found := pointer(doc, ref); !found {
				t.Errorf("%s: $ref %q does not resolve", at, ref)
			}
		}
	})

	schemes := mapOf(mapOf(doc["components"])["securitySchemes"])
	walk(doc, "#", func(at string, m oaDoc) {
		for _, r := range listOf(m["security"]) {
			for name := range mapOf(r) {
				if schemes[name] == nil {
					t.Errorf("%s: security scheme %q is not defined", at, name)
				}
			}
		}
	})

	schemasOf(doc, func(at string, s oaDoc) {
		for k := range s {
			if !schemaKeywords[k] {
				t.Errorf("%s: keyword %q is not one the tests check", at, k)
			}
		}

		props := mapOf(s["properties"])
		for _, r := range listOf(s["required"]) {
			if props[r.(string)] == nil {
				t.Errorf("%s: required %q is not a property", at, r)
			}
		}

		if strings.HasPrefix(at, "#/components/schemas/") && props != nil &&
			s["additionalProperties"] == nil {
			t.Errorf("%s: an object schema must state additionalProperties", at)
		}
	})

	ids := map[string]string{}

	for _, o := range operations(doc) {
		checkOperation(t, doc, o, ids)
	}
}

func checkOperation(t *testing.T, doc oaDoc, o oaOp, ids map[string]string) {
	t.Helper()

	k := o.key()

	id, _ := o.op["operationId"].(string)
	switch {
	case id == "":
		t.Errorf("%s has no operationId", k)
	case ids[id] != "":
		t.Errorf("%s: operationId %q is also %s's", k, id, ids[id])
	}

	ids[id] = k

	if d, _ := o.op["description"].(string); d == "" {
		t.Errorf("%s has no description", k)
	}

	responses := mapOf(o.op["responses"])
	success := false

	for code, r := range responses {
		n, err := strconv.Atoi(code)
		if err != nil {
			t.Errorf("%s: response %q is not a status", k, code)
			continue
		}

		success = success || n >= 200 && n < 300
		resp := deref(doc, r.(oaDoc))

		if resp["description"] == nil {
			t.Errorf("%s %s: a response needs a description", k, code)
		}

		if n >= 400 {
			s := mapOf(mapOf(mapOf(resp["content"])["application/json"])["schema"])
			if s["$ref"] != "#/components/schemas/Error" {
				t.Errorf("%s %s: an error answer must use the Error schema", k, code)
			}
		}
	}

	if !success {
		t.Errorf("%s has no 2xx response", k)
	}

	want := []string{"500"}
	if _, secured := o.op["x-o2c-action"]; secured {
		want = append(want, "401", "403")
	}

	params := map[string]bool{}
	for _, p := range listOf(o.op["parameters"]) {
		p := deref(doc, p.(oaDoc))
		if p["in"] == "path" {
			params[p["name"].(string)] = true

			if p["required"] != true {
				t.Errorf("%s: path parameter %v must be required", k, p["name"])
			}
		}
	}

	// A record named in the path may not exist; a body or a query parameter may
	// not read.
	if len(params) > 0 {
		want = append(want, "404")
	}

	if o.op["requestBody"] != nil || len(listOf(o.op["parameters"])) > len(params) {
		want = append(want, "400")
	}

	for _, code := range want {
		if responses[code] == nil {
			t.Errorf("%s: no %s response documented", k, code)
		}
	}

	for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(o.path, -1) {
		if !params[m[1]] {
			t.Errorf("%s: path parameter %s is not declared", k, m[1])
		}

		delete(params, m[1])
	}

	for p := range params {
		t.Errorf("%s: declares path parameter %s that its path lacks", k, p)
	}
}

// sourceErrorCode finds the error codes the server writes in its source.
var sourceErrorCode = regexp.MustCompile(`(?:writeError|refuse)\(w, http\.Status\w+,\s*` +
	`"([a-z_]+)"|\bError:\s*"([a-z_]+)"`)

func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	t.Parallel()

	doc := loadOpenAPI(t)
	errSchema := mapOf(mapOf(mapOf(mapOf(doc["components"])["schemas"])["Error"])["properties"])

	documented := map[string]bool{}
	for _, c := range listOf(mapOf(errSchema["error"])["enum"]) {
		documented[c.(string)] = true
	}

	used := map[string]string{}

	for _, dir := range []string{".", filepath.Join("..", "auth"), filepath.Join("..",
		"monitor")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}

		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}

			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}

			for _, m := range sourceErrorCode.FindAllStringSubmatch(string(src), -1) {
				used[m[1]+m[2]] = f
			}
		}
	}

	if len(used) < 5 {
		t.Fatalf("found only %d error codes in the source: %v", len(used), used)
	}

	for code, f := range used {
		if !documented[code] {
			t.Errorf("error code %q (%s) is not in the Error schema's enum", code, f)
		}
	}

	for code := range documented {
		if used[code] == "" {
			t.Errorf("error code %q is documented but the server never sends it", code)
		}
	}
}

// goSchemas names the Go type each component schema describes.
var goSchemas = map[string]any{
	"FieldError": exceptions.FieldError{}, "User": auth.User{}, "Session": auth.Session{},
	"Token": auth.Token{}, "Problem": bankfile.Problem{}, "BankFile": store.BankFile{},
	"Amount": money.Amount{}, "Remit": bankfile.Remit{}, "Transaction": bankfile.Transaction{},
	"Payment": store.PaymentRow{}, "Tally": bank.Tally{}, "Sides": bank.Sides{},
	"BankReport": bank.Report{}, "AuditEntry": store.AuditEntry{},
	"Candidate": store.Candidate{}, "QueueRow": store.QueueRow{},
	"QueuePage": exceptions.Page{}, "QueueCounts": store.QueueCounts{},
	"Settings": exceptions.Settings{}, "Exception": store.Exception{},
	"Payer": exceptions.Payer{}, "InvoiceBrief": exceptions.InvoiceBrief{},
	"Features": matching.Features{}, "ScoredCandidate": matching.ScoredCandidate{},
	"Trace": matching.Trace{}, "CandidateView": exceptions.CandidateView{},
	"Application": store.Application{}, "AppliedHistory": store.AppliedHistory{},
	"Comment": store.Comment{}, "Approval": store.Approval{}, "View": store.View{},
	"ExceptionDetail": exceptions.Detail{}, "Outcome": exceptions.Outcome{},
	"Allocation": exceptions.Allocation{}, "Resolution": exceptions.Resolution{},
	"Line": exceptions.Line{}, "ApplyRequest": exceptions.ApplyRequest{},
	"WriteOffRequest": exceptions.WriteOffRequest{}, "ParkRequest": exceptions.ParkRequest{},
	"NoteRequest": exceptions.PayBackRequest{}, "CloseRequest": exceptions.CloseRequest{},
	"BulkRequest": exceptions.BulkRequest{}, "BulkItem": exceptions.BulkItem{},
	"BulkResult": exceptions.BulkResult{},
	"InvoiceHit": store.InvoiceHit{}, "InvoicePage": invoices.Page{},

	"DashboardTally": dashboard.Tally{}, "CurrencySummary": dashboard.CurrencySummary{},
	"CashDay": dashboard.CashDay{}, "CashReport": dashboard.CashReport{},
	"StatusTally": dashboard.StatusTally{}, "AgeBucket": dashboard.AgeBucket{},
	"UnappliedReport": dashboard.UnappliedReport{}, "ReasonRow": dashboard.ReasonRow{},
	"ExceptionAge": dashboard.ExceptionAge{}, "ExceptionReport": dashboard.ExceptionReport{},
	"InvoiceDay": dashboard.InvoiceDay{}, "PushError": dashboard.PushError{},
	"InvoiceReport": dashboard.InvoiceReport{}, "DSO": dashboard.DSO{},
	"Dashboard": dashboard.Dashboard{},
}

// requestSchemas are read by the server: their required fields are those it
// needs, not those Go always writes.
var requestSchemas = map[string]bool{"Allocation": true, "Resolution": true, "Line": true,
	"ApplyRequest": true, "WriteOffRequest": true, "ParkRequest": true,
	"NoteRequest": true, "CloseRequest": true, "BulkRequest": true}

// goField is a field as encoding/json writes it.
type goField struct {
	typ       reflect.Type
	omitempty bool
}

// jsonFields lists the fields encoding/json writes for struct type t, embedded
// structs' fields included.
func jsonFields(t reflect.Type) map[string]goField {
	out := map[string]goField{}

	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")

		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}

		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}

			continue
		}

		if name == "" {
			name = f.Name
		}

		out[name] = goField{typ: f.Type, omitempty: strings.Contains(opts, "omitempty") ||
			strings.Contains(opts, "omitzero")}
	}

	return out
}

// jsonType is the JSON Schema type encoding/json writes for t ("" for any JSON).
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}

	switch {
	case t == reflect.TypeFor[json.RawMessage]():
		return ""
	case t == reflect.TypeFor[time.Time]():
		return "string"
	}

	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// schemaTypes lists the types a schema allows, following $ref and anyOf.
func schemaTypes(doc oaDoc, s oaDoc) []string {
	s = deref(doc, s)

	var out []string

	switch v := s["type"].(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, x := range v {
			out = append(out, x.(string))
		}
	}

	for _, sub := range listOf(s["anyOf"]) {
		out = append(out, schemaTypes(doc, sub.(oaDoc))...)
	}

	return out
}

func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	t.Parallel()

	doc := loadOpenAPI(t)
	schemas := mapOf(mapOf(doc["components"])["schemas"])

	for name, v := range goSchemas {
		s := mapOf(schemas[name])
		if s == nil {
			t.Errorf("no schema %s", name)
			continue
		}

		fields := jsonFields(reflect.TypeOf(v))
		props := mapOf(s["properties"])

		required := map[string]bool{}
		for _, r := range listOf(s["required"]) {
			required[r.(string)] = true
		}

		for fname, f := range fields {
			p, ok := props[fname].(oaDoc)
			if !ok {
				t.Errorf("%s: the Go type writes %q, the schema lacks it", name, fname)
				continue
			}

			if !requestSchemas[name] && required[fname] == f.omitempty {
				t.Errorf("%s.%s: required is %v, but Go omits it when empty: %v", name,
					fname, required[fname], f.omitempty)
			}

			want := jsonType(f.typ)
			got := schemaTypes(doc, p)

			// Raw JSON may be documented with the shape o2c stores in it.
			if want != "" && !slices.Contains(got, want) {
				t.Errorf("%s.%s: schema types %v, Go writes %q", name, fname, got, want)
			}
		}

		for pname := range props {
			if _, ok := fields[pname]; !ok {
				t.Errorf("%s: the schema has %q, the Go type does not", name, pname)
			}
		}
	}
}

// checkSchema reports where v does not match schema s: the JSON Schema subset of
// schemaKeywords.
func checkSchema(doc oaDoc, s oaDoc, v any, at string) []string {
	if ref, ok := s["$ref"].(string); ok {
		target, found := pointer(doc, ref)
		if !found {
			return []string{at + ": $ref " + ref + " does not resolve"}
		}

		return checkSchema(doc, target.(oaDoc), v, at)
	}

	if alts := listOf(s["anyOf"]); len(alts) > 0 {
		var all []string

		for _, alt := range alts {
			errs := checkSchema(doc, alt.(oaDoc), v, at)
			if len(errs) == 0 {
				return nil
			}

			all = append(all, errs...)
		}

		return []string{at + ": matches no anyOf choice: " + strings.Join(all, "; ")}
	}

	if types := schemaTypesHere(s); len(types) > 0 && !typeAllowed(types, v) {
		return []string{fmt.Sprintf("%s: %s, want %v", at, clipValue(v), types)}
	}

	var errs []string

	if enum := listOf(s["enum"]); len(enum) > 0 && !slices.ContainsFunc(enum, func(e any) bool {
		return fmt.Sprint(e) == fmt.Sprint(v)
	}) {
		errs = append(errs, fmt.Sprintf("%s: %s is not one of %v", at, clipValue(v), enum))
	}

	switch x := v.(type) {
	case string:
		errs = append(errs, checkString(s, x, at)...)
	case json.Number:
		errs = append(errs, checkNumber(s, x, at)...)
	case []any:
		if items, ok := s["items"].(oaDoc); ok {
			for i, e := range x {
				errs = append(errs, checkSchema(doc, items, e, at+"["+strconv.Itoa(i)+"]")...)
			}
		}
	case oaDoc:
		errs = append(errs, checkObject(doc, s, x, at)...)
	}

	return errs
}

func schemaTypesHere(s oaDoc) []string {
	switch v := s["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, x.(string))
		}

		return out
	}

	return nil
}

func typeAllowed(types []string, v any) bool {
	var got string

	switch x := v.(type) {
	case nil:
		got = "null"
	case bool:
		got = "boolean"
	case string:
		got = "string"
	case []any:
		got = "array"
	case oaDoc:
		got = "object"
	case json.Number:
		got = "number"
		if !strings.ContainsAny(x.String(), ".eE") && slices.Contains(types, "integer") {
			return true
		}
	}

	return slices.Contains(types, got)
}

func checkString(s oaDoc, v, at string) []string {
	var errs []string

	switch s["format"] {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, v))
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a date", at, v))
		}
	}

	if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
		errs = append(errs, fmt.Sprintf("%s: %q does not match %s", at, v, p))
	}

	n := int64(utf8.RuneCountInString(v))
	if lim, ok := s["maxLength"].(json.Number); ok && n > mustInt(lim) {
		errs = append(errs, fmt.Sprintf("%s: longer than %s", at, lim))
	}

	if lim, ok := s["minLength"].(json.Number); ok && n < mustInt(lim) {
		errs = append(errs, fmt.Sprintf("%s: shorter than %s", at, lim))
	}

	return errs
}

func checkNumber(s oaDoc, v json.Number, at string) []string {
	f, err := v.Float64()
	if err != nil {
		return []string{at + ": " + err.Error()}
	}

	if lim, ok := s["minimum"].(json.Number); ok && f < float64(mustInt(lim)) {
		return []string{fmt.Sprintf("%s: %s is below %s", at, v, lim)}
	}

	if lim, ok := s["maximum"].(json.Number); ok && f > float64(mustInt(lim)) {
		return []string{fmt.Sprintf("%s: %s is above %s", at, v, lim)}
	}

	return nil
}

func mustInt(n json.Number) int64 {
	i, err := n.Int64()
	if err != nil {
		panic(fmt.Sprintf("schema bound %s is not an integer", n))
	}

	return i
}

func checkObject(doc oaDoc, s oaDoc, v oaDoc, at string) []string {
	var errs []string

	props := mapOf(s["properties"])

	for _, r := range listOf(s["required"]) {
		if _, ok := v[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: lacks required %q", at, r))
		}
	}

	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}

	sort.Strings(keys)

	for _, k := range keys {
		if p, ok := props[k].(oaDoc); ok {
			errs = append(errs, checkSchema(doc, p, v[k], at+"."+k)...)
			continue
		}

		switch extra := s["additionalProperties"].(type) {
		case bool:
			if !extra {
				errs = append(errs, fmt.Sprintf("%s: %q is not in the schema", at, k))
			}
		case oaDoc:
			errs = append(errs, checkSchema(doc, extra, v[k], at+"."+k)...)
		}
	}

	return errs
}

func clipValue(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}

	return string(b)
}

func TestOpenAPISchemaCheckerRefusesWhatTheSchemaDoesNot(t *testing.T) {
	t.Parallel()

	doc := loadOpenAPI(t)
	token := oaDoc{"$ref": "#/components/schemas/Token"}

	decode := func(s string) any {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()

		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}

		return v
	}

	good := `{"id": 3, "user": "ana", "label": "ci", "hint": "abcd",
		"created_at": "2026-10-01T08:00:00Z"}`
	if errs := checkSchema(doc, token, decode(good), "token"); len(errs) > 0 {
		t.Fatalf("a good token refused: %v", errs)
	}

	// Each bad token is the good one with one change.
	const at = `"created_at": "2026-10-01T08:00:00Z"`

	for name, bad := range map[string]string{
		"unknown field": `{"id": 3, "user": "ana", "label": "", "hint": "", ` + at +
			`, "secret": "o2c_x"}`,
		"missing field":   `{"id": 3, "user": "ana", "label": "", ` + at + `}`,
		"float id":        `{"id": 3.5, "user": "ana", "label": "", "hint": "", ` + at + `}`,
		"bad date":        `{"id": 3, "user": "ana", "label": "", "hint": "", "created_at": "1st"}`,
		"null":            `null`,
		"null in a field": `{"id": 3, "user": null, "label": "", "hint": "", ` + at + `}`,
		"number as text":  `{"id": 3, "user": "ana", "label": 7, "hint": "", ` + at + `}`,
	} {
		if errs := checkSchema(doc, token, decode(bad), "token"); len(errs) == 0 {
			t.Errorf("%s: accepted", name)
		}
	}

	role := oaDoc{"$ref": "#/components/schemas/Role"}
	if errs := checkSchema(doc, role, "root", "role"); len(errs) == 0 {
		t.Error("a role outside the enum accepted")
	}

	schemas := mapOf(mapOf(doc["components"])["schemas"])
	report := mapOf(mapOf(schemas["FileReport"])["properties"])["report"].(oaDoc)
	if errs := checkSchema(doc, report, nil, "report"); len(errs) > 0 {
		t.Errorf("a null report refused: %v", errs)
	}

	if errs := checkSchema(doc, report, "x", "report"); len(errs) == 0 {
		t.Error("a string report accepted")
	}
}

func TestOpenAPIServedPublicly(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(web.New(web.Config{Logger: quiet}))
	t.Cleanup(srv.Close)

	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	if resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "application/json" ||
		!bytes.Equal(body, web.OpenAPI()) {
		t.Fatalf("GET /openapi.json: %d %q, %d bytes", resp.StatusCode,
			resp.Header.Get("Content-Type"), len(body))
	}
}

// oaHarness sends requests to a running server and checks each answer against
// the document: its status is documented for the operation, its content type
// too, and a JSON body matches the documented schema.
type oaHarness struct {
	t       *testing.T
	doc     oaDoc
	base    string
	covered map[string]bool
}

// oaCall is one request and the status it must get.
type oaCall struct {
	// method and tmpl name the documented operation; path is the request's.
	method, tmpl, path string
	// token is sent as a bearer token when not "".
	token string
	// client sends the request; http.DefaultClient when nil.
	client *http.Client
	ctype  string
	body   string
	// header lists more header names and values.
	header []string
	want   int
}

// call sends c, checks the answer and returns its JSON object (nil for another
// answer).
func (h *oaHarness) call(c oaCall) oaDoc {
	t := h.t
	t.Helper()

	key := strings.ToUpper(c.method) + " " + c.tmpl

	op := mapOf(mapOf(mapOf(h.doc["paths"])[c.tmpl])[strings.ToLower(c.method)])
	if op == nil {
		t.Errorf("%s is not documented", key)
		return nil
	}

	pattern := "^" + regexp.MustCompile(`\\\{[^}]+\\\}`).ReplaceAllString(
		regexp.QuoteMeta(c.tmpl), `[^/]+`) + `(\?.*)?$`
	if !regexp.MustCompile(pattern).MatchString(c.path) {
		t.Fatalf("%s is not a path of %s", c.path, c.tmpl)
	}

	status, header, raw := h.send(c)
	ctype := header.Get("Content-Type")
	h.covered[key] = true

	// A JSON body the server accepted must be one the document allows.
	if status < 300 && c.body != "" && c.ctype == "application/json" {
		h.checkRequest(key, op, c.body)
	}

	if status != c.want {
		t.Errorf("%s %s: %d %s, want %d", c.method, c.path, status, clip(string(raw)),
			c.want)
		return nil
	}

	resp, ok := mapOf(op["responses"])[strconv.Itoa(status)].(oaDoc)
	if !ok {
		t.Errorf("%s %s: status %d is not documented for %s", c.method, c.path, status, key)
		return nil
	}

	for name := range mapOf(deref(h.doc, resp)["headers"]) {
		if header.Get(name) == "" {
			t.Errorf("%s %s: %d lacks the documented header %s", c.method, c.path, status,
				name)
		}
	}

	mediaType, _, _ := strings.Cut(ctype, ";")
	media, ok := mapOf(deref(h.doc, resp)["content"])[mediaType].(oaDoc)

	if !ok {
		t.Errorf("%s %s: %d answered %q, not a documented content type", c.method, c.path,
			status, ctype)
		return nil
	}

	if mediaType != "application/json" {
		return nil
	}

	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()

	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s %s: %d is not JSON: %v", c.method, c.path, status, err)
		return nil
	}

	errs := checkSchema(h.doc, mapOf(media["schema"]), v, "body")
	for i, e := range errs {
		if i == 3 {
			t.Errorf("%s %s (%d): and %d more", c.method, c.path, status, len(errs)-i)
			break
		}

		t.Errorf("%s %s (%d): %s", c.method, c.path, status, e)
	}

	m, _ := v.(oaDoc)

	return m
}

func (h *oaHarness) checkRequest(key string, op oaDoc, body string) {
	h.t.Helper()

	rb := deref(h.doc, mapOf(op["requestBody"]))
	s := mapOf(mapOf(mapOf(rb["content"])["application/json"])["schema"])

	if s == nil {
		h.t.Errorf("%s took a JSON body that the document does not describe", key)
		return
	}

	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()

	var v any
	if err := dec.Decode(&v); err != nil {
		h.t.Fatalf("%s: the test's body is not JSON: %v", key, err)
	}

	for _, e := range checkSchema(h.doc, s, v, "request") {
		h.t.Errorf("%s: accepted a request the document refuses: %s", key, e)
	}
}

func (h *oaHarness) send(c oaCall) (int, http.Header, []byte) {
	h.t.Helper()

	req, err := http.NewRequest(c.method, h.base+c.path, strings.NewReader(c.body))
	if err != nil {
		h.t.Fatal(err)
	}

	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}

	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}

	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}

	client := c.client
	if client == nil {
		client = http.DefaultClient
	}

	resp, err := client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}

	return resp.StatusCode, resp.Header, raw
}

// get, post and del call an operation whose template is the path itself but for
// the values given, as a bearer token holder.
func (h *oaHarness) get(token, tmpl, path string, want int) oaDoc {
	h.t.Helper()

	return h.call(oaCall{method: "GET", tmpl: tmpl, path: path, token: token, want: want})
}

func (h *oaHarness) post(token, tmpl, path, body string, want int) oaDoc {
	h.t.Helper()

	ctype := ""
	if body != "" {
		ctype = "application/json"
	}

	return h.call(oaCall{method: "POST", tmpl: tmpl, path: path, token: token,
		ctype: ctype, body: body, want: want})
}

func (h *oaHarness) del(token, tmpl, path string, want int) oaDoc {
	h.t.Helper()

	return h.call(oaCall{method: "DELETE", tmpl: tmpl, path: path, token: token,
		want: want})
}

// num reads an integer field of an answer.
func num(t *testing.T, m oaDoc, keys ...string) int64 {
	t.Helper()

	var v any = m
	for _, k := range keys {
		v = mapOf(v)[k]
	}

	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v in %s is not a number", keys, clipValue(m))
	}

	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}

	return i
}

func str(m oaDoc, keys ...string) string {
	var v any = m
	for _, k := range keys {
		v = mapOf(v)[k]
	}

	s, _ := v.(string)

	return s
}

// Bank files of the OpenAPI test: one that makes an exception with the engine's
// decision and a debit, one for the multipart upload, one that is rejected.
const (
	oaFileA = "date,amount,currency,payer,reference\n" +
		"2026-11-03,45.10,EUR,Quillon Supply,INV-9041\n" +
		"2026-11-03,-3.20,EUR,Bank fee,FEE-NOV\n"
	oaFileB = "date,amount,currency,payer,reference\n" +
		"2026-11-04,18.00,EUR,Tamsin Crafts,order 77\n"
	oaFileBad = "date,amount,currency,payer,reference\n" +
		"2026-11-05,1x.00,EUR,Tamsin Crafts,order 78\n"
)

func multipartBody(t *testing.T, files ...string) (string, string) {
	t.Helper()

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)

	for i := 0; i+1 < len(files); i += 2 {
		fw, err := mw.CreateFormFile("file", files[i])
		if err != nil {
			t.Fatal(err)
		}

		if _, err := io.WriteString(fw, files[i+1]); err != nil {
			t.Fatal(err)
		}
	}

	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}

	return mw.FormDataContentType(), buf.String()
}

func TestOpenAPIAnswersMatchSchemas(t *testing.T) {
	s := startSite(t, nil, bank.NewReader(nil), auth.Config{})
	ex := seed(t, s.pool, 64000, 30000, 9000, 2500, 1500, 1000, 800, 600)

	h := &oaHarness{t: t, doc: loadOpenAPI(t), base: s.url, covered: map[string]bool{}}
	admin := s.token
	viewer := s.tokenFor(t, "vera.viewer", auth.RoleViewer)
	olga := s.tokenFor(t, "olga.ops", auth.RoleOps)
	treasury := s.tokenFor(t, "tomas.treasury", auth.RoleTreasury)

	h.get("", "/healthz", "/healthz", 200)
	h.get("", "/readyz", "/readyz", 200)
	h.get("", "/openapi.json", "/openapi.json", 200)

	oaSession(t, h, s.api)
	oaTokens(t, h, admin, olga)
	files := oaBankFiles(t, h, s.api, treasury, viewer)

	h.get(viewer, "/api/audit", "/api/audit?limit=2&entity=bank_file", 200)
	h.get(viewer, "/api/audit", "/api/audit?from=2026-13-01", 400)

	oaQueue(t, h, viewer, ex[0])
	oaActions(t, h, ex, admin, olga, viewer)
	oaViews(t, h, viewer)
	oaInvoices(t, h, viewer)
	oaUsers(t, h, admin, viewer)

	h.get(viewer, "/api/dashboard", "/api/dashboard", 200)
	h.get(viewer, "/api/dashboard", "/api/dashboard?currency=eur&days=366", 200)
	h.get(viewer, "/api/dashboard", "/api/dashboard?days=0&currency=EURO", 400)
	h.get("", "/api/dashboard", "/api/dashboard", 401)

	// Every exception's detail, in whatever state the actions left it: the
	// engine's decision of the uploaded payment, applications, approvals, comments.
	page := h.get(viewer, "/api/exceptions", "/api/exceptions?status=all&limit=500", 200)
	for _, row := range listOf(page["exceptions"]) {
		id := num(t, mapOf(row), "id")
		h.get(viewer, "/api/exceptions/{id}", "/api/exceptions/"+oaID(id), 200)
	}

	for _, id := range files {
		h.get(viewer, "/api/bank-files/{id}", "/api/bank-files/"+oaID(id), 200)
	}

	oaLimits(t, h, s.api, treasury)

	for _, o := range operations(h.doc) {
		if !h.covered[o.key()] {
			t.Errorf("%s is never called by this test", o.key())
		}
	}
}

// oaSession logs in with a password and uses the session cookie and its CSRF
// token.
func oaSession(t *testing.T, h *oaHarness, a *api) {
	t.Helper()

	a.addUser(t, "lena.ops", auth.RoleOps)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}

	b := &http.Client{Jar: jar}
	login := func(body string, want int) oaDoc {
		return h.call(oaCall{method: "POST", tmpl: "/api/login", path: "/api/login",
			client: b, ctype: "application/json", body: body, want: want})
	}

	login(`{"name": "lena.ops", "password": "not the password"}`, 401)
	login(`{"name": "lena.ops"`, 400)
	login(`{"name": "lena.ops", "password": "x", "remember": true}`, 400)

	se := login(`{"name": "lena.ops", "password": "`+testPassword+`"}`, 200)
	csrf := str(se, "csrf_token")

	me := h.call(oaCall{method: "GET", tmpl: "/api/me", path: "/api/me", client: b, want: 200})
	if str(me, "via") != "session" || str(me, "csrf_token") != csrf {
		t.Errorf("GET /api/me with the cookie: %s", clipValue(me))
	}

	change := func(body string, want int, header ...string) oaDoc {
		return h.call(oaCall{method: "POST", tmpl: "/api/me/password",
			path: "/api/me/password", client: b, ctype: "application/json", body: body,
			header: header, want: want})
	}

	change(`{"current_password": "`+testPassword+`", "new_password": "`+testPassword+`"}`,
		403)
	change(`{"current_password": "guess guess guess", "new_password": "a new long one"}`,
		422, "X-CSRF-Token", csrf)
	change(`{"current_password": "`+testPassword+`", "new_password": "short"}`, 422,
		"X-CSRF-Token", csrf)
	change(`{"current_password": "`+testPassword+`", "new_password": "`+testPassword+`"}`,
		200, "X-CSRF-Token", csrf)

	logout := func(want int, header ...string) oaDoc {
		return h.call(oaCall{method: "POST", tmpl: "/api/logout", path: "/api/logout",
			client: b, header: header, want: want})
	}

	logout(403)
	logout(200, "X-CSRF-Token", csrf)
	logout(200)

	h.get("", "/api/me", "/api/me", 401)
	h.get("o2c_not-a-token", "/api/me", "/api/me", 401)
}

func oaTokens(t *testing.T, h *oaHarness, admin, olga string) {
	t.Helper()

	h.get(olga, "/api/tokens", "/api/tokens", 200)
	h.get(olga, "/api/tokens", "/api/tokens?user=ops.test", 403)
	h.get(admin, "/api/tokens", "/api/tokens?user=*", 200)
	h.get(olga, "/api/me", "/api/me", 200)

	made := h.post(olga, "/api/tokens", "/api/tokens",
		`{"label": "nightly export", "expires_in_days": 30}`, 201)
	h.post(olga, "/api/tokens", "/api/tokens", `{"expires_in_days": -1}`, 422)
	h.post(olga, "/api/tokens", "/api/tokens", `{"labl": "typo"}`, 400)
	h.post(admin, "/api/tokens", "/api/tokens", `{"user": "nobody.here"}`, 404)

	id := num(t, made, "token", "id")
	h.del(olga, "/api/tokens/{id}", "/api/tokens/"+oaID(id), 200)
	h.del(olga, "/api/tokens/{id}", "/api/tokens/"+oaID(id+1000), 404)
	h.del(olga, "/api/tokens/{id}", "/api/tokens/first", 400)
}

// oaBankFiles uploads files and reads them back; it returns the uploaded ids.
func oaBankFiles(t *testing.T, h *oaHarness, a *api, treasury, viewer string) []int64 {
	t.Helper()

	upload := func(token, path, ctype, body string, want int) oaDoc {
		return h.call(oaCall{method: "POST", tmpl: "/api/bank-files", path: path,
			token: token, ctype: ctype, body: body, want: want})
	}

	one := upload(treasury, "/api/bank-files?name=oa-november.csv", "text/csv", oaFileA, 202)
	ctype, body := multipartBody(t, "oa-b.csv", oaFileB, "oa-bad.csv", oaFileBad)
	two := upload(treasury, "/api/bank-files", ctype, body, 202)
	again := upload(treasury, "/api/bank-files?name=again.csv", "text/csv", oaFileA, 202)

	if len(listOf(two["files"])) != 2 || mapOf(listOf(again["files"])[0])["duplicate"] != true {
		t.Fatalf("uploads: %s %s", clipValue(two), clipValue(again))
	}

	upload(treasury, "/api/bank-files", "text/csv", oaFileA, 400)
	upload(treasury, "/api/bank-files?name=empty.csv", "text/csv", "", 400)
	upload(viewer, "/api/bank-files?name=v.csv", "text/csv", oaFileA, 403)
	upload("", "/api/bank-files?name=v.csv", "text/csv", oaFileA, 401)

	ids := []int64{num(t, mapOf(listOf(one["files"])[0]), "file", "id")}
	for _, f := range listOf(two["files"]) {
		ids = append(ids, num(t, mapOf(f), "file", "id"))
	}

	got, err := pipelines.WaitFiles(context.Background(), a.pool, ids, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}

	if got[2].Status != store.FileRejected || got[0].Status != store.FileMatched {
		t.Fatalf("statuses %s, %s, %s", got[0].Status, got[1].Status, got[2].Status)
	}

	list := h.get(viewer, "/api/bank-files", "/api/bank-files?limit=1", 200)
	h.get(viewer, "/api/bank-files", "/api/bank-files?format=csv&status=matched&before="+
		str(list, "next_before"), 200)
	h.get(viewer, "/api/bank-files", "/api/bank-files?limit=0", 400)
	h.get(viewer, "/api/bank-files", "/api/bank-files?format=pdf", 400)

	h.get(viewer, "/api/bank-files/{id}", "/api/bank-files/987654", 404)
	h.get(viewer, "/api/bank-files/{id}", "/api/bank-files/first", 400)

	for _, id := range append(ids, 1) {
		h.get(viewer, "/api/bank-files/{id}/report", "/api/bank-files/"+oaID(id)+"/report",
			200)
	}

	h.get(viewer, "/api/bank-files/{id}/report", "/api/bank-files/987654/report", 404)

	first := "/api/bank-files/" + oaID(ids[0])
	page := h.get(viewer, "/api/bank-files/{id}/payments", first+"/payments?limit=1", 200)
	h.get(viewer, "/api/bank-files/{id}/payments", first+"/payments?after="+
		str(page, "next_after"), 200)
	h.get(viewer, "/api/bank-files/{id}/payments", first+"/payments?after=x", 400)
	h.get(viewer, "/api/bank-files/{id}/payments", "/api/bank-files/987654/payments", 404)

	h.get(viewer, "/api/bank-files/{id}/raw", first+"/raw", 200)
	h.get(viewer, "/api/bank-files/{id}/raw", "/api/bank-files/987654/raw", 404)

	h.post(treasury, "/api/bank-files/{id}/retry", "/api/bank-files/"+oaID(ids[2])+"/retry",
		"", 202)
	h.post(treasury, "/api/bank-files/{id}/retry", first+"/retry", "", 409)
	h.post(treasury, "/api/bank-files/{id}/retry", "/api/bank-files/987654/retry", "", 404)
	h.post(viewer, "/api/bank-files/{id}/retry", first+"/retry", "", 403)

	return ids
}

func oaQueue(t *testing.T, h *oaHarness, viewer string, id int64) {
	t.Helper()

	page := h.get(viewer, "/api/exceptions", "/api/exceptions?limit=2", 200)
	if str(page, "next_cursor") == "" {
		t.Fatalf("no next page: %s", clipValue(page))
	}

	h.get(viewer, "/api/exceptions", "/api/exceptions?limit=2&cursor="+
		str(page, "next_cursor"), 200)
	h.get(viewer, "/api/exceptions", "/api/exceptions?sort=amount&dir=desc&currency=EUR"+
		"&min_amount=5.00&customer=CUST-3&assignee=unassigned&reason=no_match", 200)
	h.get(viewer, "/api/exceptions", "/api/exceptions?status=resolved", 200)
	h.get(viewer, "/api/exceptions", "/api/exceptions?status=bogus", 400)
	h.get(viewer, "/api/exceptions.csv", "/api/exceptions.csv?sort=amount", 200)
	h.get(viewer, "/api/exceptions.csv", "/api/exceptions.csv?limit=-4", 400)
	h.get(viewer, "/api/exceptions/counts", "/api/exceptions/counts", 200)
	h.get(viewer, "/api/exceptions/counts", "/api/exceptions/counts?currency=EURO", 400)
	h.get(viewer, "/api/exceptions/settings", "/api/exceptions/settings", 200)
	h.get(viewer, "/api/exceptions/{id}", "/api/exceptions/"+oaID(id), 200)
	h.get(viewer, "/api/exceptions/{id}", "/api/exceptions/987654", 404)
	h.get(viewer, "/api/exceptions/{id}", "/api/exceptions/first", 400)
	h.get("", "/api/exceptions/{id}", "/api/exceptions/"+oaID(id), 401)
}

func oaActions(t *testing.T, h *oaHarness, ex []int64, admin, olga, viewer string) {
	t.Helper()

	p := func(i int, action string) (string, string) {
		return "/api/exceptions/{id}/" + action, "/api/exceptions/" + oaID(ex[i]) + "/" +
			action
	}

	tmpl, path := p(7, "assign")
	h.post(admin, tmpl, path, `{"assignee": "me"}`, 200)
	h.post(viewer, tmpl, path, `{"assignee": "me"}`, 403)

	tmpl, path = p(7, "comments")
	h.post(admin, tmpl, path, `{"body": "Called the payer: a cheque is in the post."}`, 201)
	h.post(admin, tmpl, path, `{"body": ""}`, 422)

	tmpl, path = p(0, "apply")
	h.post(admin, tmpl, path, `{"lines": [{"invoice_number": "INV-1001", "amount": "abc"}]}`,
		422)
	h.post(admin, tmpl, path, `{"lines": [], "bogus": 1}`, 400)
	h.post(admin, tmpl, "/api/exceptions/987654/apply",
		`{"lines": [{"invoice_number": "INV-1001", "amount": "640.00"}]}`, 404)
	h.post(admin, tmpl, path, `{"lines": [{"invoice_number": "INV-1001", "amount": "640.00"}],
		"note": "remittance came by mail"}`, 200)
	h.post(admin, tmpl, path, `{"lines": [{"invoice_number": "INV-1001", "amount": "640.00"}]}`,
		409)

	tmpl, path = p(1, "split")
	h.post(admin, tmpl, path, `{"lines": [{"invoice_number": "INV-1002", "amount": "100.00"}],
		"rest": "open", "note": "the rest is for another invoice"}`,
		200)

	tmpl, path = p(2, "writeoff")
	wo := `{"invoice_number": "INV-1002", "amount": "90.00", "writeoff": "60.00",
		"reason": "short_payment"}`
	first := h.post(admin, tmpl, path, wo, 202)
	approval := "/api/approvals/" + oaID(num(t, first, "approval", "id"))

	h.post(admin, "/api/approvals/{id}/approve", approval+"/approve", "", 403)
	h.post(viewer, "/api/approvals/{id}/reject", approval+"/reject", "", 403)
	h.post(olga, "/api/approvals/{id}/reject", approval+"/reject",
		`{"note": "ask the customer first"}`, 200)
	h.post(olga, "/api/approvals/{id}/reject", approval+"/reject", "", 409)

	second := h.post(admin, tmpl, path, wo, 202)
	approval = "/api/approvals/" + oaID(num(t, second, "approval", "id"))
	h.post(olga, "/api/approvals/{id}/approve", approval+"/approve", `{"note": "agreed"}`, 200)
	h.post(olga, "/api/approvals/{id}/approve", "/api/approvals/987654/approve", "", 404)

	h.get(viewer, "/api/approvals", "/api/approvals?status=approved", 200)
	h.get(viewer, "/api/approvals", "/api/approvals?status=bogus", 400)

	tmpl, path = p(3, "park")
	h.post(admin, tmpl, path, `{"customer_id": "CUST-3", "note": "credit"}`, 200)

	tmpl, path = p(4, "refund")
	h.post(admin, tmpl, path, `{"note": "not ours"}`, 200)

	tmpl, path = p(5, "return")
	h.post(admin, tmpl, path, "", 200)

	tmpl, path = p(6, "resolve")
	h.post(admin, tmpl, path, `{"park": true, "customer_id": "CUST-3"}`, 200)

	tmpl, path = p(7, "apply-suggested")
	h.post(admin, tmpl, path, "", 422)

	tmpl, path = p(7, "close")
	h.post(admin, tmpl, path, `{"note": "nothing to apply"}`, 422)

	tmpl, path = p(0, "reopen")
	h.post(admin, tmpl, path, `{"note": "wrong invoice"}`, 200)

	bulk := func(body string, want int) oaDoc {
		return h.post(admin, "/api/exceptions/bulk", "/api/exceptions/bulk", body, want)
	}

	res := bulk(`{"action": "comment", "ids": [`+oaID(ex[7])+`, 987654],
		"body": "Looked at in the weekly review"}`, 200)
	if num(t, res, "failed") != 1 {
		t.Errorf("bulk: %s", clipValue(res))
	}

	bulk(`{"action": "comment", "ids": []}`, 422)
	bulk(`{"action": "fly", "ids": [1]}`, 422)
	bulk(`{"action": "comment", "ids": "1"}`, 400)
}

func oaViews(t *testing.T, h *oaHarness, viewer string) {
	t.Helper()

	v := h.post(viewer, "/api/exception-views", "/api/exception-views",
		`{"name": "Large EUR", "query": "currency=EUR&sort=amount&dir=desc"}`, 200)
	h.post(viewer, "/api/exception-views", "/api/exception-views",
		`{"name": "", "query": "status=nope"}`, 422)
	h.post(viewer, "/api/exception-views", "/api/exception-views", `{"name": 4}`, 400)
	h.get(viewer, "/api/exception-views", "/api/exception-views", 200)
	h.del(viewer, "/api/exception-views/{id}", "/api/exception-views/"+oaID(num(t, v, "id")),
		200)
	h.del(viewer, "/api/exception-views/{id}", "/api/exception-views/987654", 404)
	h.del(viewer, "/api/exception-views/{id}", "/api/exception-views/none", 400)
}

func oaUsers(t *testing.T, h *oaHarness, admin, viewer string) {
	t.Helper()

	list := h.get(admin, "/api/users", "/api/users?limit=2", 200)
	h.get(admin, "/api/users", "/api/users?after="+str(list, "next_after"), 200)
	h.get(admin, "/api/users", "/api/users?limit=0", 400)
	h.get(viewer, "/api/users", "/api/users", 403)

	add := `{"name": "nina.new", "role": "viewer", "password": "a long enough password"}`
	h.post(admin, "/api/users", "/api/users", add, 201)
	h.post(admin, "/api/users", "/api/users", add, 409)
	h.post(admin, "/api/users", "/api/users",
		`{"name": "Nina New", "role": "viewer", "password": "a long enough password"}`, 422)
	h.post(admin, "/api/users", "/api/users", `{"name": "nina.two", "rights": "all"}`, 400)

	h.get(admin, "/api/users/{name}", "/api/users/nina.new", 200)
	h.get(admin, "/api/users/{name}", "/api/users/nobody.here", 404)
	h.get(admin, "/api/users/{name}", "/api/users/Nina%20New", 400)

	u := func(action string) (string, string) {
		return "/api/users/{name}/" + action, "/api/users/nina.new/" + action
	}

	tmpl, path := u("role")
	h.post(admin, tmpl, path, `{"role": "ops"}`, 200)
	h.post(admin, tmpl, path, `{"role": "king"}`, 422)
	h.post(admin, tmpl, "/api/users/nobody.here/role", `{"role": "ops"}`, 404)

	tmpl, path = u("disable")
	h.post(admin, tmpl, path, "", 200)
	h.post(admin, tmpl, "/api/users/ops.test/disable", "", 409)

	tmpl, path = u("enable")
	h.post(admin, tmpl, path, `{}`, 200)

	tmpl, path = u("password")
	h.post(admin, tmpl, path, `{"password": "short"}`, 422)
	h.post(admin, tmpl, path, `{"password": "yet another long password"}`, 200)
}

// oaID writes an id for a path.
func oaID(n int64) string { return strconv.FormatInt(n, 10) }

// oaLimits runs the same database behind a server as o2c serve configures it for
// production, with tight limits: a monitor for /metrics, the legacy shared token,
// one failed login per account and a small upload limit.
func oaLimits(t *testing.T, h *oaHarness, a *api, treasury string) {
	t.Helper()

	mon, err := monitor.New(monitor.Config{Addr: "127.0.0.1:8080", Pool: a.pool,
		Logger: quiet, Topics: pipelines.Topics, ConsumerGroup: pipelines.ConsumerGroup,
		PoisonTopic: pipelines.TopicPoison})
	if err != nil {
		t.Fatal(err)
	}

	const legacy = "legacy-shared-7c1d0e"

	svc := auth.New(a.pool, auth.Config{Logger: quiet, LegacyToken: legacy, MaxFailures: 1})
	srv := httptest.NewServer(web.New(web.Config{Pool: a.pool, Auth: svc, Logger: quiet,
		Monitor: mon, MaxUploadBytes: 64}))
	t.Cleanup(srv.Close)

	tight := &oaHarness{t: t, doc: h.doc, base: srv.URL, covered: h.covered}
	tight.get("", "/metrics", "/metrics", 200)

	me := tight.get(legacy, "/api/me", "/api/me", 200)
	if str(me, "user", "name") != "api" {
		t.Errorf("the legacy token is %s", clipValue(me))
	}

	a.addUser(t, "rita.ops", auth.RoleOps)

	wrong := `{"name": "rita.ops", "password": "not her password"}`
	tight.post("", "/api/login", "/api/login", wrong, 401)
	tight.post("", "/api/login", "/api/login", wrong, 429)

	tight.call(oaCall{method: "POST", tmpl: "/api/bank-files",
		path: "/api/bank-files?name=big.csv", token: treasury, ctype: "text/csv",
		body: oaFileA + oaFileB, want: 413})
}
