package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/pgtest"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/web"
)

func TestMain(m *testing.M) {
	pgtest.SetTemplate(service.Prepare)
	pgtest.Main(m)
}

// seed stores a customer, two EUR invoices (INV-1001 open 640.00, INV-1002 open
// 500.00), a bank file with one credit payment per amount, and an open exception
// for each payment. It returns the exception ids in order.
func seed(t *testing.T, pool *pgxpool.Pool, amounts ...int64) []int64 {
	t.Helper()

	ctx := context.Background()

	_, err := store.UpsertCustomer(ctx, pool, billing.Customer{ID: "CUST-3", Name: "Orrin Tiles"},
		"test")
	if err != nil {
		t.Fatal(err)
	}

	issue := time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)
	for i, open := range []int64{64000, 50000} {
		_, err := store.SyncERPInvoice(ctx, pool, billing.Invoice{
			Number: fmt.Sprintf("INV-100%d", i+1), ERPID: fmt.Sprintf("erp-%d", i+1),
			CustomerID: "CUST-3", CustomerName: "Orrin Tiles", Currency: "EUR", Total: open,
			Open: open, IssueDate: issue, DueDate: issue.AddDate(0, 0, 14),
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	f, _, err := store.InsertBankFile(ctx, pool, "seed.csv", []byte("seed "+t.Name()), "test")
	if err != nil {
		t.Fatal(err)
	}

	var txs []bankfile.Transaction
	for i, a := range amounts {
		txs = append(txs, bankfile.Transaction{Seq: i + 1, Line: i + 2,
			Account: "DE89370400440532013000", Direction: bankfile.Credit,
			Kind: bankfile.KindPayment, Amount: money.New(a, "EUR"),
			BookingDate: issue.AddDate(0, 0, 10), BankRef: fmt.Sprintf("BR-%d", i+1),
			PayerName: "ORRIN TILES GMBH"})
	}

	if _, _, err := store.InsertPayments(ctx, pool, f.ID, f.SHA256, txs); err != nil {
		t.Fatal(err)
	}

	ps, err := store.PaymentsOfFile(ctx, pool, f.ID)
	if err != nil {
		t.Fatal(err)
	}

	var ids []int64
	for _, p := range ps {
		e, err := store.OpenException(ctx, pool, store.Exception{PaymentID: p.ID,
			Reason: "no_match", Message: "no invoice fits", Amount: p.Tx.Amount.Minor,
			Currency: "EUR"})
		if err != nil {
			t.Fatal(err)
		}

		ids = append(ids, e.ID)
	}

	return ids
}

// api is a running API on a fresh database, called as one user through an API
// token.
type api struct {
	pool  *pgxpool.Pool
	auth  *auth.Service
	url   string
	token string
}

// quiet discards the server's request logs.
var quiet = slog.New(slog.DiscardHandler)

// start runs the API with authentication on a fresh database and returns it signed
// in as "ops.test", an admin, through an API token.
func start(t *testing.T) *api {
	t.Helper()

	return startWith(t, auth.Config{Logger: quiet})
}

func startWith(t *testing.T, cfg auth.Config) *api {
	t.Helper()

	pool := pgtest.DB(t)
	svc := auth.New(pool, cfg)
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.token = a.tokenFor(t, "ops.test", auth.RoleAdmin)

	return a
}

// testHash is testPassword's argon2id hash, made once: hashing is slow under the race
// detector, and package auth's own tests cover AddUser.
var testHash = sync.OnceValue(func() string { return auth.HashPassword(testPassword) })

// addUser stores a user with testPassword.
func (a *api) addUser(t *testing.T, name string, role auth.Role) {
	t.Helper()

	_, err := a.pool.Exec(context.Background(), `INSERT INTO users (name, role, password_hash)
		VALUES ($1, $2, $3)`, name, role, testHash())
	if err != nil {
		t.Fatal(err)
	}
}

// tokenFor adds a user with role (unless one of that name exists) and returns a new
// API token of theirs.
func (a *api) tokenFor(t *testing.T, name string, role auth.Role) string {
	t.Helper()

	ctx := context.Background()
	if _, err := a.auth.UserByName(ctx, name); errors.Is(err, auth.ErrNoUser) {
		a.addUser(t, name, role)
	}

	_, secret, err := a.auth.CreateToken(ctx, "test", name, "test", 0)
	if err != nil {
		t.Fatal(err)
	}

	return secret
}

// testPassword is every test user's password.
const testPassword = "correct horse battery"

// as returns a copy of a that calls as the holder of token ("" for nobody).
func (a *api) as(token string) *api {
	c := *a
	c.token = token

	return &c
}

// do sends a request and decodes a JSON answer into out (when not nil), returning
// the status.
func (a *api) do(t *testing.T, method, path, contentType string, body io.Reader,
	out any) int {
	t.Helper()

	req, err := http.NewRequest(method, a.url+path, body)
	if err != nil {
		t.Fatal(err)
	}

	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}

	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}

	// Ignored for a user's own token: the actor is the user.
	req.Header.Set("X-O2C-Actor", "someone.else")

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	if out != nil {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: content type %q", method, path, ct)
		}

		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}

	return resp.StatusCode
}

