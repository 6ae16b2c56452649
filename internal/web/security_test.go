package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/auth"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/store"
)

// Two write-offs of 30.00 on one payment, each under the 50.00 limit alone, go
// through the API only with a second person: the second waits for approval.
func TestChainedWriteOffsNeedApprovalOverTheAPI(t *testing.T) {
	t.Parallel()

	a := start(t)
	ids := seed(t, a.pool, 10000)
	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var out exceptions.Outcome
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/apply",
		`{"lines":[{"invoice_number":"INV-1001","amount":"10.00","writeoff":"30.00",`+
			`"writeoff_reason":"short_payment"}],"rest":"open"}`, &out); code != 200 ||
		out.Status != store.ExceptionResolved || out.RemainderID == 0 {
		t.Fatalf("first write-off of 30.00: %d %+v", code, out)
	}

	rest := out.RemainderID
	out = exceptions.Outcome{}

	if code := ops.post(t, "/api/exceptions/"+itoa(rest)+"/apply",
		`{"lines":[{"invoice_number":"INV-1002","amount":"10.00","writeoff":"30.00",`+
			`"writeoff_reason":"short_payment"}],"rest":"open"}`, &out); code !=
		http.StatusAccepted || out.Approval == nil || out.Status != store.ExceptionOpen {
		t.Fatalf("second write-off of 30.00 on the same payment: %d %+v", code, out)
	}
}

// The shared legacy token cannot be the second person: its callers only name
// themselves in a header, so it may neither approve nor reject a write-off.
func TestLegacyTokenCannotDecideApprovals(t *testing.T) {
	t.Parallel()

	a := startWith(t, auth.Config{Logger: quiet, LegacyToken: "s3cret-token"})
	ids := seed(t, a.pool, 4900)
	ops := a.as(a.tokenFor(t, "ana", auth.RoleOps))

	var out exceptions.Outcome
	if code := ops.post(t, "/api/exceptions/"+itoa(ids[0])+"/writeoff",
		`{"invoice_number":"INV-1002","amount":"49.00","writeoff":"90.50",`+
			`"reason":"short_payment"}`, &out); code != http.StatusAccepted ||
		out.Approval == nil {
		t.Fatalf("write-off above the limit: %d %+v", code, out)
	}

	legacy := a.as("s3cret-token") // do sends X-O2C-Actor: someone.else
	path := "/api/approvals/" + itoa(out.Approval.ID)

	for _, verb := range []string{"/approve", "/reject"} {
		var e apiError
		if code := legacy.post(t, path+verb, `{"note":"fine"}`, &e); code !=
			http.StatusForbidden || e.Error != "forbidden" ||
			!strings.Contains(e.Detail, "shared API token") {
			t.Errorf("legacy token %s: %d %+v, want 403 forbidden", verb, code, e)
		}
	}

	var pending struct {
		Approvals []store.Approval `json:"approvals"`
	}

	if code := ops.get(t, "/api/approvals?status=pending", &pending); code != 200 ||
		len(pending.Approvals) != 1 {
		t.Fatalf("after the legacy token's attempts: %d %+v", code, pending)
	}

	// A person with their own token still decides.
	bo := a.as(a.tokenFor(t, "bo", auth.RoleOps))
	out = exceptions.Outcome{}

	if code := bo.post(t, path+"/approve", `{}`, &out); code != 200 ||
		out.Approval == nil || out.Approval.DecidedBy != "bo" {
		t.Fatalf("approve by bo: %d %+v", code, out)
	}
}
