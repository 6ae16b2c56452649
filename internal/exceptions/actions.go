package exceptions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/o2c-dev/o2c/internal/bankfile"
	"github.com/o2c-dev/o2c/internal/learning"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/pipelines"
)

// ReasonSplitRemainder is the reason of the exception opened for what a split
// leaves of a payment.
const ReasonSplitRemainder = "split_remainder"

// What happens to the cash an application leaves (ApplyRequest.Rest).
const (
	RestOpen      = "open"       // a new open exception holds it
	RestOnAccount = "on_account" // kept as the customer's credit
)

// Line applies cash of the payment to one invoice and may write off a
// difference on it.
type Line struct {
	InvoiceNumber string `json:"invoice_number"`
	// Amount is the cash applied, a decimal string in the payment's currency
	// ("640.00"); "" or "0" when the line only writes off.
	Amount string `json:"amount"`
	// WriteOff is taken off the invoice's open amount without cash, a decimal
	// string; "" for none. It needs WriteOffReason.
	WriteOff string `json:"writeoff,omitempty"`
	// WriteOffReason is one of the policy's reason codes (Policy.Reasons).
	WriteOffReason string `json:"writeoff_reason,omitempty"`
}

// ApplyRequest applies an exception's payment to invoices.
type ApplyRequest struct {
	Lines []Line `json:"lines"`
	// Rest says what happens to the cash the lines leave: RestOpen or
	// RestOnAccount; "" when they must use all of it.
	Rest string `json:"rest,omitempty"`
	// CustomerID names the payer when o2c did not identify it; by default the
	// customer of the invoices, when they have one.
	CustomerID string `json:"customer_id,omitempty"`
	// Note is the reason, kept with the applications and the audit log.
	Note string `json:"note,omitempty"`
}

// Outcome is what an action did.
type Outcome struct {
	ExceptionID int64 `json:"exception_id"`
	// Status is the exception's status after the action: still open when a
	// write-off awaits approval (see Approval).
	Status       string              `json:"status"`
	Applications []store.Application `json:"applications"`
	// ParkedMinor is the cash kept on account.
	ParkedMinor int64 `json:"parked_minor"`
	// WrittenOffMinor is the total written off.
	WrittenOffMinor int64  `json:"written_off_minor"`
	Currency        string `json:"currency"`
	// UnappliedMinor is what the payment has left to apply after the action.
	UnappliedMinor int64 `json:"unapplied_minor"`
	// RemainderID is the exception opened for the rest of a split, 0 when none.
	RemainderID int64 `json:"remainder_id,omitempty"`
	// Approval is the approval a write-off above the limit now awaits.
	Approval *store.Approval `json:"approval,omitempty"`
	// Unapplied lists the applications a reopening undid.
	Unapplied []int64 `json:"unapplied,omitempty"`
}

// target is an open exception and its payment, locked by lockOpen.
type target struct {
	e store.Exception
	p store.PaymentRow
}

// lockTarget locks an exception's payment, then the exception: the order the
// bank-return handler takes them in.
func lockTarget(ctx context.Context, tx pgx.Tx, id int64) (target, error) {
	e, err := store.GetException(ctx, tx, id, false)
	if err != nil {
		return target{}, err
	}

	p, err := store.LockPayment(ctx, tx, e.PaymentID)
	if err != nil {
		return target{}, err
	}

	e, err = store.GetException(ctx, tx, id, true)
	if err != nil {
		return target{}, err
	}

	return target{e: e, p: p}, nil
}

// lockOpen locks an open exception that awaits no approval, and its payment.
func lockOpen(ctx context.Context, tx pgx.Tx, id int64) (target, error) {
	return lockOpenExcept(ctx, tx, id, 0)
}

// lockOpenExcept is lockOpen allowing the pending approval approvalID.
func lockOpenExcept(ctx context.Context, tx pgx.Tx, id, approvalID int64) (target, error) {
	t, err := lockTarget(ctx, tx, id)
	if err != nil {
		return t, err
	}

	if t.e.Status != store.ExceptionOpen {
		return t, fmt.Errorf("exception %d is %s: %w", id, t.e.Status, store.ErrConflict)
	}

	a, ok, err := store.PendingApproval(ctx, tx, id)
	if err != nil {
		return t, err
	}

	if ok && a.ID != approvalID {
		return t, fmt.Errorf("exception %d awaits approval %d of a write-off: approve or "+
			"reject it first: %w", id, a.ID, store.ErrConflict)
	}

	return t, nil
}

// cash reports whether the payment holds money that may be applied, parked or
// paid back: an incoming payment the bank did not take back.
func (t target) cash() bool {
	return t.p.Tx.Direction == bankfile.Credit && t.p.Tx.Kind == bankfile.KindPayment &&
		t.p.Status != store.PaymentReturned && t.p.Status != store.PaymentNotCash
}