func (a *api) get(t *testing.T, path string, out any) int {
	t.Helper()

	return a.do(t, http.MethodGet, path, "", nil, out)
}

func (a *api) post(t *testing.T, path, body string, out any) int {
	t.Helper()

	return a.do(t, http.MethodPost, path, "application/json", strings.NewReader(body), out)
}

type apiError struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

type exceptionList struct {
	Exceptions []store.QueueRow `json:"exceptions"`
	NextCursor string           `json:"next_cursor"`
}

func TestHealth(t *testing.T) {
	a := start(t)

	for _, p := range []string{"/healthz", "/readyz"} {
		var body map[string]string
		if code := a.get(t, p, &body); code != http.StatusOK {
			t.Errorf("GET %s: %d", p, code)
		}

		if body["status"] == "" {
			t.Errorf("GET %s: body %v", p, body)
		}
	}
}

func TestListExceptions(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 10000, 20000, 30000)

	var all exceptionList
	if code := a.get(t, "/api/exceptions", &all); code != http.StatusOK {
		t.Fatalf("list: %d", code)
	}

	if len(all.Exceptions) != 3 || all.NextCursor != "" {
		t.Fatalf("list: %d exceptions, next_cursor %q", len(all.Exceptions), all.NextCursor)
	}

	// Oldest first by default; pages follow the cursor.
	var page1 exceptionList
	if code := a.get(t, "/api/exceptions?limit=2", &page1); code != http.StatusOK {
		t.Fatalf("page 1: %d", code)
	}

	if len(page1.Exceptions) != 2 || page1.Exceptions[0].ID != ids[0] ||
		page1.Exceptions[1].ID != ids[1] || page1.NextCursor == "" {
		t.Fatalf("page 1: %+v", page1)
	}

	var page2 exceptionList
	if code := a.get(t, "/api/exceptions?limit=2&cursor="+url.QueryEscape(page1.NextCursor),
		&page2); code != http.StatusOK {
		t.Fatalf("page 2: %d", code)
	}

	if len(page2.Exceptions) != 1 || page2.Exceptions[0].ID != ids[2] ||
		page2.NextCursor != "" {
		t.Fatalf("page 2: %+v", page2)
	}

	if e := page2.Exceptions[0]; e.Amount != 30000 || e.Currency != "EUR" ||
		e.PayerName != "ORRIN TILES GMBH" {
		t.Errorf("page 2 exception: %+v", e)
	}

	code := a.post(t, fmt.Sprintf("/api/exceptions/%d/resolve", ids[0]),
		`{"park":true,"customer_id":"CUST-3"}`, nil)
	if code != http.StatusOK {
		t.Fatalf("park: %d", code)
	}

	var open, parked exceptionList
	a.get(t, "/api/exceptions?status=open", &open)
	a.get(t, "/api/exceptions?status=on_account", &parked)

	if len(open.Exceptions) != 2 || len(parked.Exceptions) != 1 ||
		parked.Exceptions[0].ID != ids[0] {
		t.Errorf("open %d, on account %+v", len(open.Exceptions), parked.Exceptions)
	}

	var empty map[string]json.RawMessage
	a.get(t, "/api/exceptions?status=resolved", &empty)

	if string(empty["exceptions"]) != "[]" {
		t.Errorf("empty list encodes as %s, want []", empty["exceptions"])
	}

	for q, field := range map[string]string{"limit=0": "limit", "limit=x": "limit",
		"limit=501": "limit", "cursor=x": "cursor", "status=parked": "status",
		"sort=payer": "sort"} {
		var e fieldsError
		if code := a.get(t, "/api/exceptions?"+q, &e); code != http.StatusBadRequest ||
			e.Error != "invalid" || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("?%s: %d %+v, want 400 invalid naming %s", q, code, e, field)
		}
	}
}

