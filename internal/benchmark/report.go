package benchmark

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/o2c-dev/o2c/internal/world"
)

// Report is the score of one benchmark run: a row per payment kind that
// occurred, in world.Kinds order, and the overall row.
type Report struct {
	Seed      int64      `json:"seed"`
	Customers int        `json:"customers"`
	Deals     int        `json:"deals_per_customer"`
	Formats   []string   `json:"formats"`
	Kinds     []KindStat `json:"kinds"`
	Overall   KindStat   `json:"overall"`
	// ByFormat scores the payments of each bank file format apart, in the
	// order of Formats; Run fills it, Score and Evaluate leave it empty.
	ByFormat []FormatStat `json:"by_format,omitempty"`
}

// FormatStat is the score of the payments one bank file format carried: a
// row per kind that occurred and the format's overall row (Kind "overall").
type FormatStat struct {
	Format  string     `json:"format"`
	Kinds   []KindStat `json:"kinds"`
	Overall KindStat   `json:"overall"`
}

// KindStat counts and scores the payments of one kind, or of all kinds.
// Amounts are in minor units, summed across currencies (the wrong-currency
// payments are in another currency than the rest).
type KindStat struct {
	Kind string `json:"kind"`
	// Payments is the number of payments; Matchable those with a truth to
	// apply and MustNotApply the others.
	Payments     int `json:"payments"`
	Matchable    int `json:"matchable"`
	MustNotApply int `json:"must_not_apply"`
	// AutoApplied is the number of payments with at least one automatic
	// application; Applications the number of applications (payment and
	// invoice) and CorrectApplications those whose invoice and amount are a
	// line of the payment's truth.
	AutoApplied         int `json:"auto_applied"`
	Applications        int `json:"applications"`
	CorrectApplications int `json:"correct_applications"`
	// Matched is the number of matchable payments whose every truth line was
	// applied with its amount, and nothing else.
	Matched int `json:"matched"`
	// Held is the number of must-not-apply payments without any application.
	Held int `json:"held"`

	MatchableAmount int64 `json:"matchable_amount_minor"`
	MatchedAmount   int64 `json:"matched_amount_minor"`
	AppliedAmount   int64 `json:"applied_amount_minor"`
	CorrectAmount   int64 `json:"correct_applied_amount_minor"`
	MustNotAmount   int64 `json:"must_not_apply_amount_minor"`
	HeldAmount      int64 `json:"held_amount_minor"`
	AutoMatchRate   Rate  `json:"auto_match_rate"`
	Precision       Rate  `json:"precision"`
	HeldRate        Rate  `json:"must_not_apply_held"`
	AmountMatchRate Rate  `json:"auto_match_rate_by_amount"`
	AmountPrecision Rate  `json:"precision_by_amount"`
	AmountHeldRate  Rate  `json:"must_not_apply_held_by_amount"`
}

// Rate is a ratio; a nil Rate means there was nothing to measure (0 of 0).
type Rate *float64

func rate(num, den int64) Rate {
	if den == 0 {
		return nil
	}

	r := float64(num) / float64(den)

	return &r
}

// finish computes the rates from the counts.
func (k *KindStat) finish() {
	k.AutoMatchRate = rate(int64(k.Matched), int64(k.Matchable))
	k.Precision = rate(int64(k.CorrectApplications), int64(k.Applications))
	k.HeldRate = rate(int64(k.Held), int64(k.MustNotApply))
	k.AmountMatchRate = rate(k.MatchedAmount, k.MatchableAmount)
	k.AmountPrecision = rate(k.CorrectAmount, k.AppliedAmount)
	k.AmountHeldRate = rate(k.HeldAmount, k.MustNotAmount)
}

func (k *KindStat) add(o KindStat) {
	k.Payments += o.Payments
	k.Matchable += o.Matchable
	k.MustNotApply += o.MustNotApply
	k.AutoApplied += o.AutoApplied
	k.Applications += o.Applications
	k.CorrectApplications += o.CorrectApplications
	k.Matched += o.Matched
	k.Held += o.Held
	k.MatchableAmount += o.MatchableAmount
	k.MatchedAmount += o.MatchedAmount
	k.AppliedAmount += o.AppliedAmount
	k.CorrectAmount += o.CorrectAmount
	k.MustNotAmount += o.MustNotAmount
	k.HeldAmount += o.HeldAmount
}

// Score compares the automatic applications (apps) and the bank references
// with an exception (held) with the payments' truth. Every payment must have
// an application or an exception, and every application must belong to a
// payment, else Score returns ErrJoin.
func Score(ps []world.Payment, apps []Application, held map[string]bool) (*Report, error) {
	byRef := make(map[string][]Application, len(ps))
	for _, a := range apps {
		byRef[a.BankRef] = append(byRef[a.BankRef], a)
	}

	refs := make(map[string]bool, len(ps))
	missing := 0
	for i := range ps {
		p := &ps[i]
		refs[p.Trace] = true
		if len(byRef[p.Trace]) == 0 && !held[p.Trace] {
			missing++
		}
	}

	stray := 0
	for ref := range byRef {
		if !refs[ref] {
			stray++
		}
	}

	if missing > 0 || stray > 0 {
		return nil, fmt.Errorf("%w: %d payments in neither output, %d applications of no payment",
			ErrJoin, missing, stray)
	}

	kinds, overall := tally(ps, byRef, nil)
	rep := &Report{Kinds: kinds, Overall: overall}

	return rep, nil
}