func (t target) noCash() error {
	if t.p.Status == store.PaymentReturned {
		return invalid("", "payment %d was returned by the bank: there is no cash to apply, "+
			"park or pay back; close the exception", t.p.ID)
	}

	if !t.cash() {
		return invalid("", "payment %d is a %s %s, not cash received: close the exception",
			t.p.ID, t.p.Tx.Direction, t.p.Tx.Kind)
	}

	return invalid("", "payment %d has nothing left to apply", t.p.ID)
}

func (t target) amount(minor int64) money.Amount {
	return money.New(minor, t.p.Tx.Amount.Currency)
}

// Apply applies the exception's payment to invoices as req says, in one
// transaction: the applications (cash and write-offs, never past an invoice's
// open amount nor the payment's unapplied amount, only in the payment's
// currency), the payment's new status, the exception's resolution, a new open
// exception for the rest when req.Rest is RestOpen, what the resolution teaches
// o2c (learning.Learn), the audit entries and the message that sends the
// applications to the ERP. When the write-offs total more than the policy's
// approval limit, nothing is applied: the outcome carries the approval the
// request now awaits (see Approve).
func (s *Service) Apply(ctx context.Context, id int64, actor string,
	req ApplyRequest) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		return s.apply(ctx, tx, t, actor, "apply", req, nil)
	})
}

// Split applies part of the payment and leaves the rest as a new open exception
// (req.Rest RestOpen, the default) or on account (RestOnAccount); see Apply.
func (s *Service) Split(ctx context.Context, id int64, actor string,
	req ApplyRequest) (Outcome, error) {
	if req.Rest == "" {
		req.Rest = RestOpen
	}

	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		return s.apply(ctx, tx, t, actor, "split", req, func(p plan) error {
			if p.rest <= 0 {
				return invalid("lines", "the lines use all of the payment: nothing is left "+
					"to split off; apply instead")
			}

			return nil
		})
	})
}

// act runs fn in a transaction on the locked open exception id.
func (s *Service) act(ctx context.Context, id int64, actor string,
	fn func(pgx.Tx, target) (Outcome, error)) (Outcome, error) {
	if err := checkActor(actor); err != nil {
		return Outcome{}, err
	}

	var out Outcome

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t, err := lockOpen(ctx, tx, id)
		if err != nil {
			return err
		}

		out, err = fn(tx, t)

		return err
	})

	return out, err
}

// plan is an ApplyRequest checked against the database.
type plan struct {
	lines    []plannedLine
	cash     int64 // total cash applied
	writeOff int64 // total written off
	rest     int64 // cash the lines leave
	customer string
}

type plannedLine struct {
	inv      store.InvoiceRow
	cash     int64
	writeOff int64
	reason   string
}

// maxLines bounds the invoices one request applies to.
const maxLines = 200

