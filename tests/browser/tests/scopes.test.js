// Application scopes in the browser: an admin creates one on /admin/scopes,
// the generate form offers it with its description, a token gets it, and
// deleting it (after the confirmation) takes it from that token.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { useChromium, signIn, generateToken, row, axeViolations } = require("../lib/harness");

const open = useChromium();

test("an admin creates an application scope, grants it, and deletes it", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.goto("/admin/scopes");
  // The built-in scopes are listed, and cannot be deleted.
  const builtin = page.locator("tr[data-scope='tokens:read']");
  await builtin.waitFor();
  assert.equal(await builtin.getByRole("button", { name: /Delete/ }).count(), 0);

  await page.click("details#create-scope > summary");
  await page.fill("#scope-name", "billing:read");
  await page.fill("#scope-description", "Read <invoices> & receipts");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/scopes'] button[type=submit]")]);
  const created = page.locator("tr[data-scope='billing:read']");
  assert.match(await created.innerText(), /Read <invoices> & receipts/);
  const bad = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad.map((v) => v.id), [], "/admin/scopes has serious axe violations");

  // A mistake comes back beside its field.
  await page.click("details#create-scope > summary");
  await page.fill("#scope-name", "Not A Scope");
  await Promise.all([page.waitForNavigation(), page.click("form[action='/admin/scopes'] button[type=submit]")]);
  assert.match(await page.locator("#scope-name-error").innerText(), /service:action/);

  // Offered on the generate form, below the built-in scopes.
  await page.goto("/profile");
  const offered = page.locator("input[name=scopes][value='billing:read']");
  assert.equal(await offered.count(), 1);
  await generateToken(page, { label: "billing reader", scopes: ["billing:read"] });
  await page.locator("dialog#token-reveal").waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  assert.match(await row(page, "billing reader").innerText(), /billing:read/);

  // Deleting asks first, then takes it from the token.
  await page.goto("/admin/scopes");
  page.once("dialog", (d) => d.accept());
  await Promise.all([
    page.waitForNavigation(),
    page.locator("tr[data-scope='billing:read']").getByRole("button", { name: /Delete/ }).click(),
  ]);
  assert.equal(await page.locator("tr[data-scope='billing:read']").count(), 0);
  assert.match(await page.locator(".flash").first().innerText(), /taken from 1 token\b/);
  await page.goto("/profile");
  assert.doesNotMatch(await row(page, "billing reader").innerText(), /billing:read/);
});
