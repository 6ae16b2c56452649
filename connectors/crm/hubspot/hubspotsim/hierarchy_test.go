package hubspotsim_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
)

// companyLinks is a v4 batch association answer, decoded loosely.
type companyLinks struct {
	Results []struct {
		From struct {
			ID string `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID       any `json:"toObjectId"`
			AssociationTypes []struct {
				Category string  `json:"category"`
				TypeID   int     `json:"typeId"`
				Label    *string `json:"label"`
			} `json:"associationTypes"`
		} `json:"to"`
	} `json:"results"`
	Errors []struct {
		Category string `json:"category"`
	} `json:"errors"`
}

// edges returns, per source company, its targets as "id:typeId:label".
func (l companyLinks) edges() map[string][]string {
	out := map[string][]string{}
	for _, r := range l.Results {
		for _, to := range r.To {
			id := jsonText(to.ToObjectID)
			for _, at := range to.AssociationTypes {
				out[r.From.ID] = append(out[r.From.ID], id+":"+strconv.Itoa(at.TypeID)+":"+
					str(at.Label))
			}
		}
	}

	return out
}

func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return ""
	}
}

func (b testBundle) companyLinks(t *testing.T, ids ...string) (int, companyLinks) {
	t.Helper()

	inputs := make([]map[string]string, len(ids))
	for i, id := range ids {
		inputs[i] = map[string]string{"id": id}
	}

	var out companyLinks
	status, _ := b.call(t, http.MethodPost, "/crm/v4/associations/companies/companies/batch/read",
		map[string]any{"inputs": inputs}, &out)

	return status, out
}

func TestParentAndChildCompaniesAreAssociationPairs(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	group := b.sim.AddCompany(hubspotsim.Company{Name: "Contoso Holdings AG"})
	sub := b.sim.AddCompany(hubspotsim.Company{Name: "Contoso Retail GmbH", ParentID: group})
	lone := b.sim.AddCompany(hubspotsim.Company{Name: "Lone Ltd"})

	status, links := b.companyLinks(t, sub, group, lone)
	if status != http.StatusMultiStatus || len(links.Errors) != 1 ||
		links.Errors[0].Category != "OBJECT_NOT_FOUND" {
		t.Fatalf("status %d errors %+v, want 207 with one OBJECT_NOT_FOUND (lone company)",
			status, links.Errors)
	}

	got := links.edges()
	if want := []string{group + ":14:Parent Company"}; !slices.Equal(got[sub], want) {
		t.Errorf("child's edges %v, want %v", got[sub], want)
	}

	if want := []string{sub + ":13:Child Company"}; !slices.Equal(got[group], want) {
		t.Errorf("parent's edges %v, want %v", got[group], want)
	}

	var read struct {
		Results []struct {
			ID         string             `json:"id"`
			Properties map[string]*string `json:"properties"`
		} `json:"results"`
	}

	b.call(t, http.MethodPost, "/crm/v3/objects/companies/batch/read", map[string]any{
		"inputs": []map[string]string{{"id": sub}}, "properties": []string{"hs_parent_company_id"},
	}, &read)

	if len(read.Results) != 1 || str(read.Results[0].Properties["hs_parent_company_id"]) != group {
		t.Errorf("hs_parent_company_id of the child: %+v", read.Results)
	}

	// A new parent replaces the old one on both sides.
	other := b.sim.AddCompany(hubspotsim.Company{Name: "Fabrikam Group"})
	if err := b.sim.SetParentCompany(sub, other); err != nil {
		t.Fatal(err)
	}

	_, links = b.companyLinks(t, sub, group)
	got = links.edges()

	if want := []string{other + ":14:Parent Company"}; !slices.Equal(got[sub], want) {
		t.Errorf("after reparenting, child's edges %v, want %v", got[sub], want)
	}

	if len(got[group]) != 0 {
		t.Errorf("old parent still lists %v", got[group])
	}

	// HubSpot refuses a hierarchy loop.
	if err := b.sim.SetParentCompany(other, sub); !errors.Is(err, hubspotsim.ErrHierarchy) {
		t.Errorf("loop: %v, want ErrHierarchy", err)
	}

	if err := b.sim.SetParentCompany(sub, ""); err != nil {
		t.Fatal(err)
	}

	if status, _ := b.companyLinks(t, sub); status != http.StatusMultiStatus {
		t.Errorf("parent removed: status %d, want 207 (no association left)", status)
	}
}

func TestCompanyAssociationReadsKeepBatchLimitsAndRateLimits(t *testing.T) {
	t.Parallel()

	b := setup(t, hubspotsim.Config{})
	parent := b.sim.AddCompany(hubspotsim.Company{Name: "Parent"})

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = b.sim.AddCompany(hubspotsim.Company{Name: "Child " + strconv.Itoa(i),
			ParentID: parent})
	}

	if status, _ := b.companyLinks(t, ids...); status != http.StatusBadRequest {
		t.Errorf("101 inputs: status %d, want 400", status)
	}

	b.sim.Throttle(1, hubspotsim.PolicyTenSecondlyRolling, 0)

	if status, _ := b.companyLinks(t, ids[0]); status != http.StatusTooManyRequests {
		t.Errorf("throttled: status %d, want 429", status)
	}

	// The parent's 101 children come over pages of the configured size.
	status, links := b.companyLinks(t, parent)
	if status != http.StatusOK || len(links.Results) != 1 {
		t.Fatalf("parent: status %d, %d results", status, len(links.Results))
	}

	if n := len(links.edges()[parent]); n != 101 {
		t.Errorf("parent lists %d children on its first page, want 101 (page size 500)", n)
	}
}