// plan checks req against the payment and the invoices.
func (s *Service) plan(ctx context.Context, tx pgx.Tx, t target, req ApplyRequest) (plan,
	error) {
	var pl plan
	var errs fieldErrors

	if !t.cash() || t.p.Unapplied <= 0 {
		return pl, t.noCash()
	}

	cur := t.p.Tx.Amount.Currency

	switch {
	case len(req.Lines) == 0:
		errs.add("lines", "name at least one invoice")
	case len(req.Lines) > maxLines:
		errs.add("lines", "at most %d invoices at once", maxLines)
	}

	seen := map[string]bool{}

	for i, l := range req.Lines {
		f := "lines[" + strconv.Itoa(i) + "]"

		num := strings.TrimSpace(l.InvoiceNumber)
		if num == "" {
			errs.add(f+".invoice_number", "name the invoice")
			continue
		}

		if seen[num] {
			errs.add(f+".invoice_number", "invoice %s is listed twice", num)
			continue
		}

		seen[num] = true

		inv, err := store.Invoice(ctx, tx, num)
		if errors.Is(err, store.ErrNotFound) {
			errs.add(f+".invoice_number", "no invoice %s", num)
			continue
		}

		if err != nil {
			return pl, err
		}

		cash, okCash := parseAmount(&errs, f+".amount", l.Amount, cur, l.WriteOff != "")
		wo, okWO := parseAmount(&errs, f+".writeoff", l.WriteOff, cur, true)

		switch {
		case inv.Currency != cur:
			errs.add(f+".invoice_number", "invoice %s is in %s, the payment in %s", num,
				inv.Currency, cur)
		case inv.Status != store.InvoiceOpen || inv.Open == 0:
			errs.add(f+".invoice_number", "invoice %s is %s with nothing open", num,
				inv.Status)
		case !okCash || !okWO:
		case cash+wo == 0:
			errs.add(f+".amount", "apply or write off more than zero")
		case cash+wo > inv.Open:
			errs.add(f+".amount", "%s applied and %s written off is more than the %s "+
				"invoice %s has open", money.New(cash, cur), money.New(wo, cur),
				money.New(inv.Open, cur), num)
		}

		reason := strings.TrimSpace(l.WriteOffReason)

		switch {
		case wo > 0 && !s.Policy.allows(reason):
			errs.add(f+".writeoff_reason", "give one of %s",
				strings.Join(s.Policy.reasons(), ", "))
		case wo == 0 && reason != "":
			errs.add(f+".writeoff", "a write-off reason needs a write-off amount")
		}

		pl.lines = append(pl.lines, plannedLine{inv: inv, cash: cash, writeOff: wo,
			reason: reason})
		pl.cash += cash
		pl.writeOff += wo
	}

	if pl.cash > t.p.Unapplied {
		errs.add("lines", "the lines apply %s, more than the %s the payment has left to apply",
			t.amount(pl.cash), t.amount(t.p.Unapplied))
	}

	pl.rest = t.p.Unapplied - pl.cash

	switch req.Rest {
	case "":
		if pl.rest > 0 {
			errs.add("rest", "the lines leave %s of the payment unapplied: apply all of it, "+
				"or leave the rest open (a new exception) or on account", t.amount(pl.rest))
		}
	case RestOpen, RestOnAccount:
	default:
		errs.add("rest", "must be %s or %s", RestOpen, RestOnAccount)
	}

	checkNote(&errs, req.Note)

	customer, err := s.customerFor(ctx, tx, &errs, t, req.CustomerID, pl.lines)
	if err != nil {
		return pl, err
	}

	pl.customer = customer
	if customer == "" && pl.rest > 0 && req.Rest == RestOnAccount {
		errs.add("rest", "o2c did not identify the payer and the invoices name no one "+
			"customer: name the customer (customer_id) whose credit the rest becomes, "+
			"or leave the rest open")
	}

	return pl, errs.err()
}

// parseAmount reads a decimal amount of field; "" is zero when optional.
func parseAmount(errs *fieldErrors, field, s, currency string, optional bool) (int64, bool) {
	if strings.TrimSpace(s) == "" {
		if !optional {
			errs.add(field, "give the amount as a decimal string such as \"640.00\"")
			return 0, false
		}

		return 0, true
	}

	a, err := money.Parse(s, currency)
	if err != nil {
		errs.add(field, "%v", err)
		return 0, false
	}

	if a.Minor < 0 {
		errs.add(field, "must not be negative")
		return 0, false
	}

	return a.Minor, true
}

// customerFor is the customer a decision puts the payment under: the one named,
// else the one identified, else the one customer of the invoices.
func (s *Service) customerFor(ctx context.Context, tx pgx.Tx, errs *fieldErrors, t target,
	named string, lines []plannedLine) (string, error) {
	named = strings.TrimSpace(named)
	if named != "" {
		ok, err := store.CustomerExists(ctx, tx, named)
		if err != nil {
			return "", err
		}

		if !ok {
			errs.add("customer_id", "no customer %s", named)
		}

		return named, nil
	}

	if t.p.CustomerID != "" {
		return t.p.CustomerID, nil
	}

	one := ""
	for _, l := range lines {
		switch {
		case one == "":
			one = l.inv.CustomerID
		case one != l.inv.CustomerID:
			return "", nil
		}
	}

	return one, nil
}

// approvedBy is the approval under which a request runs.
type approvedBy struct {
	approval store.Approval
	approver string
}

