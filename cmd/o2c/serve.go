package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/o2c-dev/o2c/internal/config"
	"github.com/o2c-dev/o2c/internal/exceptions"
	"github.com/o2c-dev/o2c/internal/monitor"
	"github.com/o2c-dev/o2c/internal/schedule"
	"github.com/o2c-dev/o2c/internal/service"
	"github.com/o2c-dev/o2c/internal/web"
	"github.com/o2c-dev/o2c/pipelines"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(e.errOut)

	if err := fs.Parse(args); err != nil {
		return err
	}

	crm, erp, err := connectors(e.cfg, e)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", e.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.HTTP.Addr, err)
	}

	svc, err := e.open(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	defer svc.Close(ctx)

	return serve(ctx, e, ln, svc, crm, erp)
}

// connectors builds the CRM and ERP clients the config enables; either may be nil.
func connectors(cfg *config.Config, e *env) (pipelines.CRM, pipelines.ERP, error) {
	crm, err := service.NewCRM(cfg, e.logger)
	if err != nil {
		return nil, nil, err
	}

	erp, err := service.NewERP(cfg, e.logger)
	if err != nil {
		return nil, nil, err
	}

	return crm, erp, nil
}

// serve runs the router, the scheduler and the HTTP API on ln until ctx ends.
func serve(ctx context.Context, e *env, ln net.Listener, svc *service.Service,
	crm pipelines.CRM, erp pipelines.ERP) error {
	if erp == nil {
		e.logger.WarnContext(ctx, "No ERP configured: invoices and applied cash wait in "+
			"their topics until o2c runs with one")
	}

	mon, err := startMonitor(ctx, e, ln, svc)
	if err != nil {
		return errors.Join(err, ln.Close())
	}

	stopRouter, err := service.RunRouter(ctx, pipelines.Config{
		Pool: svc.Pool, Logger: e.logger, ERP: erp, ReadBankFile: e.bank.Scan,
		Rules:        service.Rules(e.cfg),
		PollInterval: e.cfg.Bus.PollInterval, AckDeadline: e.cfg.Bus.AckDeadline,
		Metrics: mon,
	})
	if err != nil {
		return err
	}

	access, err := startAuth(ctx, e, svc.Pool)
	if err != nil {
		return errors.Join(err, stopRouter(), ln.Close())
	}

	sched := schedule.New(svc.Pool, e.logger)
	if err := addJobs(sched, e.cfg, svc, crm, erp); err != nil {
		return errors.Join(err, stopRouter(), ln.Close())
	}

	sched.Start(ctx)

	// The configured host (a name stays a name) with the port actually bound.
	host, _, _ := net.SplitHostPort(e.cfg.HTTP.Addr)
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	// Timeouts: a whole-request ReadTimeout would cut off a large bank-file upload on
	// a slow link, so there is none. ReadHeaderTimeout bounds a client that dawdles
	// over its headers, IdleTimeout closes kept-alive connections left unused, and
	// the upload handlers set their own body read deadline per request
	// (http.ResponseController), generous for a file of ingest.max_file_bytes.
	// WriteTimeout is left off too: CSV exports stream and may take a while.
	srv := &http.Server{
		Addr: e.cfg.HTTP.Addr,
		Handler: web.New(web.Config{Pool: svc.Pool, Logger: e.logger, Auth: access,
			MaxUploadBytes: e.cfg.Ingest.MaxFileBytes, Monitor: mon, Bank: e.bank,
			Exceptions:   exceptionPolicy(e.cfg),
			ExceptionSLA: time.Duration(e.cfg.Exceptions.SLAHours) * time.Hour,
			Addr:         net.JoinHostPort(host, port), AllowedHosts: e.cfg.HTTP.AllowedHosts}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	e.logger.InfoContext(ctx, "o2c serving", "addr", ln.Addr().String())

	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("serve http: %w", err)
	}

	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()

	return errors.Join(err, srv.Shutdown(shut), sched.Stop(shut), stopRouter())
}

// startMonitor builds the metrics of the server listening on ln.
func startMonitor(ctx context.Context, e *env, ln net.Listener,
	svc *service.Service) (*monitor.Monitor, error) {
	token := e.cfg.Metrics.Token.Value()
	addr := ln.Addr().String()

	if token == "" && !monitor.Loopback(addr) {
		e.logger.WarnContext(ctx, "GET /metrics refused: the server listens beyond loopback "+
			"and metrics.token is not set", "addr", addr)
	}

	return monitor.New(monitor.Config{Addr: addr, Token: token, Pool: svc.Pool,
		Logger: e.logger, Topics: pipelines.Topics, ConsumerGroup: pipelines.ConsumerGroup,
		PoisonTopic: pipelines.TopicPoison})
}

// addJobs registers the scheduled CRM pull and ERP refresh that are configured.
func addJobs(s *schedule.Scheduler, cfg *config.Config, svc *service.Service,
	crm pipelines.CRM, erp pipelines.ERP) error {
	if crm != nil {
		err := s.Add(schedule.Job{Name: "crm_pull", Spec: cfg.Schedule.CRMPull,
			Run: func(ctx context.Context) (schedule.Counts, error) {
				return pipelines.SyncCRM(ctx, svc.Pool, crm)
			}})
		if err != nil {
			return err
		}
	}

	if erp != nil {
		err := s.Add(schedule.Job{Name: "erp_refresh", Spec: cfg.Schedule.ERPRefresh,
			Run: func(ctx context.Context) (schedule.Counts, error) {
				return pipelines.RefreshERP(ctx, svc.Pool, erp)
			}})
		if err != nil {
			return err
		}
	}

	return nil
}

// exceptionPolicy is the exception workflow's policy from the config.
func exceptionPolicy(cfg *config.Config) exceptions.Policy {
	return exceptions.Policy{WriteOffReasons: cfg.Exceptions.WriteOffReasons,
		ApprovalLimits: cfg.Exceptions.WriteOffApprovalLimit}
}
