package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/bank"
	"github.com/o2c-dev/o2c/connectors/bank/bankcsv"
	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// spreadsheetSafe is the export's rule for text a spreadsheet would run.
func spreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}

	return v
}

// readCSV fetches an export and parses it, header first.
func readCSV(t *testing.T, p *person, path string) [][]string {
	t.Helper()

	resp, body := p.page(http.MethodGet, path, "", nil)
	if resp.StatusCode != http.StatusOK ||
		resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("GET %s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"),
			resp.Header.Get("Content-Disposition"))
	}

	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}

	return recs
}

// checkPaymentsCSV compares a file's payments export with the stored payments.
func checkPaymentsCSV(t *testing.T, p *person, pool *pgxpool.Pool, fileID int64,
	stored []store.PaymentRow) {
	t.Helper()

	recs := readCSV(t, p, "/files/"+itoa(fileID)+"/payments.csv")
	if len(recs) != len(stored)+1 {
		t.Fatalf("export has %d rows, want a header and %d payments", len(recs), len(stored))
	}

	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}

	for i, ps := range stored {
		rec := recs[i+1]
		want := map[string]string{
			"payment_id": itoa(ps.ID), "file_id": itoa(fileID),
			"position": strconv.Itoa(ps.Tx.Seq), "line": strconv.Itoa(ps.Tx.Line),
			"direction": string(ps.Tx.Direction), "kind": string(ps.Tx.Kind),
			"amount": ps.Tx.Amount.Decimal(), "currency": ps.Tx.Amount.Currency,
			"booking_date": ps.Tx.BookingDate.Format(time.DateOnly),
			"payer_name":   spreadsheetSafe(ps.Tx.PayerName), "status": ps.Status,
			"payment_ref": spreadsheetSafe(ps.Tx.PaymentRef),
			"remittance":  spreadsheetSafe(ps.Tx.Remittance),
			"unapplied":   money.New(ps.Unapplied, ps.Tx.Amount.Currency).Decimal(),
			"customer_id": ps.CustomerID,
		}

		var exc int64
		if err := pool.QueryRow(context.Background(), `SELECT COALESCE(max(id), 0)
			FROM exceptions WHERE payment_id = $1 AND status = 'open'`, ps.ID).
			Scan(&exc); err != nil {
			t.Fatal(err)
		}

		want["exception_id"] = ""
		if exc > 0 {
			want["exception_id"] = itoa(exc)
		}

		for k, v := range want {
			j, ok := col[k]
			if !ok {
				t.Fatalf("export lacks column %s", k)
			}

			if rec[j] != v {
				t.Errorf("payment %d, %s: %q, want %q", ps.ID, k, rec[j], v)
			}
		}
	}

	found := false
	for _, rec := range recs {
		found = found || rec[col["payer_name"]] == "'=2+3 Trading"
	}

	if !found {
		t.Error("a payer name starting with = is not defused in the export")
	}
}