// apply checks req and applies it; see Apply. check, when set, refuses plans an
// action does not take.
func (s *Service) apply(ctx context.Context, tx pgx.Tx, t target, actor, action string,
	req ApplyRequest, check func(plan) error, approved ...approvedBy) (Outcome, error) {
	cur := t.p.Tx.Amount.Currency
	out := Outcome{ExceptionID: t.e.ID, Currency: cur}

	pl, err := s.plan(ctx, tx, t, req)
	if err != nil {
		return out, err
	}

	if check != nil {
		if err := check(pl); err != nil {
			return out, err
		}
	}

	if len(approved) == 0 && pl.writeOff > 0 {
		standing, err := standingWriteOffs(ctx, tx, t.p.ID)
		if err != nil {
			return out, err
		}

		if limit := s.Policy.ApprovalLimit(cur); standing+pl.writeOff > limit {
			return s.requestApproval(ctx, tx, t, actor, req, pl, limit)
		}
	}

	apps := make([]store.Application, len(pl.lines))
	for i, l := range pl.lines {
		apps[i] = store.Application{
			PaymentID:      t.p.ID,
			InvoiceNumber:  l.inv.Number,
			Currency:       cur,
			Amount:         l.cash,
			WriteOff:       l.writeOff,
			WriteOffReason: l.reason,
			Rule:           "manual",
			RulesVersion:   matching.RulesVersion,
			Confidence:     1,
			Explanation:    explain(actor, t.e.ID, l, cur, req.Note, approved),
			Source:         store.SourceManual,
			Actor:          actor,
		}
	}

	recorded, err := store.ApplyMany(ctx, tx, apps)
	if errors.Is(err, store.ErrOverApplied) {
		return out, invalid("lines", "an invoice's open amount changed meanwhile: %v", err)
	}

	if err != nil {
		return out, err
	}

	ids := make([]int64, len(recorded))
	for i, a := range recorded {
		ids[i] = a.ID
	}

	payStatus := store.PaymentApplied
	switch {
	case pl.rest > 0 && req.Rest == RestOnAccount:
		payStatus = store.PaymentOnAccount
		out.ParkedMinor = pl.rest
	case pl.rest > 0:
		payStatus = store.PaymentPartly
	}

	if err := setPayment(ctx, tx, t, actor, payStatus, pl.customer, pl.rest); err != nil {
		return out, err
	}

	resolution := map[string]any{"action": action, "request": req, "applications": ids,
		"parked_minor": out.ParkedMinor, "written_off_minor": pl.writeOff}
	if len(approved) > 0 {
		resolution["approval_id"] = approved[0].approval.ID
		resolution["approved_by"] = approved[0].approver
	}

	err = store.CloseException(ctx, tx, t.e.ID, store.ExceptionResolved, actor, resolution)
	if err != nil {
		return out, err
	}

	if err := store.SetExceptionLinks(ctx, tx, t.e.ID, pl.customer, 0); err != nil {
		return out, err
	}

	if pl.rest > 0 && req.Rest == RestOpen {
		if out.RemainderID, err = openRemainder(ctx, tx, t, actor, pl); err != nil {
			return out, err
		}
	}

	_, err = learning.Learn(ctx, tx, s.Learning, learning.Resolution{ExceptionID: t.e.ID,
		Payment: t.p, CustomerID: pl.customer, Applications: recorded, Actor: actor})
	if err != nil {
		return out, err
	}

	out.Status, out.Applications = store.ExceptionResolved, recorded
	out.WrittenOffMinor, out.UnappliedMinor = pl.writeOff, pl.rest

	return out, pipelines.Publish(ctx, tx, pipelines.TopicCashApplied,
		pipelines.CashApplied{ApplicationIDs: ids})
}

// requestApproval stores req as a write-off awaiting a second person.
func (s *Service) requestApproval(ctx context.Context, tx pgx.Tx, t target, actor string,
	req ApplyRequest, pl plan, limit int64) (Outcome, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Outcome{}, fmt.Errorf("encode request: %w", err)
	}

	a, err := store.RequestApproval(ctx, tx, store.Approval{ExceptionID: t.e.ID,
		Kind: store.ApprovalWriteOff, Request: body, Amount: pl.writeOff,
		Currency: t.p.Tx.Amount.Currency, Limit: limit, Note: req.Note, RequestedBy: actor})
	if err != nil {
		return Outcome{}, err
	}

	return Outcome{ExceptionID: t.e.ID, Status: store.ExceptionOpen, Approval: &a,
		Currency: a.Currency, UnappliedMinor: t.p.Unapplied,
		Applications: []store.Application{}}, nil
}

// openRemainder opens the exception that holds what a split leaves, with the
// candidates the split did not settle, and announces it as matching does.
func openRemainder(ctx context.Context, tx pgx.Tx, t target, actor string,
	pl plan) (int64, error) {
	settled := map[string]bool{}
	var applied []string

	for _, l := range pl.lines {
		if l.inv.Open == l.cash+l.writeOff {
			settled[l.inv.Number] = true
		}

		applied = append(applied, l.inv.Number)
	}

	cands := []store.Candidate{}
	for _, c := range t.e.Candidates {
		if !settled[c.InvoiceNumber] {
			cands = append(cands, c)
		}
	}

	e, err := store.OpenException(ctx, tx, store.Exception{PaymentID: t.p.ID,
		Reason: ReasonSplitRemainder, Amount: pl.rest, Currency: t.p.Tx.Amount.Currency,
		Candidates: cands, Message: fmt.Sprintf("rest of exception %d after %s applied to %s "+
			"by %s", t.e.ID, t.amount(pl.cash), strings.Join(applied, ", "), actor)})
	if err != nil {
		return 0, err
	}

	if err := store.SetExceptionLinks(ctx, tx, e.ID, pl.customer, t.e.ID); err != nil {
		return 0, err
	}

	return e.ID, pipelines.Publish(ctx, tx, pipelines.TopicExceptionsOpened,
		pipelines.ExceptionsOpened{ExceptionIDs: []int64{e.ID}})
}