func TestGetException(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 42000)

	var d struct {
		Exception store.Exception   `json:"exception"`
		Payment   store.PaymentRow  `json:"payment"`
		History   []json.RawMessage `json:"history"`
	}

	if code := a.get(t, fmt.Sprintf("/api/exceptions/%d", ids[0]), &d); code != http.StatusOK {
		t.Fatalf("get: %d", code)
	}

	if d.Exception.ID != ids[0] || d.Payment.Tx.Amount.Minor != 42000 || len(d.History) == 0 {
		t.Errorf("detail: %+v", d)
	}

	var e apiError
	if code := a.get(t, fmt.Sprintf("/api/exceptions/%d", ids[0]+99), &e); code !=
		http.StatusNotFound || e.Error != "not_found" {
		t.Errorf("unknown: %d %+v", code, e)
	}

	for _, p := range []string{"/api/exceptions/abc", "/api/exceptions/-1",
		"/api/exceptions/0"} {
		if code := a.get(t, p, &e); code != http.StatusBadRequest || e.Error != "invalid" {
			t.Errorf("GET %s: %d %+v, want 400", p, code, e)
		}
	}
}

func TestResolveException(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 100050)
	path := fmt.Sprintf("/api/exceptions/%d/resolve", ids[0])

	var e apiError

	code := a.post(t, path, `{"allocations":[{"invoice_number":"INV-1001","amount":"640.00"},`+
		`{"invoice_number":"INV-1002","amount":"500.01"}]}`, &e)
	if code != http.StatusUnprocessableEntity || e.Error != "invalid" || e.Detail == "" {
		t.Errorf("over-allocation: %d %+v, want 422 invalid with detail", code, e)
	}

	inv, err := store.Invoice(context.Background(), a.pool, "INV-1001")
	if err != nil {
		t.Fatal(err)
	}

	if inv.Open != 64000 {
		t.Errorf("INV-1001 open %d after a refused resolve, want 64000", inv.Open)
	}

	for name, body := range map[string]string{
		"bad json":      `{"allocations":`,
		"unknown field": `{"park":true,"parkk":true}`,
		"float amount":  `{"allocations":[{"invoice_number":"INV-1001","amount":640.0}]}`,
	} {
		e = apiError{}
		if code := a.post(t, path, body, &e); code != http.StatusBadRequest ||
			e.Error != "invalid_json" {
			t.Errorf("%s: %d %+v, want 400 invalid_json", name, code, e)
		}
	}

	var out struct {
		Applications []store.Application `json:"applications"`
		Status       string              `json:"status"`
	}

	code = a.post(t, path, `{"allocations":[{"invoice_number":"INV-1001","amount":"640.00"},`+
		`{"invoice_number":"INV-1002","amount":"360.50"}],"note":"split per email"}`, &out)
	if code != http.StatusOK || out.Status != store.ExceptionResolved ||
		len(out.Applications) != 2 {
		t.Fatalf("resolve: %d %+v", code, out)
	}

	for _, app := range out.Applications {
		if app.Actor != "ops.test" || app.Source != store.SourceManual {
			t.Errorf("application %+v: want actor ops.test, source manual", app)
		}
	}

	e = apiError{}
	if code := a.post(t, path, `{"park":true}`, &e); code != http.StatusConflict ||
		e.Error != "conflict" {
		t.Errorf("second resolve: %d %+v, want 409 conflict", code, e)
	}

	e = apiError{}
	if code := a.post(t, "/api/exceptions/x/resolve", `{"park":true}`, &e); code !=
		http.StatusBadRequest {
		t.Errorf("non-numeric id: %d", code)
	}
}

