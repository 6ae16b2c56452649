package service

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/internal/billing"
	"github.com/o2c-dev/o2c/internal/config"
	"github.com/o2c-dev/o2c/internal/matching"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/pipelines"
)

// HubSpotCRM adapts the HubSpot client to what the pipelines need. Deals HubSpot
// returns with unusable values are logged (by id, never by value) and left out.
type HubSpotCRM struct {
	Client *hubspot.Client
	Logger *slog.Logger
}

// PullWonDeals pulls won deals since cursor.
func (h HubSpotCRM) PullWonDeals(ctx context.Context, cursor string) ([]billing.Deal,
	[]billing.Customer, string, error) {
	pull, next, err := h.Client.PullWonDeals(ctx, cursor)
	if err != nil {
		return nil, nil, "", err
	}

	for _, p := range pull.Problems {
		h.Logger.WarnContext(ctx, "CRM deal skipped", "error", p)
	}

	return pull.Deals, pull.Customers, next, nil
}

// XeroERP adapts the Xero client to what the pipelines need, marking Xero's
// validation failures as permanent.
type XeroERP struct {
	Client *xero.Client
}

// CreateInvoice creates an ACCREC invoice.
func (x XeroERP) CreateInvoice(ctx context.Context, inv billing.Invoice,
	lines []billing.LineItem) (string, error) {
	id, err := x.Client.CreateInvoice(ctx, inv, lines)

	return id, permanent(err)
}

// RecordPayment records a payment against an invoice.
func (x XeroERP) RecordPayment(ctx context.Context, p pipelines.ERPPayment) (string, error) {
	id, err := x.Client.RecordPayment(ctx, xero.Payment{
		InvoiceID:     p.InvoiceID,
		InvoiceNumber: p.InvoiceNumber,
		Amount:        p.Amount,
		Date:          p.Date,
		Reference:     p.Reference,
	})

	return id, permanent(err)
}

// DeletePayment deletes a payment; Xero restores the invoice's amount due.
func (x XeroERP) DeletePayment(ctx context.Context, erpPaymentID string) error {
	return permanent(x.Client.DeletePayment(ctx, erpPaymentID))
}

// OpenInvoices lists Xero's authorised sales invoices.
func (x XeroERP) OpenInvoices(ctx context.Context) ([]billing.Invoice, error) {
	return x.Client.OpenInvoices(ctx)
}

func permanent(err error) error {
	if err != nil && xero.IsPermanent(err) {
		return &pipelines.PermanentError{Err: fmt.Errorf("erp refused: %w", err)}
	}

	return err
}

// NewCRM builds the HubSpot client the config enables; nil when no token is set.
func NewCRM(cfg *config.Config, logger *slog.Logger) (pipelines.CRM, error) {
	if !cfg.HubSpot.Enabled() {
		return nil, nil
	}

	c, err := hubspot.New(hubspot.Config{
		BaseURL:          cfg.HubSpot.BaseURL,
		Token:            cfg.HubSpot.Token.Value(),
		WonStages:        cfg.HubSpot.WonStages,
		DefaultCurrency:  cfg.HubSpot.Currency,
		PONumberProperty: cfg.HubSpot.POProperty,
		Logger:           logger,
	})
	if err != nil {
		return nil, fmt.Errorf("configure hubspot: %w", err)
	}

	return HubSpotCRM{Client: c, Logger: logger}, nil
}

// NewERP builds the Xero client the config enables; nil when no client id is set.
func NewERP(cfg *config.Config, logger *slog.Logger) (pipelines.ERP, error) {
	if !cfg.Xero.Enabled() {
		return nil, nil
	}

	c, err := xero.New(xero.Config{
		BaseURL:          cfg.Xero.BaseURL,
		TokenURL:         cfg.Xero.TokenURL,
		ClientID:         cfg.Xero.ClientID,
		ClientSecret:     cfg.Xero.ClientSecret.Value(),
		TenantID:         cfg.Xero.TenantID,
		SalesAccountCode: cfg.Xero.SalesAccountCode,
		BankAccountCode:  cfg.Xero.BankAccountCode,
		Logger:           logger,
	})
	if err != nil {
		return nil, fmt.Errorf("configure xero: %w", err)
	}

	return XeroERP{Client: c}, nil
}

// Rules returns the matching rules as configured. The config was validated, so its
// amounts parse; one that does not is left out.
func Rules(cfg *config.Config) *matching.Rules {
	m := cfg.Matching
	r := matching.DefaultRules()

	r.MinConfidence, r.MinMargin = m.AutoApplyThreshold, m.MinMargin
	r.Partials, r.Deductions, r.FuzzyRefs = m.Partials, m.Deductions, m.FuzzyReferences
	r.DeductionBasisPoints = int64(math.Round(m.DeductionPercent * 100))
	r.NameThreshold = m.NameThreshold

	r.Tolerances = map[string]matching.Tolerance{}
	for cur, t := range m.Tolerances {
		if a, err := money.Parse(t.Abs, cur); err == nil {
			r.Tolerances[a.Currency] = matching.Tolerance{Abs: a.Minor,
				BasisPoints: int64(math.Round(t.Percent * 100))}
		}
	}

	r.KnownFees = map[string][]int64{}
	for cur, fees := range m.KnownFees {
		for _, f := range fees {
			if a, err := money.Parse(f, cur); err == nil {
				r.KnownFees[a.Currency] = append(r.KnownFees[a.Currency], a.Minor)
			}
		}
	}

	return &r
}