// setPayment records a payment's new status, customer and unapplied amount, and
// audits the change.
func setPayment(ctx context.Context, tx pgx.Tx, t target, actor, status, customer string,
	unapplied int64) error {
	if err := store.SetPaymentOutcome(ctx, tx, t.p.ID, status, customer, unapplied); err != nil {
		return err
	}

	return store.Audit(ctx, tx, actor, "resolve", "payment", itoa(t.p.ID),
		map[string]any{"status": t.p.Status, "customer_id": t.p.CustomerID,
			"unapplied_minor": t.p.Unapplied},
		map[string]any{"status": status, "customer_id": customer, "unapplied_minor": unapplied,
			"exception_id": t.e.ID})
}

func explain(actor string, id int64, l plannedLine, currency, note string,
	approved []approvedBy) string {
	s := fmt.Sprintf("applied %s to %s by %s resolving exception %d",
		money.New(l.cash, currency), l.inv.Number, actor, id)
	if l.writeOff > 0 {
		s += fmt.Sprintf(", %s written off (%s)", money.New(l.writeOff, currency), l.reason)
	}

	if len(approved) > 0 {
		s += fmt.Sprintf(", approved by %s", approved[0].approver)
	}

	if note != "" {
		s += ": " + note
	}

	return s
}

// WriteOffRequest applies a payment to one invoice and writes off the difference
// the payment leaves on it (a short payment).
type WriteOffRequest struct {
	// InvoiceNumber is the invoice; by default the exception's best candidate when
	// no other scores as high.
	InvoiceNumber string `json:"invoice_number,omitempty"`
	// Amount is the cash applied, a decimal string; by default all the payment
	// has left to apply.
	Amount string `json:"amount,omitempty"`
	// WriteOff is the difference written off, a decimal string; by default what
	// the invoice has open after the cash.
	WriteOff string `json:"writeoff,omitempty"`
	// Reason is one of the policy's reason codes.
	Reason string `json:"reason"`
	// Rest is as in ApplyRequest, for an Amount below what the payment has left.
	Rest string `json:"rest,omitempty"`
	Note string `json:"note,omitempty"`
}

// WriteOff applies the payment to an invoice and writes off the difference with
// a reason code; see Apply, which it becomes, for the approval limit.
func (s *Service) WriteOff(ctx context.Context, id int64, actor string,
	req WriteOffRequest) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		ar, err := s.writeOffRequest(ctx, tx, t, req)
		if err != nil {
			return Outcome{ExceptionID: id}, err
		}

		return s.apply(ctx, tx, t, actor, "writeoff", ar, func(p plan) error {
			if p.writeOff == 0 {
				return invalid("writeoff", "nothing to write off")
			}

			return nil
		})
	})
}

// writeOffRequest fills in a write-off's defaults and turns it into an
// ApplyRequest with explicit amounts, the form an approval keeps.
func (s *Service) writeOffRequest(ctx context.Context, tx pgx.Tx, t target,
	req WriteOffRequest) (ApplyRequest, error) {
	if !t.cash() || t.p.Unapplied <= 0 {
		return ApplyRequest{}, t.noCash()
	}

	cur := t.p.Tx.Amount.Currency

	num := strings.TrimSpace(req.InvoiceNumber)
	if num == "" {
		c, err := suggestion(t.e)
		if err != nil {
			return ApplyRequest{}, invalid("invoice_number", "%v: name the invoice", err)
		}

		num = c.InvoiceNumber
	}

	inv, err := store.Invoice(ctx, tx, num)
	if errors.Is(err, store.ErrNotFound) {
		return ApplyRequest{}, invalid("invoice_number", "no invoice %s", num)
	}

	if err != nil {
		return ApplyRequest{}, err
	}

	var errs fieldErrors

	cash := t.p.Unapplied
	if strings.TrimSpace(req.Amount) != "" {
		cash, _ = parseAmount(&errs, "amount", req.Amount, cur, false)
	}

	var wo int64
	if strings.TrimSpace(req.WriteOff) != "" {
		wo, _ = parseAmount(&errs, "writeoff", req.WriteOff, cur, false)
	} else if len(errs) == 0 {
		if wo = inv.Open - cash; wo <= 0 {
			errs.add("amount", "%s covers the %s invoice %s has open: nothing to write off",
				money.New(cash, cur), money.New(inv.Open, cur), num)
		}
	}

	if err := errs.err(); err != nil {
		return ApplyRequest{}, err
	}

	return ApplyRequest{Lines: []Line{{InvoiceNumber: num,
		Amount: money.New(cash, cur).Decimal(), WriteOff: money.New(wo, cur).Decimal(),
		WriteOffReason: req.Reason}}, Rest: req.Rest, Note: req.Note}, nil
}

