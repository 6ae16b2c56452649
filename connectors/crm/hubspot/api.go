package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// batchSize is the most inputs HubSpot accepts in one batch read, of objects or of v4
// associations.
const batchSize = 100

// Association type ids HubSpot defines (category HUBSPOT_DEFINED). 5 marks a deal's
// primary company. For the company hierarchy, HubSpot's developer changelog of
// 2018-09-11 ("Parent <-> Child Associations via API") gives 13 as "parent company to
// child company" and 14 as "child company to parent company": read from a company, an
// association of type 14 points to its parent (the type HubSpot labels "Parent
// Company"), one of type 13 to a child. The client relies on the type id only; labels
// are display text.
const (
	assocDealToPrimaryCompany = 5
	assocChildToParent        = 14
)

type filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type sortRule struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortRule    `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
}

// object is HubSpot's SimplePublicObject as far as the client reads it. A property is nil
// when HubSpot returns null.
type object struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
}

type searchResponse struct {
	Total   int      `json:"total"`
	Results []object `json:"results"`
}

// searchDeals runs one deal search with all filters ANDed, sorted ascending on sortBy,
// from the first result. It fails on a result without a readable hs_lastmodifieddate,
// since the sync position cannot move past such a deal.
func (c *Client) searchDeals(ctx context.Context, filters []filter, sortBy string) ([]hit,
	error) {
	req := searchRequest{
		FilterGroups: []filterGroup{{Filters: filters}},
		Sorts:        []sortRule{{PropertyName: sortBy, Direction: "ASCENDING"}},
		Properties:   c.dealProperties(),
		Limit:        c.cfg.PageSize,
	}

	var resp searchResponse
	if err := c.post(ctx, "search deals", "/crm/v3/objects/deals/search", req, &resp); err != nil {
		return nil, err
	}

	hits := make([]hit, 0, len(resp.Results))
	for _, o := range resp.Results {
		t, err := parseTime(prop(o.Properties, "hs_lastmodifieddate"))
		if err != nil {
			return nil, fmt.Errorf("search deals: deal %s hs_lastmodifieddate: %w", o.ID, err)
		}

		if !isNumeric(o.ID) {
			return nil, fmt.Errorf("search deals: deal id %q is not numeric", o.ID)
		}

		hits = append(hits, hit{id: o.ID, modified: t.UnixMilli(), props: o.Properties})
	}

	return hits, nil
}

// prop returns a property's value, "" for null or absent.
func prop(props map[string]*string, name string) string {
	if v := props[name]; v != nil {
		return *v
	}

	return ""
}

// batchError is one entry of the errors list in a 207 batch answer.
type batchError struct {
	Category string `json:"category"`
	Message  string `json:"message"`
}

type batchReadResponse struct {
	Results []object     `json:"results"`
	Errors  []batchError `json:"errors"`
}

// batchRead reads objects of one type by id. Ids HubSpot reports as not found are absent
// from the result; any other per-item error fails the call.
func (c *Client) batchRead(ctx context.Context, typ string, ids, props []string) (
	map[string]object, error) {
	op := "read " + typ
	out := make(map[string]object, len(ids))

	for chunk := range slices.Chunk(ids, batchSize) {
		inputs := make([]map[string]string, len(chunk))
		for i, id := range chunk {
			inputs[i] = map[string]string{"id": id}
		}

		req := map[string]any{"inputs": inputs, "properties": props}

		var resp batchReadResponse
		if err := c.post(ctx, op, "/crm/v3/objects/"+typ+"/batch/read", req, &resp); err != nil {
			return nil, err
		}

		if err := checkBatchErrors(op, resp.Errors); err != nil {
			return nil, err
		}

		for _, o := range resp.Results {
			out[o.ID] = o
		}
	}

	return out, nil
}

func checkBatchErrors(op string, errs []batchError) error {
	for _, e := range errs {
		if e.Category != "OBJECT_NOT_FOUND" {
			return fmt.Errorf("%s: %w", op, &APIError{Status: 207, Category: e.Category,
				Message: e.Message})
		}
	}

	return nil
}

// flexID is an object id HubSpot may send as a JSON string or a JSON number.
type flexID string

func (f *flexID) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(data, []byte(`"`)) {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}

		*f = flexID(s)

		return nil
	}

	var n json.Number
	if err := json.Unmarshal(data, &n); err != nil {
		return err
	}

	if _, err := strconv.ParseUint(n.String(), 10, 64); err != nil {
		return fmt.Errorf("object id %s is not a whole number", n)
	}

	*f = flexID(n.String())

	return nil
}

// target is one associated record with the HUBSPOT_DEFINED association type ids that
// link to it.
type target struct {
	ID    string
	Types []int
}

// is reports whether the association has the HubSpot-defined type typeID.
func (t target) is(typeID int) bool {
	return slices.Contains(t.Types, typeID)
}

type assocInput struct {
	ID    string `json:"id"`
	After string `json:"after,omitempty"`
}

type assocResponse struct {
	Results []struct {
		From struct {
			ID flexID `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID       flexID `json:"toObjectId"`
			AssociationTypes []struct {
				Category string `json:"category"`
				TypeID   int    `json:"typeId"`
			} `json:"associationTypes"`
		} `json:"to"`
		Paging *struct {
			Next *struct {
				After string `json:"after"`
			} `json:"next"`
		} `json:"paging"`
	} `json:"results"`
	Errors []batchError `json:"errors"`
}

// associations reads, with the v4 batch endpoint, the records of type toType associated
// with each record of type fromType in ids, at most batchSize inputs a request,
// following each record's association paging. Records without any are absent.
func (c *Client) associations(ctx context.Context, fromType, toType string, ids []string) (
	map[string][]target, error) {
	op := "read " + fromType + " associations to " + toType
	path := "/crm/v4/associations/" + fromType + "/" + toType + "/batch/read"
	out := map[string][]target{}

	queue := make([]assocInput, len(ids))
	for i, id := range ids {
		queue[i] = assocInput{ID: id}
	}

	for len(queue) > 0 {
		n := min(len(queue), batchSize)
		batch := queue[:n]
		queue = queue[n:]

		var resp assocResponse
		if err := c.post(ctx, op, path, map[string]any{"inputs": batch}, &resp); err != nil {
			return nil, err
		}

		if err := checkBatchErrors(op, resp.Errors); err != nil {
			return nil, err
		}

		for _, res := range resp.Results {
			from := string(res.From.ID)
			for _, to := range res.To {
				t := target{ID: string(to.ToObjectID)}
				for _, at := range to.AssociationTypes {
					if at.Category == "HUBSPOT_DEFINED" {
						t.Types = append(t.Types, at.TypeID)
					}
				}

				out[from] = append(out[from], t)
			}

			if res.Paging != nil && res.Paging.Next != nil && res.Paging.Next.After != "" {
				if len(res.To) == 0 {
					return nil, fmt.Errorf("%s: empty page with a next page for %s %s", op,
						fromType, from)
				}

				queue = append(queue, assocInput{ID: from, After: res.Paging.Next.After})
			}
		}
	}

	return out, nil
}
