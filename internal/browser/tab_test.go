package browser_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds one browser step: a page load, a click, a wait.
const stepTimeout = 60 * time.Second

// tab is one browser tab with a profile of its own (its own cookies), so each
// person of the suite has their own session.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	// shots is the directory of the screenshots; "" takes none.
	shots string
}

// newTab opens a tab in a fresh browser context of the suite's Chromium, at the
// laptop size the screenshots use.
func newTab(t *testing.T, browser context.Context, base, shots string) *tab {
	t.Helper()

	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)

	// The first action attaches the tab; it runs without a timeout, which would
	// end the tab with it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}

	return &tab{t: t, ctx: ctx, base: base, shots: shots}
}

// run runs steps with the step timeout.
func (b *tab) run(steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()

	return chromedp.Do(ctx, steps...)
}

// must runs steps and fails the test on an error, saying what was done.
func (b *tab) must(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()

	if err := b.run(steps...); err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.location())
	}
}

// response runs steps that load a page (a navigation, a click on a link or a
// submit button) and returns the HTTP status of the page that loaded, after
// redirects.
func (b *tab) response(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()

	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()

	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v (page %s)", what, err, b.location())
	}

	return respStatus(resp)
}

func respStatus(r *network.Response) int64 {
	if r == nil {
		return 0
	}

	return r.Status
}

// open loads path on the server and returns the status of the page shown.
func (b *tab) open(path string) int64 {
	b.t.Helper()

	return b.response("open "+path, chromedp.Navigate(b.base+path))
}

// click clicks the element and waits for the page it loads; it returns its status.
func (b *tab) click(sel string) int64 {
	b.t.Helper()

	return b.response("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// fill types value into the field.
func (b *tab) fill(sel, value string) {
	b.t.Helper()

	b.must("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// location is the tab's current URL, or "" when it cannot be read.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()

	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return ""
	}

	return loc
}

// path is the path and query of the current URL.
func (b *tab) path() string {
	u, err := url.Parse(b.location())
	if err != nil {
		return ""
	}

	return u.RequestURI()
}

// eval evaluates a JavaScript expression in the page and decodes its value into out.
func (b *tab) eval(expr string, out any) {
	b.t.Helper()

	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()

	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v (page %s)", expr, err, b.location())
	}

	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("decode the value of %s: %v: %s", expr, err, raw)
		}
	}
}

// text is the visible text of the first element the CSS selector finds, with
// runs of white space made one space; "" when there is none.
func (b *tab) text(sel string) string {
	b.t.Helper()

	var s string
	b.eval(`(() => { const e = document.querySelector(`+jsString(sel)+`);
		return e ? e.innerText.replace(/\s+/g, " ").trim() : ""; })()`, &s)

	return s
}

// texts is the text of every element the selector finds.
func (b *tab) texts(sel string) []string {
	b.t.Helper()

	var s []string
	b.eval(`Array.from(document.querySelectorAll(`+jsString(sel)+`),
		e => e.innerText.replace(/\s+/g, " ").trim())`, &s)

	return s
}

// count is how many elements the selector finds.
func (b *tab) count(sel string) int {
	b.t.Helper()

	var n int
	b.eval(`document.querySelectorAll(`+jsString(sel)+`).length`, &n)

	return n
}

// attr is the attribute of the first element the selector finds; "" when none.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()

	var s string
	b.eval(`(() => { const e = document.querySelector(`+jsString(sel)+`);
		return e ? (e.getAttribute(`+jsString(name)+`) || "") : ""; })()`, &s)

	return s
}

// waitUntil waits until the JavaScript condition holds in the page, across the
// page's own reloads, and fails the test after the step timeout.
func (b *tab) waitUntil(what, cond string) {
	b.t.Helper()

	deadline := time.Now().Add(stepTimeout)
	var last error

	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()

		if err == nil && ok {
			return
		}

		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			last = err // a page between two loads has no document to ask
		}

		select {
		case <-b.ctx.Done():
			b.t.Fatalf("%s: %v", what, b.ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}

	b.t.Fatalf("%s: not true after %s (last error %v; page %s)\n%s", what, stepTimeout, last,
		b.location(), b.text("main"))
}

// submitLogin fills the login form of the page shown and sends it; it returns the
// status of the page that answers.
func (b *tab) submitLogin(name, password string) int64 {
	b.t.Helper()

	b.fill("#name", name)
	b.fill("#password", password)

	return b.click("#login-form button[type=submit]")
}

// logIn signs in through the login form, asking to go to next afterwards, and
// waits for that page.
func (b *tab) logIn(p person, next string) {
	b.t.Helper()

	b.open("/login?next=" + url.QueryEscape(next))

	if st := b.submitLogin(p.name, p.password); st != 200 {
		b.t.Fatalf("log in as %s: status %d, page %s: %s", p.name, st, b.location(),
			b.text("main"))
	}

	if got := b.attr("#whoami", "data-user"); got != p.name || b.path() != next {
		b.t.Fatalf("logged in as %s to see %s: the header names %q on %s", p.name, next, got,
			b.location())
	}
}

// screenshot saves the page as name.png in the screenshots' directory, if the
// suite takes screenshots; the docs show these. The picture is the page's width at the laptop
// viewport, and its height down to maxHeight pixels at most.
func (b *tab) screenshot(name string, maxHeight int) {
	b.t.Helper()

	if b.shots == "" {
		return
	}

	var size struct{ W, H float64 }
	b.eval(`({W: document.documentElement.clientWidth,
		H: document.documentElement.scrollHeight})`, &size)
	size.H = max(min(size.H, float64(maxHeight)), 1)

	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()

	yes := true
	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte,
		error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &yes,
			Clip: &page.Viewport{Width: size.W, Height: size.H, Scale: 1}})
		if err != nil {
			return nil, err
		}

		return r.Data, nil
	})
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}

	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Fatal(err)
	}

	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
