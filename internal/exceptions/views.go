package exceptions

import (
	"context"
	"net/url"
	"strings"

	"github.com/o2c-dev/o2c/internal/store"
)

// SaveView stores the queue view query (the query string of a queue page) as
// owner's view name, replacing a view of that name. The query is checked with
// ParseQuery and stored without its cursor and limit.
func (s *Service) SaveView(ctx context.Context, owner, name, query string) (store.View,
	error) {
	if err := checkActor(owner); err != nil {
		return store.View{}, err
	}

	var errs fieldErrors

	name = strings.TrimSpace(name)

	switch msg := checkText(name, 100); {
	case name == "":
		errs.add("name", "name the view")
	case msg != "":
		errs.add("name", "%s", msg)
	}

	v, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	if err != nil {
		errs.add("query", "is not a URL query string: %v", err)
	}

	if err := errs.err(); err != nil {
		return store.View{}, err
	}

	q, err := ParseQuery(v)
	if err != nil {
		return store.View{}, err
	}

	q.Cursor, q.Limit = "", 0

	canon := q.Values().Encode()
	if len(canon) > 2000 {
		return store.View{}, invalid("query", "is longer than 2000 bytes")
	}

	return store.SaveView(ctx, s.Pool, owner, name, canon)
}

// Views returns owner's saved views by name.
func (s *Service) Views(ctx context.Context, owner string) ([]store.View, error) {
	vs, err := store.Views(ctx, s.Pool, owner)

	return orEmpty(vs), err
}

// View returns owner's view id with its Query; store.ErrNotFound when owner has
// no such view.
func (s *Service) View(ctx context.Context, owner string, id int64) (store.View, Query,
	error) {
	v, err := store.GetView(ctx, s.Pool, owner, id)
	if err != nil {
		return v, Query{}, err
	}

	vals, err := url.ParseQuery(v.Query)
	if err != nil {
		return v, Query{}, invalid("query", "stored view %d no longer reads: %v", id, err)
	}

	q, err := ParseQuery(vals)

	return v, q, err
}

// DeleteView deletes owner's view id; store.ErrNotFound when owner has no such
// view.
func (s *Service) DeleteView(ctx context.Context, owner string, id int64) error {
	return store.DeleteView(ctx, s.Pool, owner, id)
}

// Settings are what a page needs to offer the workflow's choices.
type Settings struct {
	WriteOffReasons []string         `json:"writeoff_reasons"`
	ApprovalLimits  map[string]int64 `json:"writeoff_approval_limits"`
	Statuses        []string         `json:"statuses"`
	Sorts           []string         `json:"sorts"`
	BulkActions     []string         `json:"bulk_actions"`
	MaxBulk         int              `json:"max_bulk"`
	MaxLimit        int              `json:"max_limit"`
}

// Settings returns the workflow's choices.
func (s *Service) Settings() Settings {
	limits := map[string]int64{}
	for k, v := range s.Policy.limits() {
		limits[k] = v
	}

	return Settings{WriteOffReasons: s.Policy.Reasons(), ApprovalLimits: limits,
		Statuses: Statuses(), Sorts: []string{SortAge, SortAmount, SortCustomer, SortReason},
		BulkActions: []string{BulkAssign, BulkComment, BulkPark, BulkWriteOff,
			BulkApplySuggested, BulkRefund, BulkReturn},
		MaxBulk: MaxBulk, MaxLimit: MaxLimit}
}
