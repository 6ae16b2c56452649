// Package browser holds o2c's browser test suite and no code of its own.
//
// The suite builds the o2c binary, starts "o2c serve" on a test database of
// internal/pgtest on a free 127.0.0.1 port (the real Watermill bus, pipelines
// and matching), creates its users with "o2c users add", and drives headless
// Chromium through chromedp as treasury, ops, viewers and anonymous visitors
// would: logging in, uploading a bank file, resolving exceptions, asking for
// and giving approvals, being refused. It checks what the pages show, and the
// database where money moves.
//
// It lives in a package of its own so that it uses o2c only from outside, as a
// person with a browser does, and so that its build of o2c, its database and
// its browser add nothing to the time of the cmd/o2c and internal/web tests.
//
// The suite skips when no Chromium is found, unless the environment variable
// CI is set: then a missing browser fails it. O2C_CHROMIUM names the browser
// to use; O2C_SCREENSHOTS names a directory for PNG screenshots of the main
// pages (see docs/web.md).
package browser