// suggestion is the exception's best candidate, when no other scores as high.
func suggestion(e store.Exception) (store.Candidate, error) {
	cs := append([]store.Candidate(nil), e.Candidates...)
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Score > cs[j].Score })

	switch {
	case len(cs) == 0:
		return store.Candidate{}, errors.New("the exception suggests no invoice")
	case len(cs) > 1 && cs[1].Score >= cs[0].Score:
		return store.Candidate{}, fmt.Errorf("invoices %s and %s are suggested as strongly",
			cs[0].InvoiceNumber, cs[1].InvoiceNumber)
	}

	return cs[0], nil
}

// ApplySuggested applies the payment to the exception's best candidate, when no
// other scores as high and the invoice can take all of the cash left (a payment
// larger than the invoice's open amount is refused: split it by hand); see Apply.
func (s *Service) ApplySuggested(ctx context.Context, id int64, actor,
	note string) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		if !t.cash() || t.p.Unapplied <= 0 {
			return Outcome{ExceptionID: id}, t.noCash()
		}

		c, err := suggestion(t.e)
		if err != nil {
			return Outcome{ExceptionID: id}, invalid("", "%v", err)
		}

		inv, err := store.Invoice(ctx, tx, c.InvoiceNumber)
		if err != nil {
			return Outcome{ExceptionID: id}, err
		}

		if inv.Status == store.InvoiceOpen && t.p.Unapplied > inv.Open &&
			inv.Currency == t.p.Tx.Amount.Currency {
			return Outcome{ExceptionID: id}, invalid("", "the payment's %s is more than the %s "+
				"invoice %s has open: split it by hand", t.amount(t.p.Unapplied),
				money.New(inv.Open, inv.Currency), inv.Number)
		}

		if note == "" {
			note = "applied as suggested"
		}

		return s.apply(ctx, tx, t, actor, "apply_suggested", ApplyRequest{Note: note,
			Lines: []Line{{InvoiceNumber: inv.Number,
				Amount: t.amount(t.p.Unapplied).Decimal()}}}, nil)
	})
}

