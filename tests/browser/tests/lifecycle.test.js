// The life of a token in the browser: its own page with the usage chart,
// the edit form, regenerating with the reveal dialog's snippet and copy
// buttons, and finding tokens by search and sort. Screenshots of the token
// page in light, dark and at phone width, and an axe audit of it.
"use strict";

const { test, before } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const {
  SCREENSHOTS,
  TOKEN_RE,
  useChromium,
  inBothSchemes,
  signIn,
  generateToken,
  closeReveal,
  populate,
  axeViolations,
  row,
} = require("../lib/harness");

const open = useChromium();
before(() => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

/** Opens the token page of the row labelled `label`. */
async function openTokenPage(page, label) {
  await Promise.all([page.waitForNavigation(), row(page, label).locator(".token-label a").click()]);
}

test("the token page shows a labelled usage chart, passes axe, and is photographed", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  const secrets = await populate(page, server);
  // A few uses, written by the next flush (every few seconds).
  for (let i = 0; i < 3; i++) {
    await fetch(`${server.url}/profile.json`, {
      headers: { Authorization: `Bearer ${secrets["CI deploy (GitHub Actions)"]}`, "User-Agent": "deploy-bot/2.1" },
    });
  }
  await new Promise((resolve) => setTimeout(resolve, 6000));
  await openTokenPage(page, "CI deploy (GitHub Actions)");
  assert.match(await page.title(), /CI deploy/);
  const chart = page.locator("svg#usage-chart");
  assert.equal(await chart.getAttribute("role"), "img");
  assert.equal(await chart.getAttribute("aria-labelledby"), "usage-chart-title usage-chart-desc");
  assert.match(await page.locator("#usage-chart-title").textContent(), /Uses per day from \d{4}-\d\d-\d\d/);
  assert.match(await page.locator("#usage-chart-desc").textContent(), /busiest day/);
  assert.equal(await chart.locator("rect.bar").count(), 30);
  assert.equal(await page.locator("#usage-table tbody tr").count(), 30, "the same numbers as a table");
  assert.match(await page.locator(".token-details").innerText(), /deploy-bot\/2\.1/);

  await inBothSchemes(page, async (colorScheme) => {
    const violations = await axeViolations(page);
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.join("; ")}`), [], `token page in ${colorScheme}`);
    const file = path.join(SCREENSHOTS, `token-page-${colorScheme}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: "disabled", caret: "hide" });
    t.diagnostic(file);
  });
  await page.setViewportSize({ width: 390, height: 844 });
  await inBothSchemes(page, async (colorScheme) => {
    const file = path.join(SCREENSHOTS, `token-page-phone-${colorScheme}.png`);
    await page.screenshot({ path: file, fullPage: true, animations: "disabled", caret: "hide" });
    t.diagnostic(file);
  });
});

test("the edit form renames and narrows a token", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "wide", scopes: ["profile:read", "tokens:read"] });
  await closeReveal(page);
  await openTokenPage(page, "wide");
  await page.fill("#edit-label", "narrow");
  await page.fill("#edit-description", "Reads the token list for the dashboard.");
  await page.locator("#edit-form input[value='profile:read']").setChecked(false);
  await Promise.all([page.waitForNavigation(), page.click("#edit-form button[type=submit]")]);
  assert.match(await page.locator(".flash-success").innerText(), /Token “narrow” saved/);
  assert.match(await page.locator("#token-description").innerText(), /dashboard/);
  assert.deepEqual(await page.locator("#scopes-title + ul code").allInnerTexts(), ["tokens:read"]);
});

test("regenerating reveals the new secret in the same dialog, with a snippet to copy", async (t) => {
  const { server, page } = await open(t, { permissions: ["clipboard-read", "clipboard-write"] });
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "rotated" });
  const old = (await page.locator("#token-secret").innerText()).trim();
  await closeReveal(page);
  await openTokenPage(page, "rotated");
  await page.selectOption("#grace_period_hours", "24");
  await Promise.all([page.waitForNavigation(), page.click("#regenerate-form button[type=submit]")]);

  const dialog = page.locator("dialog#token-reveal");
  await dialog.waitFor({ state: "visible" });
  assert.ok(await dialog.evaluate((d) => d.matches(":modal")));
  const secret = (await page.locator("#token-secret").innerText()).trim();
  assert.match(secret, TOKEN_RE);
  assert.notEqual(secret, old);
  const snippet = page.locator("#snippet-curl");
  assert.equal(await snippet.innerText(), `curl -H "Authorization: Bearer ${secret}" ${server.url}/profile.json`);
  await page.selectOption("#snippet-form", { label: "API-KEY header" });
  assert.equal(await snippet.innerText(), `curl -H "API-KEY: ${secret}" ${server.url}/profile.json`);
  await page.click("button[data-copy='snippet-curl']");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await snippet.innerText());
  // Copied: closing no longer asks.
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.match(await row(page, "rotated").innerText(), /old secret valid until/);
  // Both secrets work during the grace period.
  for (const s of [old, secret]) {
    const res = await fetch(`${server.url}/profile.json`, { headers: { Authorization: `Bearer ${s}` } });
    assert.equal(res.status, 200);
  }
});

test("search and sort stay in the URL", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await populate(page, server);
  await page.fill("#token-search", "o");
  await page.selectOption("#token-sort", "label");
  await Promise.all([page.waitForNavigation(), page.click("#token-filters button[type=submit]")]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("q"), "o");
  assert.equal(url.searchParams.get("sort"), "label");
  const labels = await page.locator("tr[data-token-id] .token-label a").allInnerTexts();
  assert.deepEqual(labels, ["Audit export", "CI deploy (GitHub Actions)", "Grafana dashboard", "Old laptop"]);
  await page.selectOption("#token-status", "deactivated");
  await Promise.all([page.waitForNavigation(), page.click("#token-filters button[type=submit]")]);
  assert.deepEqual(await page.locator("tr[data-token-id] .token-label a").allInnerTexts(), ["Old laptop"]);
  assert.ok(await row(page, "Old laptop").evaluate((tr) => tr.classList.contains("row-deactivated")), "muted");
  // A bookmarked view comes back as it was.
  await page.goto(page.url());
  assert.equal(await page.locator("#token-status").inputValue(), "deactivated");
});

test("a new account's one-time password is a modal dialog that asks before closing uncopied", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.goto("/admin/users");
  await page.click("details#create-account > summary");
  await page.fill("#new-username", "erin");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/users'] button[type=submit]")]);
  const dialog = page.locator("dialog#password-reveal");
  await dialog.waitFor({ state: "visible" });
  assert.ok(await dialog.evaluate((d) => d.matches(":modal")), "modal, not below the fold");
  let asked = null;
  page.once("dialog", (d) => {
    asked = d.message();
    d.dismiss();
  });
  await page.keyboard.press("Escape");
  assert.match(asked, /without copying the password/);
  assert.ok(await dialog.isVisible());
  page.once("dialog", (d) => d.accept());
  await page.click("#password-reveal-close");
  await dialog.waitFor({ state: "detached" });
});
