// The same flows with JavaScript off: the page must work as plain HTML
// forms. The reveal dialog is simply shown open and deleting goes through a
// confirmation page.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { TOKEN_RE, useChromium, signIn, generateToken, row } = require("../lib/harness");

const open = useChromium();

const NO_JS = { javaScriptEnabled: false };

test("without JavaScript the new token is shown in an open dialog, once", async (t) => {
  const { server, page } = await open(t, NO_JS);
  await signIn(page, "admin", server.password);
  const accountId = (await page.locator("#profile-account-id").innerText()).trim();
  await generateToken(page, { label: "no-js token", expiry: "7 days" });

  const dialog = page.locator("dialog#token-reveal");
  assert.ok(await dialog.isVisible());
  assert.ok(await dialog.evaluate((d) => d.open && !d.matches(":modal")), "open in the page flow, not modal");
  const secret = (await page.locator("#token-secret").innerText()).trim();
  assert.match(secret, TOKEN_RE);
  assert.equal((await page.locator("#reveal-account-id").innerText()).trim(), accountId);
  assert.equal(await row(page, "no-js token").count(), 1);

  // <form method="dialog"> closes it without a script.
  await page.click("#reveal-close");
  assert.ok(!(await dialog.isVisible()), "the close button still closes it");

  await page.reload();
  assert.ok(!(await page.content()).includes(secret), "a reload never shows the secret again");
  assert.equal(await page.locator("#token-reveal").count(), 0);
});

test("without JavaScript deactivate and activate are plain forms", async (t) => {
  const { server, page } = await open(t, NO_JS);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "plain" });
  const tokenRow = row(page, "plain");
  await Promise.all([page.waitForNavigation(), tokenRow.getByRole("button", { name: "Deactivate token plain" }).click()]);
  assert.equal(await tokenRow.locator(".badge").innerText(), "deactivated");
  await Promise.all([page.waitForNavigation(), tokenRow.getByRole("button", { name: "Activate token plain" }).click()]);
  assert.equal(await tokenRow.locator(".badge").innerText(), "active");
});

test("without JavaScript delete goes through a confirmation page", async (t) => {
  const { server, page } = await open(t, NO_JS);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "confirm me" });
  const tokenRow = row(page, "confirm me");
  const id = await tokenRow.getAttribute("data-token-id");
  const prefix = (await tokenRow.locator("code").first().innerText()).replace("…", "");
  const deleteButton = tokenRow.getByRole("button", { name: "Delete token confirm me" });

  // Cancel: back to the page, token still there.
  await Promise.all([page.waitForNavigation(), deleteButton.click()]);
  assert.equal(await page.locator("h1").innerText(), "Delete token “confirm me”?");
  assert.match(await page.locator("main").innerText(), new RegExp(`${prefix}…`));
  await Promise.all([page.waitForURL("**/profile"), page.getByRole("link", { name: "Cancel" }).click()]);
  assert.equal(await tokenRow.count(), 1);

  // Confirm: gone.
  await Promise.all([page.waitForNavigation(), deleteButton.click()]);
  assert.equal(await page.locator(`form[action='/profile/tokens/${id}/delete'] input[name=confirmed]`).getAttribute("value"), "yes");
  await Promise.all([page.waitForURL("**/profile"), page.getByRole("button", { name: "Delete token" }).click()]);
  assert.match(await page.locator(".flash-success").innerText(), /Token “confirm me” deleted/);
  assert.equal(await page.locator(`tr[data-token-id='${id}']`).count(), 0);
});

test("without JavaScript a form error re-renders with the typed values", async (t) => {
  const { server, page } = await open(t, NO_JS);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "", expiry: "365 days", scopes: ["profile:read"] });
  assert.ok(await page.locator("details#generate").evaluate((d) => d.open));
  assert.ok(await page.locator("#label-error").isVisible());
  assert.equal(await page.locator("#expires_in_hours option:checked").innerText(), "365 days");
  const checked = await page.locator("input[name=scopes]:checked").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(checked, ["profile:read"]);
});
