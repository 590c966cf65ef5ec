// Shared plumbing for the browser tests: a tessera server of its own for
// every test (fresh SQLite file, port 0), one headless Chromium per test
// file, and the few steps every flow starts with.
"use strict";

const { spawn, execFile } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");
const { chromium } = require("playwright-core");
const AXE_SOURCE = require("axe-core").source;

const REPO = path.resolve(__dirname, "..", "..", "..");
const BIN = process.env.TESSERA_BIN || path.join(REPO, "target", "debug", "tessera");
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENSHOTS = process.env.TESSERA_SCREENSHOT_DIR || path.join(REPO, "target", "screenshots");

const TOKEN_RE = /^tsr_[0-9A-Za-z]{38}$/;

// The flags the machine notes ask for: without the background-networking
// ones Chromium keeps dialling Google from a closed network.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Servers still running when this process ends (a crash, a timeout) are
// killed with it rather than left behind.
const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts `tessera serve` on a fresh database in a temp folder and waits for
 * its listening line. Resolves to { url, password, dbUrl, stop() }.
 * `port` (default: any free one) and `env` (more settings) are for servers
 * whose address must be known before they start (single sign-on).
 */
async function startServer({ port = 0, env = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tessera-browser-"));
  const dbUrl = `sqlite://${path.join(dir, "t.db")}`;
  const child = spawn(BIN, ["--database-url", dbUrl, "serve", "--bind", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn", ...env },
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  live.add(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", () => live.delete(child));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const { url, password } = await new Promise((resolve, reject) => {
      let password = null;
      const lines = readline.createInterface({ input: child.stdout });
      const timer = setTimeout(() => reject(new Error(`tessera did not start in 20 s\n${stderr}`)), 20000);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`could not start ${BIN}: ${err.message}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`tessera exited with ${code} before listening\n${stderr}`));
      });
      lines.on("line", (line) => {
        const created = line.match(/^Created the first account: username admin, password (\S+)/);
        if (created) password = created[1];
        const listening = line.match(/^tessera listening on (http:\/\/\S+)/);
        if (listening) {
          clearTimeout(timer);
          resolve({ url: listening[1], password });
        }
      });
    });
    if (!password) throw new Error("tessera did not print the first account's password");
    return { url, password, dbUrl, stop, stderr: () => stderr };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `tessera user create NAME`: resolves to the printed password (its last word). */
function createUser(server, name) {
  return new Promise((resolve, reject) => {
    execFile(BIN, ["--database-url", server.dbUrl, "user", "create", name], (err, stdout, stderr) => {
      if (err) return reject(new Error(`user create failed: ${stderr}`));
      resolve(stdout.trim().split(/\s+/).pop());
    });
  });
}

// Playwright gives every launch a new empty --user-data-dir of its own (and
// refuses one passed in args), which is the fresh profile the notes ask for.
function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * One headless Chromium for the calling test file, launched before its first
 * test and closed after its last. Returns `open(t, options, serverOptions)`, which gives a
 * test a server and a fresh context of its own in that browser (see setup).
 */
function useChromium() {
  const { before, after } = require("node:test");
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return (t, options, serverOptions) => setup(t, browser, options, serverOptions);
}

/** Runs `look(colorScheme)` with the page in light, then in dark. */
async function inBothSchemes(page, look) {
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    await look(colorScheme);
  }
}

/**
 * A server and a fresh browser context for one test, both torn down when the
 * test ends. `options` go to browser.newContext().
 */
async function setup(t, browser, options = {}, serverOptions = {}) {
  const server = await startServer(serverOptions);
  let context;
  t.after(async () => {
    if (context) await context.close();
    await server.stop();
  });
  context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  return { server, context, page };
}

async function signIn(page, username, password) {
  await page.goto("/login");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL("**/profile"), page.click("button[type=submit]")]);
}

/** Sends the sign-in form with a wrong password and waits for its error. */
async function signInWrongly(page) {
  await page.fill("#username", "admin");
  await page.fill("#password", "wrong");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  await page.locator("#login-error").waitFor();
}

/**
 * Fills and sends the "Generate new token" form. `scopes`, when given,
 * replaces the default ticks; `expiry` is the visible option text.
 */
async function generateToken(page, { label, expiry, scopes } = {}) {
  const details = page.locator("details#generate");
  if (!(await details.evaluate((d) => d.open))) {
    await page.click("details#generate > summary");
  }
  await page.fill("#label", label ?? "");
  if (expiry) await page.selectOption("#expires_in_hours", { label: expiry });
  if (scopes) {
    for (const box of await page.locator("input[name=scopes]").all()) {
      await box.setChecked(scopes.includes(await box.getAttribute("value")));
    }
  }
  await Promise.all([
    page.waitForNavigation(),
    page.click("form[action='/profile/tokens'] button[type=submit]"),
  ]);
}

/**
 * Closes the reveal dialog with Escape, saying yes when it asks whether to
 * close without having copied the token.
 */
async function closeReveal(page) {
  const ask = new Promise((resolve) => page.once("dialog", (d) => resolve(d.accept())));
  await page.keyboard.press("Escape");
  const copied = await page.evaluate(() => document.getElementById("token-reveal")?.hasAttribute("data-copied"));
  if (!copied) await ask;
  await page.locator("#token-reveal").waitFor({ state: "detached" });
}

/** The row of the token whose label is `label`. */
function row(page, label) {
  return page.locator("tr[data-token-id]", { has: page.locator(".token-label", { hasText: label }) });
}

/**
 * Gives the signed-in account a table worth looking at: several tokens with
 * different scopes and lifetimes, one deactivated, one used by a program.
 */
async function populate(page, server) {
  const tokens = [
    { label: "CI deploy (GitHub Actions)", expiry: "90 days", scopes: ["profile:read", "tokens:read"] },
    { label: "Grafana dashboard", expiry: "Never", scopes: ["profile:read"] },
    { label: "Nightly backup script", expiry: "7 days", scopes: ["profile:read", "tokens:read", "tokens:write"] },
    { label: "Old laptop", expiry: "30 days", scopes: ["tokens:read"] },
    { label: "Audit export", expiry: "365 days", scopes: ["admin:read"] },
  ];
  const secrets = {};
  for (const spec of tokens) {
    await generateToken(page, spec);
    secrets[spec.label] = (await page.locator("#token-secret").innerText()).trim();
    if (await page.evaluate(() => typeof HTMLDialogElement !== "undefined" && !!document.querySelector("dialog:modal"))) {
      await closeReveal(page);
    }
  }
  // A program uses one of them, so "Last used" has something to say.
  const res = await fetch(`${server.url}/profile/tokens.json`, {
    headers: { Authorization: `Bearer ${secrets["CI deploy (GitHub Actions)"]}` },
  });
  if (res.status !== 200) throw new Error(`the API refused a fresh token: ${res.status}`);
  const old = row(page, "Old laptop");
  await Promise.all([page.waitForNavigation(), old.getByRole("button", { name: /^Deactivate/ }).click()]);
  await page.goto("/profile");
  return secrets;
}

/**
 * Runs axe-core in the page and returns its violations. Injected through the
 * DevTools protocol, which the page's CSP (script-src 'self') does not see.
 */
async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`),
    }));
  });
}

module.exports = {
  populate,
  axeViolations,
  REPO,
  SCREENSHOTS,
  TOKEN_RE,
  startServer,
  createUser,
  launchBrowser,
  useChromium,
  inBothSchemes,
  setup,
  signIn,
  signInWrongly,
  generateToken,
  closeReveal,
  row,
};
