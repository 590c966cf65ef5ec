// Account Preferences' own sections (SPEC §10) in a real browser: details,
// password, sessions, preferences, and the admin's password reset; each
// state audited with axe in light and dark, and photographed.
"use strict";

const { test, before } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { SCREENSHOTS, useChromium, inBothSchemes, signIn, createUser, axeViolations, launchBrowser } = require("../lib/harness");

const open = useChromium();
before(() => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

/** No serious or critical axe violation, light and dark; a screenshot of each. */
async function check(t, page, name) {
  await inBothSchemes(page, async (colorScheme) => {
    const bad = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.join("; ")}`), [], `${name} in ${colorScheme}`);
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true, animations: "disabled" });
  });
}

/** Sends the form `selector` and waits for the page it leads to. */
async function send(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type=submit]`)]);
}

test("details: the display name at once, a bad address named beside its field", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.fill("#display_name", "Ada Lovelace");
  await page.fill("#email", "");
  await send(page, "#details-form");
  assert.equal((await page.locator("#profile-display-name").innerText()).trim(), "Ada Lovelace");
  assert.match(await page.locator("#email-help").innerText(), /Verification is disabled/);
  await page.fill("#email", "not an address");
  await send(page, "#details-form");
  assert.match(await page.locator("#email-error").innerText(), /not an email address/);
  assert.equal(await page.locator("#email").getAttribute("aria-invalid"), "true");
  await check(t, page, "prefs-details-error");
});

test("password: a wrong current password is named; a right one changes it", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.fill("#current_password", "wrong password");
  await page.fill("#new_password", "a brand new password");
  await page.fill("#confirm_password", "a brand new password");
  await send(page, "#password-form");
  assert.match(await page.locator("#current_password-error").innerText(), /not right/);
  await check(t, page, "prefs-password-error");
  await page.fill("#current_password", server.password);
  await page.fill("#new_password", "a brand new password");
  await page.fill("#confirm_password", "a brand new password");
  await send(page, "#password-form");
  assert.match(await page.locator(".flash").first().innerText(), /Password changed/);
});

test("sessions: this one marked, the others signed out with one button", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  // A second browser signs in as the same account.
  const other = await launchBrowser();
  t.after(() => other.close());
  const otherPage = await (await other.newContext({ baseURL: server.url })).newPage();
  await signIn(otherPage, "admin", server.password);
  await page.goto("/profile");
  assert.equal(await page.locator("tr[data-session-id]").count(), 2);
  assert.equal(await page.locator("tr.current-session").count(), 1);
  await check(t, page, "prefs-sessions");
  await send(page, "form[action='/profile/sessions/delete-others']");
  assert.equal(await page.locator("tr[data-session-id]").count(), 1);
  await otherPage.goto("/profile");
  assert.match(otherPage.url(), /\/login$/, "the other browser is signed out");
});

test("preferences: times shown in the chosen zone, with its abbreviation", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  assert.match(await page.locator("tr[data-session-id] .when-time").first().innerText(), /UTC$/);
  await page.fill("#time_zone", "Asia/Tokyo");
  await page.selectOption("#language", "nl");
  await send(page, "#preferences-form");
  assert.match(await page.locator("tr[data-session-id] .when-time").first().innerText(), /JST$/);
  assert.equal((await page.locator("#profile-time-zone").innerText()).trim(), "Asia/Tokyo");
  assert.equal(await page.locator("#language").inputValue(), "nl");
  assert.equal(await page.locator("fieldset.notices").getAttribute("disabled"), "", "no mail: disabled");
  await page.fill("#time_zone", "Mars/Olympus_Mons");
  await send(page, "#preferences-form");
  // Nederlands was chosen above: the field's message is Dutch.
  assert.match(await page.locator("#time-zone-error").innerText(), /onbekende tijdzone/i);
  await check(t, page, "prefs-preferences-error");
  await page.setViewportSize({ width: 390, height: 844 });
  await check(t, page, "prefs-phone");
});

test("language: Nederlands once chosen, English again after; both pass axe", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  // Chromium asks for en-US: English until a language is chosen.
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  await page.selectOption("#language", "nl");
  await send(page, "#preferences-form");
  assert.equal(await page.locator("html").getAttribute("lang"), "nl");
  assert.equal((await page.locator("h1.page-title").innerText()).trim(), "Accountvoorkeuren");
  assert.equal((await page.locator("#sessions-title").innerText()).trim(), "Sessies");
  assert.match(await page.locator(".flash").first().innerText(), /Voorkeuren opgeslagen/);
  assert.equal(await page.title(), "Accountvoorkeuren · tessera");
  await check(t, page, "prefs-dutch");
  await page.click("#generate summary");
  await check(t, page, "prefs-dutch-generate");
  // The admin area speaks the admin's language too.
  await page.goto("/admin/users");
  assert.equal(await page.locator("html").getAttribute("lang"), "nl");
  assert.equal((await page.locator(".admin-nav a[aria-current=page]").innerText()).trim(), "Gebruikers");
  await check(t, page, "admin-users-dutch");
  await page.goto("/admin/audit");
  assert.equal((await page.locator(".admin-nav a[aria-current=page]").innerText()).trim(), "Auditlog");
  await check(t, page, "admin-audit-dutch");
  await page.goto("/profile");
  await page.selectOption("#language", "en");
  await send(page, "#preferences-form");
  assert.equal(await page.locator("html").getAttribute("lang"), "en");
  assert.equal((await page.locator("h1.page-title").innerText()).trim(), "Account Preferences");
  await check(t, page, "prefs-english");
});

test("admin: a reset password is shown once, then changed at sign-in", async (t) => {
  const { server, page, context } = await open(t);
  await createUser(server, "grace");
  await signIn(page, "admin", server.password);
  await page.goto("/admin/users");
  await page.click("a:text-is('grace')");
  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForNavigation(), page.click("#reset-password")]);
  const dialog = page.locator("dialog#password-reveal");
  await dialog.waitFor({ state: "visible" });
  const oneTime = (await page.locator("#initial-password").innerText()).trim();
  await check(t, page, "admin-password-reset");
  await context.clearCookies();
  await page.goto("/login");
  await page.fill("input[name=username]", "grace");
  await page.fill("input[name=password]", oneTime);
  await Promise.all([page.waitForURL("**/profile/password"), page.click("button[type=submit]")]);
  await page.locator("#password-forced").waitFor();
  await check(t, page, "prefs-password-forced");
  await page.fill("#current_password", oneTime);
  await page.fill("#new_password", "grace's own password");
  await page.fill("#confirm_password", "grace's own password");
  await Promise.all([page.waitForURL("**/profile"), page.click("#password-form button[type=submit]")]);
});
