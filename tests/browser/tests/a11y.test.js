// Accessibility audit with axe-core: every state of the sign-in page and
// Account Preferences, in light and dark, has no serious or critical
// violation. Lesser findings are printed as diagnostics.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { useChromium, inBothSchemes, signIn, signInWrongly, generateToken, populate, axeViolations, row } = require("../lib/harness");

const open = useChromium();

/** Audits the page as it is now, in both colour schemes. */
async function audit(t, page, what) {
  await inBothSchemes(page, async (colorScheme) => {
    const violations = await axeViolations(page);
    for (const v of violations) {
      t.diagnostic(`${what} (${colorScheme}): ${v.impact} ${v.id}: ${v.help}`);
      for (const node of v.nodes) t.diagnostic(`  ${node}`);
    }
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(
      bad.map((v) => `${v.id}: ${v.nodes.join("; ")}`),
      [],
      `${what} in ${colorScheme} has serious or critical axe violations`,
    );
  });
}

test("axe: the sign-in page, fresh and with an error", async (t) => {
  const { page } = await open(t);
  await page.goto("/login");
  await audit(t, page, "/login");
  await signInWrongly(page);
  await audit(t, page, "/login with an error");
});

test("axe: Account Preferences, empty, with tokens, with the form's errors", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await audit(t, page, "/profile without tokens");
  await populate(page, server);
  await audit(t, page, "/profile with tokens");
  await generateToken(page, { label: "", scopes: [] });
  await page.locator("#label-error").waitFor();
  await audit(t, page, "/profile with the form's errors");
});

test("axe: the one-time reveal dialog", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "audited" });
  await page.locator("dialog#token-reveal").waitFor({ state: "visible" });
  await page.click("button[data-copy='token-secret']");
  await page.locator("button.copied").waitFor();
  await audit(t, page, "/profile with the reveal dialog");
});

test("axe: the dialog and the confirmation page without JavaScript", async (t) => {
  // axe itself needs JavaScript, so the page's own script is what is left
  // out: the DOM is then the one a browser without JavaScript shows.
  const { server, page } = await open(t);
  await page.route("**/static/app.js", (route) => route.abort());
  await signIn(page, "admin", server.password);
  await generateToken(page, { label: "no script" });
  await page.locator("dialog#token-reveal").waitFor({ state: "visible" });
  await audit(t, page, "/profile with the reveal dialog, no JavaScript");
  await Promise.all([page.waitForNavigation(), row(page, "no script").getByRole("button", { name: /^Delete/ }).click()]);
  await audit(t, page, "the delete confirmation page");
});