func TestAssignException(t *testing.T) {
	a := start(t)
	ids := seed(t, a.pool, 5000)

	var out map[string]string

	code := a.post(t, fmt.Sprintf("/api/exceptions/%d/assign", ids[0]),
		`{"assignee":"ops.anna"}`, &out)
	if code != http.StatusOK || out["assignee"] != "ops.anna" {
		t.Fatalf("assign: %d %v", code, out)
	}

	var list exceptionList
	a.get(t, "/api/exceptions?assignee=ops.anna", &list)

	if len(list.Exceptions) != 1 || list.Exceptions[0].Assignee != "ops.anna" {
		t.Errorf("by assignee: %+v", list)
	}

	log, err := store.AuditLog(context.Background(), a.pool, "exception",
		strconv.FormatInt(ids[0], 10), 10)
	if err != nil {
		t.Fatal(err)
	}

	if len(log) == 0 || log[0].Action != "assign" || log[0].Actor != "ops.test" {
		t.Errorf("latest audit entry: %+v", log)
	}

	var e apiError
	if code := a.post(t, fmt.Sprintf("/api/exceptions/%d/assign", ids[0]+9),
		`{"assignee":"x"}`, &e); code != http.StatusNotFound {
		t.Errorf("assign unknown: %d %+v", code, e)
	}

	if code := a.post(t, fmt.Sprintf("/api/exceptions/%d/assign", ids[0]), `{`,
		&e); code != http.StatusBadRequest {
		t.Errorf("assign bad json: %d", code)
	}
}

type uploadResult struct {
	Files []struct {
		File      store.BankFile `json:"file"`
		Duplicate bool           `json:"duplicate"`
		Message   string         `json:"message"`
	} `json:"files"`
}

const csvFile = "date,amount,currency,payer,reference\n" +
	"2026-10-02,640.00,EUR,Orrin Tiles GmbH,INV-1001\n"

func TestUploadBankFileRaw(t *testing.T) {
	a := start(t)

	var first uploadResult

	code := a.do(t, http.MethodPost, "/api/bank-files?name=x.csv", "text/csv",
		strings.NewReader(csvFile), &first)
	if code != http.StatusAccepted || len(first.Files) != 1 {
		t.Fatalf("upload: %d %+v", code, first)
	}

	f := first.Files[0]
	if f.Duplicate || f.Message != "" || f.File.Name != "x.csv" ||
		f.File.Size != int64(len(csvFile)) || f.File.SHA256 != store.Hash([]byte(csvFile)) ||
		f.File.UploadedBy != "ops.test" {
		t.Errorf("first upload: %+v", f)
	}

	var again uploadResult

	code = a.do(t, http.MethodPost, "/api/bank-files?name=y.csv", "text/csv",
		strings.NewReader(csvFile), &again)
	if code != http.StatusAccepted || len(again.Files) != 1 {
		t.Fatalf("re-upload: %d %+v", code, again)
	}

	d := again.Files[0]
	if !d.Duplicate || d.File.ID != f.File.ID ||
		!strings.HasPrefix(d.Message, "file already imported on ") {
		t.Errorf("re-upload: %+v", d)
	}

	var list struct {
		Files []store.BankFile `json:"files"`
	}

	if code := a.get(t, "/api/bank-files", &list); code != http.StatusOK ||
		len(list.Files) != 1 || list.Files[0].ID != f.File.ID {
		t.Errorf("list: %d %+v", code, list)
	}

	var one struct {
		File     store.BankFile     `json:"file"`
		Payments []store.PaymentRow `json:"payments"`
	}

	code = a.get(t, fmt.Sprintf("/api/bank-files/%d", f.File.ID), &one)
	if code != http.StatusOK || one.File.SHA256 != f.File.SHA256 || one.Payments == nil {
		t.Errorf("get: %d %+v", code, one)
	}

	var e apiError
	if code := a.get(t, fmt.Sprintf("/api/bank-files/%d", f.File.ID+5), &e); code !=
		http.StatusNotFound || e.Error != "not_found" {
		t.Errorf("get unknown: %d %+v", code, e)
	}

	if code := a.get(t, "/api/bank-files/zz", &e); code != http.StatusBadRequest {
		t.Errorf("get non-numeric: %d", code)
	}
}

