// The generate form's "Advanced" part (SPEC section 8, per-token
// restrictions): folded away until wanted, kept open with what was typed
// when a value is refused, and the token list showing what was set.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { useChromium, signIn, row } = require("../lib/harness");

const open = useChromium();

async function submit(page) {
  await Promise.all([
    page.waitForNavigation(),
    page.click("form[action='/profile/tokens'] button[type=submit]"),
  ]);
}

test("allowed addresses and a rate limit are set in Advanced and shown in the list", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.click("details#generate > summary");
  const advanced = page.locator("details.advanced");
  assert.ok(!(await advanced.evaluate((d) => d.open)), "Advanced starts folded");
  assert.ok(!(await page.locator("#allowed_ips").isVisible()));
  await page.click("details.advanced > summary");
  assert.ok(await page.locator("#allowed_ips").isVisible());

  await page.fill("#label", "fenced");
  await page.fill("#allowed_ips", "192.0.2.7\nnot-an-address");
  await page.fill("#rate_limit_per_minute", "600");
  await submit(page);
  // Refused: the form is open again, Advanced too, with what was typed.
  assert.ok(await page.locator("#allowed_ips").isVisible());
  assert.match(await page.locator("#allowed_ips-error").innerText(), /not-an-address/i);
  assert.equal(await page.locator("#allowed_ips").inputValue(), "192.0.2.7\nnot-an-address");
  assert.equal(await page.locator("#rate_limit_per_minute").inputValue(), "600");

  await page.fill("#allowed_ips", "192.0.2.7\n10.0.0.0/8");
  await submit(page);
  await page.keyboard.press("Escape");
  const listed = row(page, "fenced");
  await listed.waitFor();
  assert.match(await listed.locator(".allowed-ips").innerText(), /from 192\.0\.2\.7, 10\.0\.0\.0\/8/);
  assert.equal(await listed.locator(".rate-limit").innerText(), "600/min");
});
