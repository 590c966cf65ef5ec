// Account Preferences with JavaScript on: the one-time reveal as a modal
// dialog, the copy buttons, the token table's buttons and the form's errors.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { TOKEN_RE, useChromium, signIn, generateToken, closeReveal, row } = require("../lib/harness");

const open = useChromium();

const CLIPBOARD = { permissions: ["clipboard-read", "clipboard-write"] };

test("signing in lands on Account Preferences with the account's details", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  assert.equal(await page.title(), "Account Preferences · tessera");
  assert.match(await page.locator(".flash-success").innerText(), /Signed in as admin/);
  assert.equal(await page.locator("#profile-username").innerText(), "admin");
  assert.match(await page.locator("#profile-account-id").innerText(), /^acc_/);
  assert.ok(await page.locator("#tokens-empty").isVisible(), "a new account shows the empty state");
  assert.equal(await page.locator("#token-reveal").count(), 0, "no reveal dialog before a token exists");
});

test("a new token is shown once, in a modal dialog, and copies exactly", async (t) => {
  const { server, page } = await open(t, CLIPBOARD);
  await signIn(page, "admin", server.password);
  const accountId = (await page.locator("#profile-account-id").innerText()).trim();

  const revealResponse = page.waitForResponse(
    (r) => r.request().method() === "GET" && new URL(r.url()).pathname === "/profile",
  );
  await generateToken(page, { label: "CI deploy" });
  assert.equal((await revealResponse).headers()["cache-control"], "no-store");

  const dialog = page.locator("dialog#token-reveal");
  await dialog.waitFor({ state: "visible" });
  assert.ok(await dialog.evaluate((d) => d.open && d.matches(":modal")), "the dialog is modal");
  const secret = (await page.locator("#token-secret").innerText()).trim();
  assert.match(secret, TOKEN_RE);
  assert.equal((await page.locator("#reveal-account-id").innerText()).trim(), accountId);
  assert.match(await dialog.innerText(), /will not see this token again/);
  const examples = await dialog.locator("pre.example").allInnerTexts();
  assert.ok(examples.some((e) => e.includes(`Authorization: Bearer ${secret}`)), "a header example");
  assert.ok(examples.some((e) => e.startsWith("curl ") && e.includes(server.url)), "a curl example");

  await page.click("button[data-copy='token-secret']");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await page.locator(".copy-status", { hasText: "Copied token" }).waitFor();
  await page.click("button[data-copy='reveal-account-id']");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), accountId);

  // The table lists it by its prefix while the dialog is up.
  const tokenRow = row(page, "CI deploy");
  assert.equal(await tokenRow.locator("code").first().innerText(), `${secret.slice(0, 12)}…`);

  await page.click("#reveal-close");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await page.locator("#token-secret").count(), 0);
  assert.ok(!(await page.content()).includes(secret), "the secret is gone from the DOM");
  assert.ok(
    await page.evaluate(() => document.activeElement?.id === "tokens-title"),
    "focus returns to the tokens section",
  );

  await page.reload();
  assert.ok(!(await page.content()).includes(secret), "a reload never shows the secret again");
  assert.equal(await page.locator("#token-reveal").count(), 0);
  assert.equal(await tokenRow.count(), 1);
});

test("Escape asks before closing an uncopied secret, then takes it away", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "escape hatch" });
  const secret = (await page.locator("#token-secret").innerText()).trim();
  assert.match(secret, TOKEN_RE);
  // Not copied yet: a stray Escape is asked about, and "no" keeps it.
  let asked = null;
  page.once("dialog", (d) => {
    asked = d.message();
    d.dismiss();
  });
  await page.keyboard.press("Escape");
  assert.match(asked, /without copying/);
  assert.ok(await page.locator("#token-reveal").isVisible(), "dismissing keeps the dialog");
  await closeReveal(page);
  assert.ok(!(await page.content()).includes(secret));
});