func TestUploadBankFileSeededPayments(t *testing.T) {
	a := start(t)
	seed(t, a.pool, 1234, 5678)

	var list struct {
		Files []store.BankFile `json:"files"`
	}

	a.get(t, "/api/bank-files", &list)

	if len(list.Files) != 1 {
		t.Fatalf("list: %+v", list)
	}

	var one struct {
		Payments []store.PaymentRow `json:"payments"`
	}

	a.get(t, fmt.Sprintf("/api/bank-files/%d", list.Files[0].ID), &one)

	if len(one.Payments) != 2 || one.Payments[0].Tx.Amount.Minor != 1234 ||
		one.Payments[1].Tx.Amount.Minor != 5678 {
		t.Errorf("payments: %+v", one.Payments)
	}
}

func TestUploadBankFilesMultipart(t *testing.T) {
	a := start(t)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)

	if err := mw.WriteField("comment", "ignored field"); err != nil {
		t.Fatal(err)
	}

	for i, content := range []string{csvFile, csvFile + "2026-10-03,1.00,EUR,B,X\n"} {
		w, err := mw.CreateFormFile("file", fmt.Sprintf("part%d.csv", i+1))
		if err != nil {
			t.Fatal(err)
		}

		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
	}

	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}

	var out uploadResult

	code := a.do(t, http.MethodPost, "/api/bank-files", mw.FormDataContentType(), &body, &out)
	if code != http.StatusAccepted || len(out.Files) != 2 {
		t.Fatalf("multipart: %d %+v", code, out)
	}

	for i, f := range out.Files {
		if f.Duplicate || f.File.Name != fmt.Sprintf("part%d.csv", i+1) {
			t.Errorf("file %d: %+v", i, f)
		}
	}

	if out.Files[0].File.ID == out.Files[1].File.ID {
		t.Errorf("both parts stored as file %d", out.Files[0].File.ID)
	}
}

func TestUploadTooLarge(t *testing.T) {
	pool := pgtest.DB(t)
	svc := auth.New(pool, auth.Config{Logger: quiet})
	srv := httptest.NewServer(web.New(web.Config{Pool: pool, Auth: svc, Logger: quiet,
		MaxUploadBytes: 16}))
	t.Cleanup(srv.Close)

	a := &api{pool: pool, auth: svc, url: srv.URL}
	a.token = a.tokenFor(t, "treasury.test", auth.RoleTreasury)

	var e apiError
	if code := a.do(t, http.MethodPost, "/api/bank-files?name=big.csv", "text/csv",
		strings.NewReader(csvFile), &e); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", code)
	}

	n, err := store.BankFiles(context.Background(), pool, 10)
	if err != nil {
		t.Fatal(err)
	}

	if len(n) != 0 {
		t.Errorf("%d files stored from a refused upload", len(n))
	}
}