// tally scores the payments ps[i] for which keep(i) is true (all when keep is
// nil): a row per kind in world.Kinds order and the overall row.
func tally(ps []world.Payment, byRef map[string][]Application, keep func(int) bool) (
	[]KindStat, KindStat) {
	stats := make(map[string]*KindStat)
	for i := range ps {
		if keep != nil && !keep(i) {
			continue
		}

		p := &ps[i]
		s := stats[p.Kind]
		if s == nil {
			s = &KindStat{Kind: p.Kind}
			stats[p.Kind] = s
		}

		scorePayment(s, p, byRef[p.Trace])
	}

	var kinds []KindStat
	overall := KindStat{Kind: "overall"}
	for _, k := range world.Kinds() {
		if s := stats[k]; s != nil {
			s.finish()
			kinds = append(kinds, *s)
			overall.add(*s)
		}
	}

	overall.finish()

	return kinds, overall
}

// scoreFormats scores the payments of each format apart; of[i] is the format
// of ps[i].
func scoreFormats(ps []world.Payment, of, formats []string, apps []Application) []FormatStat {
	byRef := make(map[string][]Application, len(ps))
	for _, a := range apps {
		byRef[a.BankRef] = append(byRef[a.BankRef], a)
	}

	out := make([]FormatStat, 0, len(formats))
	for _, f := range formats {
		kinds, overall := tally(ps, byRef, func(i int) bool { return of[i] == f })
		overall.Kind = f
		out = append(out, FormatStat{Format: f, Kinds: kinds, Overall: overall})
	}

	return out
}

// scorePayment adds one payment and its applications to s.
func scorePayment(s *KindStat, p *world.Payment, got []Application) {
	s.Payments++
	if len(got) > 0 {
		s.AutoApplied++
	}

	want := make(map[string]int64, len(p.Truth))
	for _, l := range p.Truth {
		want[l.InvoiceNumber] = l.Amount
	}

	correct := 0
	for _, a := range got {
		s.Applications++
		s.AppliedAmount += a.Amount
		if amt, ok := want[a.Invoice]; ok && amt == a.Amount && a.Currency == p.Amount.Currency {
			correct++
			s.CorrectApplications++
			s.CorrectAmount += a.Amount
		}
	}

	if p.MustNotApply || len(p.Truth) == 0 {
		s.MustNotApply++
		s.MustNotAmount += p.Amount.Minor
		if len(got) == 0 {
			s.Held++
			s.HeldAmount += p.Amount.Minor
		}

		return
	}

	s.Matchable++
	s.MatchableAmount += p.Amount.Minor
	if correct == len(want) && len(got) == len(want) {
		s.Matched++
		s.MatchedAmount += p.Amount.Minor
	}
}

// WriteTable prints the report as an aligned table: one row per kind and the
// overall row, rates in percent ("-" for nothing to measure).
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tpayments\tmatchable\tmust-not\tauto-applied\twrong apps\t"+
		"auto-match\tprecision\theld\tauto-match $\tprecision $\theld $\t")
	rows := append(append([]KindStat(nil), r.Kinds...), r.Overall)
	for _, k := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", k.Kind, k.Payments,
			k.Matchable, k.MustNotApply, k.AutoApplied, k.Applications-k.CorrectApplications,
			pct(k.AutoMatchRate), pct(k.Precision), pct(k.HeldRate), pct(k.AmountMatchRate),
			pct(k.AmountPrecision), pct(k.AmountHeldRate))
	}

	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}

	return nil
}

// WriteFormatTable prints the overall row of each format, with the columns of
// WriteTable, then a blank line and, per kind, the auto-match rate (the held
// rate for must-not-apply kinds) in each format. It prints nothing when the
// report has no ByFormat.
func (r *Report) WriteFormatTable(w io.Writer) error {
	if len(r.ByFormat) == 0 {
		return nil
	}

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\tpayments\tmatchable\tmust-not\tauto-applied\twrong apps\t"+
		"auto-match\tprecision\theld\tauto-match $\tprecision $\theld $\t")
	for _, f := range r.ByFormat {
		k := f.Overall
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", f.Format,
			k.Payments, k.Matchable, k.MustNotApply, k.AutoApplied,
			k.Applications-k.CorrectApplications, pct(k.AutoMatchRate), pct(k.Precision),
			pct(k.HeldRate), pct(k.AmountMatchRate), pct(k.AmountPrecision), pct(k.AmountHeldRate))
	}

	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}

	fmt.Fprintln(w)
	head := "kind"
	for _, f := range r.ByFormat {
		head += "\t" + f.Format
	}

	fmt.Fprintln(tw, head+"\t")
	for _, kind := range r.Kinds {
		row := kind.Kind
		for _, f := range r.ByFormat {
			row += "\t" + formatCell(f, kind.Kind)
		}

		fmt.Fprintln(tw, row+"\t")
	}

	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}

	return nil
}

// formatCell is the auto-match rate of kind in format f, or its held rate
// for a must-not-apply kind, "-" when f carried none of it.
func formatCell(f FormatStat, kind string) string {
	for _, k := range f.Kinds {
		switch {
		case k.Kind != kind:
		case k.Matchable > 0:
			return pct(k.AutoMatchRate)
		default:
			return pct(k.HeldRate)
		}
	}

	return "-"
}

// pct formats a rate in percent with two decimals, truncated so that 99.996 %
// does not print as 100.00 %.
func pct(r Rate) string {
	if r == nil {
		return "-"
	}

	v := int64(*r*10000 + 1e-9)

	return strconv.FormatInt(v/100, 10) + "." + fmt.Sprintf("%02d", v%100) + "%"
}