test("deactivate and activate change the status badge", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "toggled" });
  await closeReveal(page);
  const tokenRow = row(page, "toggled");
  assert.equal(await tokenRow.locator(".badge").innerText(), "active");

  await Promise.all([page.waitForNavigation(), tokenRow.getByRole("button", { name: "Deactivate token toggled" }).click()]);
  assert.match(await page.locator(".flash-success").innerText(), /Token “toggled” deactivated/);
  assert.equal(await tokenRow.locator(".badge").innerText(), "deactivated");
  assert.ok(await tokenRow.locator(".badge-deactivated").isVisible());

  await Promise.all([page.waitForNavigation(), tokenRow.getByRole("button", { name: "Activate token toggled" }).click()]);
  assert.match(await page.locator(".flash-success").innerText(), /Token “toggled” activated/);
  assert.equal(await tokenRow.locator(".badge").innerText(), "active");
});

test("delete asks first: dismissing keeps the row, accepting removes it", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "doomed" });
  await closeReveal(page);
  await generateToken(page, { label: "keeper" });
  await closeReveal(page);
  const doomed = row(page, "doomed");
  const deleteButton = doomed.getByRole("button", { name: "Delete token doomed" });

  let asked = null;
  page.once("dialog", (d) => {
    asked = d;
    d.dismiss();
  });
  await deleteButton.click();
  assert.equal(asked?.type(), "confirm");
  assert.match(asked.message(), /Delete token “doomed”\?/);
  await page.reload();
  assert.equal(await doomed.count(), 1, "dismissing the confirmation keeps the token");

  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForNavigation(), deleteButton.click()]);
  assert.match(await page.locator(".flash-success").innerText(), /Token “doomed” deleted/);
  assert.equal(await doomed.count(), 0);
  assert.equal(await row(page, "keeper").count(), 1, "only that token is gone");
});

test("labels are shown as typed, never as markup", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  const label = `<img src=x onerror=alert(1)> déploiement ✓ "quoted"`;
  await generateToken(page, { label });
  await closeReveal(page);
  const cell = page.locator("tr[data-token-id] .token-label a");
  assert.equal(await cell.innerText(), label);
  assert.equal(await cell.locator("img").count(), 0);
});

test("an empty label re-renders the form with the message beside it and keeps the choices", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.click("details#generate > summary");
  // The focus moves on the details' toggle event, which comes after the click.
  await page.waitForFunction(() => document.activeElement?.id === "label", null, { timeout: 2000 });
  await generateToken(page, { label: "   ", expiry: "90 days", scopes: ["tokens:read", "tokens:write"] });

  assert.ok(await page.locator("details#generate").evaluate((d) => d.open), "the form stays open");
  const label = page.locator("#label");
  const error = page.locator("#label-error");
  assert.ok(await error.isVisible());
  assert.match(await error.innerText(), /label/i);
  assert.equal(await label.getAttribute("aria-invalid"), "true");
  assert.match(await label.getAttribute("aria-describedby"), /\blabel-error\b/);
  // Beside the field: inside the label's own .field group, right under it.
  assert.ok(await error.evaluate((e) => e.closest(".field") === document.getElementById("label").closest(".field")));
  assert.equal(await label.inputValue(), "   ");
  assert.equal(await page.locator("#expires_in_hours option:checked").innerText(), "90 days");
  const checked = await page.locator("input[name=scopes]:checked").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(checked, ["tokens:read", "tokens:write"]);
  assert.equal(await page.locator("tr[data-token-id]").count(), 0, "nothing was created");

  // No scope at all: the message sits with the scopes, the label is kept.
  await generateToken(page, { label: "no scopes", scopes: [] });
  assert.ok(await page.locator("#scopes-error").isVisible());
  assert.equal(await page.locator("#label").inputValue(), "no scopes");
  assert.equal(await page.locator("#label-error").count(), 0);
});

test("a plain user is not offered admin scopes", async (t) => {
  const { server, page } = await open(t);
  const { createUser } = require("../lib/harness");
  const password = await createUser(server, "dana");
  await signIn(page, "dana", password);
  const offered = await page.locator("input[name=scopes]").evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(offered, ["profile:read", "profile:write", "tokens:read", "tokens:write"]);
});
