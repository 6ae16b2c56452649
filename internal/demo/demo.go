// Package demo runs o2c's main job end to end against local simulators: HubSpot
// and Xero simulators seeded with a deterministic world, the real bus on
// PostgreSQL, and real bank files written for the invoices the world pays.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-dev/o2c/connectors/crm/hubspot"
	"github.com/o2c-dev/o2c/connectors/crm/hubspot/hubspotsim"
	"github.com/o2c-dev/o2c/connectors/erp/xero"
	"github.com/o2c-dev/o2c/connectors/erp/xero/xerosim"
	"github.com/o2c-dev/o2c/internal/money"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/store"
	"github.com/o2c-dev/o2c/internal/world"
	"github.com/o2c-dev/o2c/pipelines"
)

// Options configure a demo run.
type Options struct {
	// Customers and DealsPerCustomer size the world. Default 40 and 3.
	Customers        int
	DealsPerCustomer int
	// Extra are bank files or folders to ingest besides the generated ones.
	Extra []string
	// LoseResponses makes the Xero simulator lose a share of responses after
	// committing, to show that no invoice or payment is duplicated.
	LoseResponses bool
	// Logger receives progress logs.
	Logger *slog.Logger
	// Pool is the database (already migrated).
	Pool *pgxpool.Pool
	// ReadBankFile reads bank files.
	ReadBankFile pipelines.BankReader
	// Seed makes the world. Default 1.
	Seed int64
	// WorkDir receives the generated bank files. Default: a temporary folder.
	WorkDir string
	// Then, when set, runs after the demo while the simulators are still up, with
	// the summary and the connectors wired to them (o2c demo --serve serves the
	// API there, so ops' resolutions still reach the Xero simulator).
	Then func(ctx context.Context, sum *Summary, crm pipelines.CRM, erp pipelines.ERP) error
}

// Summary is what a demo run did.
type Summary struct {
	DealsPulled        int               `json:"deals_pulled"`
	InvoicesPushed     int               `json:"invoices_pushed"`
	InvoicesInERP      int               `json:"invoices_in_erp"`
	DuplicateInvoices  int               `json:"duplicate_invoices_in_erp"`
	LostResponses      bool              `json:"lost_responses"`
	Files              []store.BankFile  `json:"files"`
	FilesIngested      int               `json:"files_ingested"`
	FilesRejected      int               `json:"files_rejected"`
	PaymentsIngested   int               `json:"payments_ingested"`
	Duplicates         int               `json:"duplicate_transactions"`
	Applied            int               `json:"applied_payments"`
	AppliedAmounts     map[string]string `json:"applied_amounts"`
	Exceptions         map[string]int    `json:"exceptions_by_reason"`
	ERPPaymentsPending int               `json:"erp_payments_pending"`
	ERPPayments        int               `json:"erp_payments_recorded"`
	Generated          []string          `json:"generated_files"`
}

func (o *Options) setDefaults() {
	if o.Customers == 0 {
		o.Customers = 40
	}

	if o.DealsPerCustomer == 0 {
		o.DealsPerCustomer = 3
	}

	if o.Seed == 0 {
		o.Seed = 1
	}

	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Run runs the demo and returns its summary. The simulators are closed before it
// returns.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	opts.setDefaults()

	sum := &Summary{LostResponses: opts.LoseResponses, Exceptions: map[string]int{},
		AppliedAmounts: map[string]string{}}

	w := world.Generate(world.Config{Seed: opts.Seed, Customers: opts.Customers,
		DealsPerCustomer: opts.DealsPerCustomer})

	hs, hsURL, ids, err := startHubSpot(w)
	if err != nil {
		return nil, err
	}
	defer hs.Close()

	xs, erp, err := startXero(opts)
	if err != nil {
		return nil, err
	}
	defer xs.Close()

	crm, err := hubspotClient(hs, hsURL, opts.Logger)
	if err != nil {
		return nil, err
	}

	if err := runJob(ctx, opts, w, ids, crm, erp, xs, sum); err != nil {
		return nil, err
	}

	if opts.Then != nil {
		return sum, opts.Then(ctx, sum, crm, erp)
	}

	return sum, nil
}