// ParkRequest keeps an exception's cash on account.
type ParkRequest struct {
	// CustomerID names the customer whose credit it becomes, when o2c did not
	// identify the payer.
	CustomerID string `json:"customer_id,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Park keeps what the payment has left to apply as the customer's credit: the
// payment becomes on_account, the exception closes as on_account, audited. Cash
// is never parked for nobody: when o2c did not identify the payer, req must name
// the customer (a *ValidationError on customer_id otherwise).
func (s *Service) Park(ctx context.Context, id int64, actor string,
	req ParkRequest) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		return s.park(ctx, tx, t, actor, req)
	})
}

func (s *Service) park(ctx context.Context, tx pgx.Tx, t target, actor string,
	req ParkRequest) (Outcome, error) {
	out := Outcome{ExceptionID: t.e.ID, Currency: t.p.Tx.Amount.Currency,
		Applications: []store.Application{}}

	if !t.cash() || t.p.Unapplied <= 0 {
		return out, t.noCash()
	}

	var errs fieldErrors
	checkNote(&errs, req.Note)

	customer, err := s.customerFor(ctx, tx, &errs, t, req.CustomerID, nil)
	if err != nil {
		return out, err
	}

	if customer == "" {
		errs.add("customer_id", "o2c did not identify the payer: name the customer whose "+
			"credit the cash becomes, or mark it for refund or return")
	}

	if err := errs.err(); err != nil {
		return out, err
	}

	err = setPayment(ctx, tx, t, actor, store.PaymentOnAccount, customer, t.p.Unapplied)
	if err != nil {
		return out, err
	}

	err = store.CloseException(ctx, tx, t.e.ID, store.ExceptionOnAccount, actor,
		map[string]any{"action": "park", "request": req, "parked_minor": t.p.Unapplied})
	if err != nil {
		return out, err
	}

	if err := store.SetExceptionLinks(ctx, tx, t.e.ID, customer, 0); err != nil {
		return out, err
	}

	_, err = learning.Learn(ctx, tx, s.Learning, learning.Resolution{ExceptionID: t.e.ID,
		Payment: t.p, CustomerID: customer, Actor: actor})
	if err != nil {
		return out, err
	}

	out.Status, out.ParkedMinor, out.UnappliedMinor = store.ExceptionOnAccount, t.p.Unapplied,
		t.p.Unapplied

	return out, nil
}

// PayBackRequest marks an exception's cash to go back to the payer.
type PayBackRequest struct {
	Note string `json:"note,omitempty"`
}

// MarkRefund marks what the payment has left to apply for a refund to the payer:
// nothing is applied, the payment and the exception become refund_pending.
func (s *Service) MarkRefund(ctx context.Context, id int64, actor string,
	req PayBackRequest) (Outcome, error) {
	return s.payBack(ctx, id, actor, req, "refund", store.ExceptionRefundPending,
		store.PaymentRefundPending)
}

// MarkReturn marks what the payment has left to apply for a return through the
// bank: nothing is applied, the payment and the exception become return_pending.
func (s *Service) MarkReturn(ctx context.Context, id int64, actor string,
	req PayBackRequest) (Outcome, error) {
	return s.payBack(ctx, id, actor, req, "return", store.ExceptionReturnPending,
		store.PaymentReturnPending)
}

func (s *Service) payBack(ctx context.Context, id int64, actor string, req PayBackRequest,
	action, status, payStatus string) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		out := Outcome{ExceptionID: id, Currency: t.p.Tx.Amount.Currency,
			Applications: []store.Application{}}

		if !t.cash() || t.p.Unapplied <= 0 {
			return out, t.noCash()
		}

		var errs fieldErrors
		checkNote(&errs, req.Note)

		if err := errs.err(); err != nil {
			return out, err
		}

		err := setPayment(ctx, tx, t, actor, payStatus, t.p.CustomerID, t.p.Unapplied)
		if err != nil {
			return out, err
		}

		err = store.CloseException(ctx, tx, id, status, actor, map[string]any{
			"action": action, "request": req, "amount_minor": t.p.Unapplied})
		if err != nil {
			return out, err
		}

		out.Status, out.UnappliedMinor = status, t.p.Unapplied

		return out, nil
	})
}

// CloseRequest closes an exception that holds no cash.
type CloseRequest struct {
	Note string `json:"note"`
}

// Close ends the follow-up of an exception whose payment holds no cash to apply
// (a payment the bank took back, or a return or reversal o2c could not act on),
// with a note saying what was done. An exception with cash is refused: apply,
// park or pay it back.
func (s *Service) Close(ctx context.Context, id int64, actor string,
	req CloseRequest) (Outcome, error) {
	return s.act(ctx, id, actor, func(tx pgx.Tx, t target) (Outcome, error) {
		return s.close(ctx, tx, t, actor, req, false)
	})
}

func (s *Service) close(ctx context.Context, tx pgx.Tx, t target, actor string,
	req CloseRequest, legacy bool) (Outcome, error) {
	out := Outcome{ExceptionID: t.e.ID, Currency: t.p.Tx.Amount.Currency,
		Applications: []store.Application{}}

	if t.cash() && t.p.Unapplied > 0 {
		return out, invalid("", "payment %d has %s left to apply: apply, park or pay it back",
			t.p.ID, t.amount(t.p.Unapplied))
	}

	var errs fieldErrors
	checkNote(&errs, req.Note)

	if strings.TrimSpace(req.Note) == "" && !legacy {
		errs.add("note", "say what was done")
	}

	if err := errs.err(); err != nil {
		return out, err
	}

	resolution := map[string]any{"action": "close", "request": req}
	if t.p.Status == store.PaymentReturned {
		resolution["returned"] = true
	}

	err := store.CloseException(ctx, tx, t.e.ID, store.ExceptionResolved, actor, resolution)
	if err != nil {
		return out, err
	}

	out.Status = store.ExceptionResolved

	return out, nil
}

// Comment adds body to an exception's thread, whatever its status.
func (s *Service) Comment(ctx context.Context, id int64, actor,
	body string) (store.Comment, error) {
	if err := checkActor(actor); err != nil {
		return store.Comment{}, err
	}

	body = strings.TrimSpace(body)

	switch msg := checkText(body, maxComment); {
	case body == "":
		return store.Comment{}, invalid("body", "write something")
	case msg != "":
		return store.Comment{}, invalid("body", "%s", msg)
	}

	var c store.Comment

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := store.GetException(ctx, tx, id, true); err != nil {
			return err
		}

		var err error
		c, err = store.AddComment(ctx, tx, id, actor, body)

		return err
	})

	return c, err
}

// Reopen opens a closed exception again and undoes what closing it did: its
// applications are reversed through the same path as a bank return (the rows stay
// as history, the invoices are open again, the ERP deletes the payments it
// recorded), a remainder split off it and still open is merged back (superseded),
// and the payment has its cash to apply again. It is refused with
// store.ErrConflict when that cannot be undone: the payment was returned, a
// remainder was itself resolved (reopen that first), or the payment has another
// open exception.
func (s *Service) Reopen(ctx context.Context, id int64, actor, note string) (Outcome,
	error) {
	if err := checkActor(actor); err != nil {
		return Outcome{}, err
	}

	if msg := checkText(note, maxNote); msg != "" {
		return Outcome{}, invalid("note", "%s", msg)
	}

	var out Outcome

	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.reopen(ctx, tx, id, actor, note)

		return err
	})

	return out, err
}

func (s *Service) reopen(ctx context.Context, tx pgx.Tx, id int64, actor,
	note string) (Outcome, error) {
	out := Outcome{ExceptionID: id, Applications: []store.Application{}}

	t, err := lockTarget(ctx, tx, id)
	if err != nil {
		return out, err
	}

	out.Currency = t.p.Tx.Amount.Currency

	switch {
	case t.e.Status == store.ExceptionOpen:
		return out, fmt.Errorf("exception %d is open: %w", id, store.ErrConflict)
	case t.e.Status == store.ExceptionSuperseded:
		return out, fmt.Errorf("exception %d was merged into exception %d: reopen that "+
			"one: %w", id, t.e.ParentID, store.ErrConflict)
	case t.p.Status == store.PaymentReturned:
		return out, fmt.Errorf("payment %d was returned by the bank, which undid its "+
			"applications: %w", t.p.ID, store.ErrConflict)
	}

	siblings, err := store.ExceptionsOfPayment(ctx, tx, t.p.ID)
	if err != nil {
		return out, err
	}

	var merge []int64
	for _, x := range siblings {
		child := x.ParentID == id

		switch {
		case x.ID == id || x.Status == store.ExceptionSuperseded:
		case child && x.Status == store.ExceptionOpen:
			if _, ok, err := store.PendingApproval(ctx, tx, x.ID); err != nil || ok {
				if err == nil {
					err = fmt.Errorf("exception %d, the rest of this one, awaits an approval: "+
						"%w", x.ID, store.ErrConflict)
				}

				return out, err
			}

			merge = append(merge, x.ID)
		case child:
			return out, fmt.Errorf("exception %d, the rest of this one, is %s: reopen it "+
				"first: %w", x.ID, x.Status, store.ErrConflict)
		case x.Status == store.ExceptionOpen:
			return out, fmt.Errorf("payment %d has open exception %d: %w", t.p.ID, x.ID,
				store.ErrConflict)
		}
	}

	for _, m := range merge {
		err := store.CloseException(ctx, tx, m, store.ExceptionSuperseded, actor,
			map[string]any{"action": "merge", "merged_into": id})
		if err != nil {
			return out, err
		}
	}

	var res struct {
		Applications []int64 `json:"applications"`
	}

	if len(t.e.Resolution) > 0 {
		if err := json.Unmarshal(t.e.Resolution, &res); err != nil {
			return out, fmt.Errorf("decode resolution of exception %d: %w", id, err)
		}
	}

	why := fmt.Sprintf("exception %d reopened by %s", id, actor)
	if note != "" {
		why += ": " + note
	}

	reversed, err := store.UnapplyApplications(ctx, tx, res.Applications, why)
	if err != nil {
		return out, err
	}

	unapplied := t.p.Unapplied
	for _, a := range reversed {
		unapplied += a.Amount
		out.Unapplied = append(out.Unapplied, a.ID)
	}

	standing, err := store.StandingApplicationsOfPayment(ctx, tx, t.p.ID)
	if err != nil {
		return out, err
	}

	payStatus := store.PaymentException
	if standing > 0 {
		payStatus = store.PaymentPartly
	}

	if err := setPayment(ctx, tx, t, actor, payStatus, t.p.CustomerID, unapplied); err != nil {
		return out, err
	}

	err = store.ReopenException(ctx, tx, id, actor,
		map[string]any{"status": t.e.Status, "resolution": t.e.Resolution},
		map[string]any{"status": store.ExceptionOpen, "note": note,
			"unapplied": out.Unapplied, "merged": merge, "unapplied_minor": unapplied})
	if err != nil {
		return out, err
	}

	out.Status, out.UnappliedMinor = store.ExceptionOpen, unapplied

	if len(out.Unapplied) == 0 {
		return out, nil
	}

	return out, pipelines.Publish(ctx, tx, pipelines.TopicCashUnapplied,
		pipelines.CashUnapplied{ApplicationIDs: out.Unapplied})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