// checkPaymentsAPI pages through a file's payments in the JSON API.
func checkPaymentsAPI(t *testing.T, s *site, fileID int64, stored []store.PaymentRow) {
	t.Helper()

	var got []int64

	after := ""
	for range 10 {
		var out struct {
			Payments []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"payments"`
			NextAfter string `json:"next_after"`
		}

		path := "/api/bank-files/" + itoa(fileID) + "/payments?limit=2"
		if after != "" {
			path += "&after=" + after
		}

		if code := s.get(t, path, &out); code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}

		for _, p := range out.Payments {
			got = append(got, p.ID)
		}

		if after = out.NextAfter; after == "" {
			break
		}
	}

	var want []int64
	for _, p := range stored {
		want = append(want, p.ID)
	}

	if !slices.Equal(got, want) {
		t.Errorf("API pages %v, want %v", got, want)
	}

	var e apiError
	if code := s.get(t, "/api/bank-files/999999/payments", &e); code != http.StatusNotFound {
		t.Errorf("payments of a missing file: %d", code)
	}

	if code := s.get(t, "/api/bank-files/"+itoa(fileID)+"/payments?limit=0",
		&e); code != http.StatusBadRequest {
		t.Errorf("limit 0: %d", code)
	}
}

func TestFileHistorySearch(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "vic", auth.RoleViewer)

	ctx := context.Background()

	type spec struct {
		name, format, status string
		day                  string
	}

	specs := []spec{
		{"ACME-2026-09-30.ach", "nacha", "matched", "2026-09-30"},
		{"acme-2026-10-01.ach", "nacha", "rejected", "2026-10-01"},
		{"statement_oct.xml", "camt.053", "matched", "2026-10-01"},
		{"acme-2026-10-02.ach", "nacha", "matched", "2026-10-02"},
		{"export 100%.csv", "csv", "rejected", "2026-10-03"},
		{"export 1000.csv", "csv", "matched", "2026-10-04"},
	}

	var all []int64

	for i, sp := range specs {
		f, _, err := store.InsertBankFile(ctx, s.pool, sp.name, []byte(fmt.Sprint("f", i)), "tess")
		if err != nil {
			t.Fatal(err)
		}

		switch sp.status {
		case "rejected":
			err = store.RejectBankFile(ctx, s.pool, f.ID, sp.format, "bad",
				[]bankfile.Problem{{Line: 1, Field: "x", Message: "bad"}})
		default:
			err = store.MarkBankFileIngested(ctx, s.pool, f.ID,
				&bankfile.File{Format: bankfile.Format(sp.format), Controls: "ok"}, 1, 1, 0)
			if err == nil {
				err = store.MarkBankFileMatched(ctx, s.pool, f.ID)
			}
		}

		if err != nil {
			t.Fatal(err)
		}

		if _, err := s.pool.Exec(ctx, `UPDATE bank_files SET received_at = $2::date + time '12:00'
			WHERE id = $1`, f.ID, sp.day); err != nil {
			t.Fatal(err)
		}

		all = append(all, f.ID)
	}

	// pick lists the ids of specs i, newest first.
	pick := func(is ...int) []int64 {
		var out []int64
		for _, i := range slices.Backward(is) {
			out = append(out, all[i])
		}

		return out
	}

	p := newPerson(t, s.url)
	p.logIn("vic")

	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"", pick(0, 1, 2, 3, 4, 5)},
		{"name=acme", pick(0, 1, 3)},
		{"name=ACME-2026-10", pick(1, 3)},
		{"format=nacha&status=matched", pick(0, 3)},
		{"status=rejected", pick(1, 4)},
		{"from=2026-10-01&to=2026-10-02", pick(1, 2, 3)},
		{"from=2026-10-02", pick(3, 4, 5)},
		{"to=2026-09-30", pick(0)},
		{"name=100%25", pick(4)}, // LIKE's wildcards in a name are plain characters
		{"name=export_1", nil},
		{"name=nothing+like+it", nil},
	} {
		body := p.get("/files?"+c.query, http.StatusOK)
		if got := ids(fileRow, body); !slices.Equal(got, c.want) {
			t.Errorf("search %q: %v, want %v", c.query, got, c.want)
		}

		if c.want == nil && !strings.Contains(body, `id="no-files"`) {
			t.Errorf("search %q: no 'nothing matches' note", c.query)
		}

		var api struct {
			Files []store.BankFile `json:"files"`
		}

		if code := s.get(t, "/api/bank-files?"+c.query, &api); code != http.StatusOK {
			t.Fatalf("API search %q: %d", c.query, code)
		}

		var got []int64
		for _, f := range api.Files {
			got = append(got, f.ID)
		}

		if !slices.Equal(got, c.want) {
			t.Errorf("API search %q: %v, want %v", c.query, got, c.want)
		}
	}

	// The search is kept in the form.
	body := p.get("/files?name=acme&format=nacha&status=matched&from=2026-10-01", 200)
	mustContain(t, "search form", body, `id="search-name" name="name" type="search" value="acme"`,
		`<option value="nacha" selected>`, `<option value="matched" selected>`,
		`id="search-from" name="from" type="date" value="2026-10-01"`)

	// Two at a time, forwards and back, with the search kept.
	var seen []int64

	path := "/files?limit=2&format=nacha"
	pages := []string{}

	for path != "" {
		body := p.get(path, http.StatusOK)
		pages = append(pages, path)
		seen = append(seen, ids(fileRow, body)...)
		path = link(nextLink, body)
	}

	if !slices.Equal(seen, pick(0, 1, 3)) || len(pages) != 2 {
		t.Errorf("paged through %v in %d pages, want %v", seen, len(pages), pick(0, 1, 3))
	}

	last := p.get(pages[1], http.StatusOK)
	back := p.get(link(prevLink, last), http.StatusOK)

	if got := ids(fileRow, back); !slices.Equal(got, pick(1, 3)) {
		t.Errorf("back to page 1: %v, want %v", got, pick(1, 3))
	}

	var next struct {
		Files      []store.BankFile `json:"files"`
		NextBefore string           `json:"next_before"`
	}

	if code := s.get(t, "/api/bank-files?limit=4", &next); code != 200 ||
		len(next.Files) != 4 || next.NextBefore != itoa(all[2]) {
		t.Errorf("API page: %d, %d files, next_before %q", code, len(next.Files),
			next.NextBefore)
	}

	// A bad search says what is wrong.
	for _, q := range []string{"from=yesterday", "status=lost", "format=pdf",
		"from=2026-10-05&to=2026-10-01", "limit=5000"} {
		body := p.get("/files?"+q, http.StatusBadRequest)
		mustContain(t, "refused search "+q, body, `id="search-error"`)

		if code := s.get(t, "/api/bank-files?"+q, nil); code != http.StatusBadRequest {
			t.Errorf("API search %q: %d, want 400", q, code)
		}
	}
}

// noCurrencyCSV has no currency: o2c rejects it until a bank profile gives one.
const noCurrencyCSV = "date,amount,payer,reference\n" +
	"2026-10-02,640.00,Orrin Tiles GmbH,INV-1001\n" +
	"2026-10-03,99.50,Halden Bakery,INV-1002\n"

func TestRetryRejectedFileAfterProfileFix(t *testing.T) {
	s := startSite(t, nil, bank.NewReader(nil), auth.Config{})
	s.addUser(t, "tess", auth.RoleTreasury)
	s.addUser(t, "vic", auth.RoleViewer)

	p := newPerson(t, s.url)
	p.logIn("tess")

	resp, _ := p.upload(p.csrf, "halden.csv", noCurrencyCSV)
	got, _ := uploadedIDs(t, resp)

	files, err := pipelines.WaitFiles(context.Background(), s.pool, got, 20*time.Millisecond)
	if err != nil || files[0].Status != store.FileRejected {
		t.Fatalf("first read: %+v %v, want rejected", files, err)
	}

	id := itoa(got[0])
	page := p.get("/files/"+id, http.StatusOK)
	mustContain(t, "rejected file", page, `<td>currency</td>`, `id="retry-form"`,
		"Read the file again")

	// Its bytes come back as they were sent, from the page and from the API.
	resp, raw := p.page(http.MethodGet, "/files/"+id+"/raw", "", nil)
	if resp.StatusCode != 200 || string(raw) != noCurrencyCSV ||
		resp.Header.Get("Content-Disposition") != `attachment; filename=halden.csv` {
		t.Errorf("raw download: %d %q %q", resp.StatusCode, resp.Header.Get(
			"Content-Disposition"), raw)
	}

	// Without the token, and as a viewer, the retry is refused.
	resp, body := p.form("/files/"+id+"/retry", url.Values{})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "security token") {
		t.Errorf("retry without CSRF: %d", resp.StatusCode)
	}

	v := newPerson(t, s.url)
	v.logIn("vic")

	if strings.Contains(v.get("/files/"+id, 200), `id="retry-form"`) {
		t.Error("the viewer is offered the retry")
	}

	if resp, _ := v.form("/files/"+id+"/retry", url.Values{auth.CSRFField: {v.csrf}}); resp.
		StatusCode != http.StatusForbidden {
		t.Errorf("viewer's retry: %d", resp.StatusCode)
	}

	// Treasury adds a bank profile with the currency; o2c restarts with it.
	csvReader, err := bankcsv.NewReader([]bankcsv.Profile{{Name: "halden-eur",
		Match:    bankcsv.Match{Header: []string{"date", "amount", "payer", "reference"}},
		Currency: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}

	s.stopRouter()

	fixed := startSite(t, s.pool, bank.NewReader(csvReader), auth.Config{})
	p = newPerson(t, fixed.url)
	p.logIn("tess")

	resp, _ = p.form("/files/"+id+"/retry", url.Values{auth.CSRFField: {p.csrf}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/files/"+id {
		t.Fatalf("retry: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	files, err = pipelines.WaitFiles(context.Background(), s.pool, got, 20*time.Millisecond)
	if err != nil || files[0].Status != store.FileMatched || files[0].PaymentsNew != 2 {
		t.Fatalf("after the retry: %+v %v", files, err)
	}

	page = p.get("/files/"+id, http.StatusOK)
	mustContain(t, "file read again", page, "<dt>Bank profile</dt><dd>halden-eur</dd>",
		`<tr data-row="credits" data-currency="EUR"><th scope="row">Credits</th><td>EUR</td>`+
			`<td class="num">2</td><td class="num">739.50</td>`)

	if len(ids(payRow, page)) != 2 || strings.Contains(page, `id="retry-form"`) {
		t.Errorf("after the retry the page lists %d payments or still offers a retry",
			len(ids(payRow, page)))
	}

	// A server without the profile does not pretend to read the file again.
	old := newPerson(t, s.url)
	old.logIn("tess")

	page = old.get("/files/"+id, http.StatusOK)
	mustContain(t, "file on a server without the profile", page,
		"cannot read the file again", `<th scope="row">New payments stored</th>`+
			`<td class="num">2</td>`)

	if strings.Contains(page, `id="file-totals"`) {
		t.Error("a server without the profile shows the file's totals")
	}

	// A file no longer rejected is not read again.
	resp, body = p.form("/files/"+id+"/retry", url.Values{auth.CSRFField: {p.csrf}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "not rejected") {
		t.Errorf("second retry: %d", resp.StatusCode)
	}

	var e apiError
	if code := fixed.post(t, "/api/bank-files/"+id+"/retry", "", &e); code !=
		http.StatusConflict {
		t.Errorf("API retry of a matched file: %d %+v", code, e)
	}

	log, err := store.AuditLog(context.Background(), s.pool, "bank_file", id, 20)
	if err != nil {
		t.Fatal(err)
	}

	retries := 0
	for _, e := range log {
		if e.Action == "retry" && e.Actor == "tess" {
			retries++
		}
	}

	if retries != 1 {
		t.Errorf("%d retries by tess audited, want 1", retries)
	}
}

func TestRawDownloadStreamsTheUploadedBytes(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "tess", auth.RoleTreasury)

	// Over two storage chunks of 1 MiB, with bytes that are not text.
	var b strings.Builder
	b.WriteString("date,amount,currency,payer,reference\n")

	for i := 0; b.Len() < 2<<20+12345; i++ {
		fmt.Fprintf(&b, "2026-10-%02d,%d.%02d,EUR,Payer \xe9 %d,REF-%d\n", i%28+1, i, i%100, i,
			i)
	}

	content := b.String()

	p := newPerson(t, s.url)
	p.logIn("tess")

	resp, _ := p.upload(p.csrf, "große datei.csv", content)
	got, _ := uploadedIDs(t, resp)

	resp, raw := p.page(http.MethodGet, "/files/"+itoa(got[0])+"/raw", "", nil)
	if resp.StatusCode != 200 || !bytes.Equal([]byte(raw), []byte(content)) ||
		resp.Header.Get("Content-Length") != strconv.Itoa(len(content)) ||
		resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("page download: %d, %d bytes of %d, %q", resp.StatusCode, len(raw),
			len(content), resp.Header.Get("Content-Type"))
	}

	if cd := resp.Header.Get("Content-Disposition"); cd !=
		`attachment; filename*=utf-8''gro%C3%9Fe%20datei.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}

	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/bank-files/"+itoa(got[0])+"/raw", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)

	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Body.Close()

	var api bytes.Buffer
	if _, err := api.ReadFrom(r2.Body); err != nil || api.String() != content {
		t.Errorf("API download: %d bytes of %d, %v", api.Len(), len(content), err)
	}
}

func TestAuditPageFiltersAndExport(t *testing.T) {
	s := startSite(t, nil, nil, auth.Config{})
	s.addUser(t, "vic", auth.RoleViewer)

	ctx := context.Background()

	type entry struct {
		day, actor, action, entity, id string
	}

	entries := []entry{
		{"2026-09-29", "ana", "resolve", "exception", "17"},
		{"2026-09-30", "tess", "receive", "bank_file", "3"},
		{"2026-10-01", "ana", "assign", "exception", "17"},
		{"2026-10-01", "o2c", "ingest", "bank_file", "3"},
		{"2026-10-02", "ana", "resolve", "exception", "=HYPERLINK(\"x\")"},
		{"2026-10-03", "bo", "comment", "exception", "18"},
	}

	var all []int64

	for i, e := range entries {
		var id int64
		if err := s.pool.QueryRow(ctx, `INSERT INTO audit_log (at, actor, action, entity,
				entity_id, before, after)
			VALUES ($1::date + time '09:30', $2, $3, $4, $5, $6, $7) RETURNING id`, e.day,
			e.actor, e.action, e.entity, e.id, `{"status": "open"}`,
			fmt.Sprintf(`{"n": %d, "note": "a, \"quoted\" note"}`, i)).Scan(&id); err != nil {
			t.Fatal(err)
		}

		all = append(all, id)
	}

	// The users added above were audited too: filters below exclude them.
	pick := func(is ...int) []int64 {
		var out []int64
		for _, i := range slices.Backward(is) {
			out = append(out, all[i])
		}

		return out
	}

	p := newPerson(t, s.url)
	p.logIn("vic")

	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"actor=ana", pick(0, 2, 4)},
		{"entity=bank_file", pick(1, 3)},
		{"entity=exception&entity_id=17", pick(0, 2)},
		{"action=resolve", pick(0, 4)},
		{"from=2026-10-01&to=2026-10-02", pick(2, 3, 4)},
		{"actor=ana&from=2026-10-01", pick(2, 4)},
		{"actor=nobody", nil},
	} {
		body := p.get("/audit?"+c.query, http.StatusOK)
		if got := ids(entryRow, body); !slices.Equal(got, c.want) {
			t.Errorf("filter %q: %v, want %v", c.query, got, c.want)
		}

		var api struct {
			Entries []store.AuditEntry `json:"entries"`
		}

		if code := s.get(t, "/api/audit?"+c.query, &api); code != http.StatusOK {
			t.Fatalf("API filter %q: %d", c.query, code)
		}

		var got []int64
		for _, e := range api.Entries {
			got = append(got, e.ID)
		}

		if !slices.Equal(got, c.want) {
			t.Errorf("API filter %q: %v, want %v", c.query, got, c.want)
		}

		// The export of the same filter holds the same entries, as the database has them.
		recs := readCSV(t, p, "/audit.csv?"+c.query)
		if len(recs) != len(c.want)+1 {
			t.Fatalf("export %q: %d rows, want %d and a header", c.query, len(recs),
				len(c.want))
		}

		for i, id := range c.want {
			var want [8]string
			var at time.Time

			if err := s.pool.QueryRow(ctx, `SELECT id::text, at, actor, action, entity,
					entity_id, COALESCE(before::text, ''), COALESCE(after::text, '')
				FROM audit_log WHERE id = $1`, id).Scan(&want[0], &at, &want[2], &want[3],
				&want[4], &want[5], &want[6], &want[7]); err != nil {
				t.Fatal(err)
			}

			want[1] = at.UTC().Format(time.RFC3339Nano)
			for j := range want {
				want[j] = spreadsheetSafe(want[j])
			}

			if !slices.Equal(recs[i+1], want[:]) {
				t.Errorf("export %q row %d: %q, want %q", c.query, i+1, recs[i+1], want)
			}
		}
	}

	// The page links to the export of its filter, and each file to its page.
	body := p.get("/audit?entity=bank_file&from=2026-09-01", http.StatusOK)
	mustContain(t, "audit page", body,
		`<a id="audit-export" href="/audit.csv?entity=bank_file&amp;from=2026-09-01" download>`,
		`<a href="/files/3">3</a>`, `<label for="filter-actor">Actor</label>`)

	// A formula in a cell is defused.
	recs := readCSV(t, p, "/audit.csv?actor=ana&action=resolve")
	if recs[1][5] != `'=HYPERLINK("x")` {
		t.Errorf("entity_id cell %q: want it defused", recs[1][5])
	}

	// Pages of two, forwards and back.
	var seen []int64

	path := "/audit?actor=ana&limit=2"
	for path != "" {
		body := p.get(path, http.StatusOK)
		seen = append(seen, ids(entryRow, body)...)

		if prev := link(prevLink, body); prev != "" && len(seen) > 2 {
			if got := ids(entryRow, p.get(prev, 200)); !slices.Equal(got, pick(2, 4)) {
				t.Errorf("back to page 1: %v", got)
			}
		}

		path = link(nextLink, body)
	}

	if !slices.Equal(seen, pick(0, 2, 4)) {
		t.Errorf("paged through %v, want %v", seen, pick(0, 2, 4))
	}

	for _, q := range []string{"from=2026-02-30", "limit=-1", "before=x",
		"actor=" + strings.Repeat("a", 300)} {
		mustContain(t, "refused filter "+q, p.get("/audit?"+q, http.StatusBadRequest),
			`id="filter-error"`)

		if code := s.get(t, "/api/audit?"+q, nil); code != http.StatusBadRequest {
			t.Errorf("API filter %q: %d", q, code)
		}
	}

	var e map[string]any
	if code := s.get(t, "/api/audit?limit=2", &e); code != http.StatusOK ||
		e["next_before"] == "" {
		raw, _ := json.Marshal(e)
		t.Errorf("API first page: %d %s", code, raw)
	}
}