// runJob runs the main job with its own router, which it stops before returning.
func runJob(ctx context.Context, opts Options, w *world.World, ids map[string]string,
	crm service.HubSpotCRM, erp service.XeroERP, xs *xerosim.Sim, sum *Summary) error {
	stop, err := service.RunRouter(ctx, pipelines.Config{
		Pool: opts.Pool, Logger: opts.Logger, ERP: erp, ReadBankFile: opts.ReadBankFile,
		PollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return err
	}

	defer func() { _ = stop() }()

	if err := pullAndInvoice(ctx, opts, w, ids, crm, sum); err != nil {
		return err
	}

	for _, inv := range xs.Invoices() {
		sum.InvoicesInERP++
		if xs.CountInvoicesByNumber(inv.Number) > 1 {
			sum.DuplicateInvoices++
		}
	}

	if err := payAndIngest(ctx, opts, w, ids, sum); err != nil {
		return err
	}

	if err := waitERPPayments(ctx, opts.Pool, sum); err != nil {
		return err
	}

	sum.ERPPayments = len(xs.Payments())

	return nil
}

func startHubSpot(w *world.World) (*hubspotsim.Sim, string, map[string]string, error) {
	hs := hubspotsim.New(hubspotsim.Config{SearchLag: 20 * time.Millisecond})

	// A parent company comes before its subsidiaries in the world, so its
	// HubSpot id is known when a subsidiary is added.
	ids := map[string]string{}
	for _, c := range w.Customers {
		ids[c.ID] = hs.AddCompany(hubspotsim.Company{Name: c.Name, ParentID: ids[c.ParentID]})
	}

	for i, d := range w.Deals {
		sd := hubspotsim.Deal{
			Name:      d.Name,
			Amount:    d.Amount.Decimal(),
			Currency:  d.Amount.Currency,
			CloseDate: d.CloseDate,
			CompanyID: ids[d.CompanyID],
			Pipeline:  hubspotsim.DefaultPipelineID,
			Stage:     hubspotsim.DefaultWonStageID,
		}

		if i%4 == 3 {
			sd.Pipeline, sd.Stage = hubspotsim.CustomPipelineID, hubspotsim.CustomWonStageID
		}

		// A third of the deals carry the customer's purchase-order number, which
		// its invoice and the customer's remittance then quote.
		if i%3 == 1 {
			po := fmt.Sprintf("4500%06d", 7919*i%1000000)
			sd.Properties = map[string]string{hubspot.DefaultPONumberProperty: po}
		}

		for _, li := range d.LineItems {
			exp, _ := money.Exponent(d.Amount.Currency)
			sd.LineItems = append(sd.LineItems, hubspotsim.LineItem{
				Name: li.Name, SKU: li.SKU, Quantity: li.Quantity,
				Price:  money.FormatMinor(li.UnitPrice, exp),
				Amount: money.FormatMinor(li.Amount, exp),
			})
		}

		hs.AddDeal(sd)
	}

	for i := 0; i < 5; i++ {
		hs.AddDeal(hubspotsim.Deal{Name: fmt.Sprintf("Open opportunity %d", i+1),
			Amount: "1000.00", Currency: "USD", CompanyID: ids[w.Customers[i%len(w.Customers)].ID],
			Stage: "contractsent"})
	}

	url, err := hs.Start()
	if err != nil {
		return nil, "", nil, fmt.Errorf("start hubspot simulator: %w", err)
	}

	return hs, url, ids, nil
}

func hubspotClient(hs *hubspotsim.Sim, url string,
	logger *slog.Logger) (service.HubSpotCRM, error) {
	c, err := hubspot.New(hubspot.Config{
		BaseURL:   url,
		Token:     hs.Token(),
		WonStages: []string{hubspotsim.DefaultWonStageID, hubspotsim.CustomWonStageID},
		Logger:    logger,
	})
	if err != nil {
		return service.HubSpotCRM{}, fmt.Errorf("create hubspot client: %w", err)
	}

	return service.HubSpotCRM{Client: c, Logger: logger}, nil
}

func startXero(opts Options) (*xerosim.Sim, service.XeroERP, error) {
	cfg := xerosim.Config{ClientID: "o2c-demo", ClientSecret: "demo-secret",
		TenantID: "demo-tenant", Seed: uint64(opts.Seed)}

	if opts.LoseResponses {
		cfg.Faults = []xerosim.Fault{
			{Kind: xerosim.LoseResponse, Path: "/Invoices", Method: "PUT", Rate: 0.2},
			{Kind: xerosim.LoseResponse, Path: "/Payments", Method: "PUT", Rate: 0.2},
			{Kind: xerosim.RateLimit, Nth: 3, Count: 1},
		}
	}

	xs := xerosim.New(cfg)

	base, err := xs.Start()
	if err != nil {
		return nil, service.XeroERP{}, fmt.Errorf("start xero simulator: %w", err)
	}

	c, err := xero.New(xero.Config{
		BaseURL:      base + "/api.xro/2.0",
		TokenURL:     base + "/connect/token",
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		TenantID:     cfg.TenantID,
		Logger:       opts.Logger,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
	})
	if err != nil {
		xs.Close()
		return nil, service.XeroERP{}, fmt.Errorf("create xero client: %w", err)
	}

	return xs, service.XeroERP{Client: c}, nil
}
