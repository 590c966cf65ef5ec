// Screenshots for people to look at, light and dark, in target/screenshots/:
// the sign-in page, Account Preferences with several tokens, the open
// generate form, the one-time reveal dialog, and the page on a phone.
"use strict";

const { test, before } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { SCREENSHOTS, useChromium, inBothSchemes, signIn, signInWrongly, generateToken, populate } = require("../lib/harness");

const open = useChromium();
before(() => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

async function shoot(t, page, name, options = {}) {
  await inBothSchemes(page, async (colorScheme) => {
    const file = path.join(SCREENSHOTS, `${name}-${colorScheme}.png`);
    await page.screenshot({ path: file, animations: "disabled", caret: "hide", ...options });
    assert.ok(fs.statSync(file).size > 5000, `${file} is not empty`);
    t.diagnostic(file);
  });
}

test("screenshots: the sign-in page", async (t) => {
  const { page } = await open(t);
  await page.goto("/login");
  await shoot(t, page, "login");
  await signInWrongly(page);
  await shoot(t, page, "login-error");
});

test("screenshots: Account Preferences with tokens, the form, the dialog", async (t) => {
  const { server, page } = await open(t);
  await signIn(page, "admin", server.password);
  await page.goto("/profile");
  await shoot(t, page, "profile-empty");
  await populate(page, server);
  await shoot(t, page, "profile", { fullPage: true });

  await page.click("details#generate > summary");
  await page.fill("#label", "Terraform");
  await page.locator("#label").blur();
  await shoot(t, page, "profile-form", { fullPage: true });
  await generateToken(page, { label: "", scopes: [] });
  await shoot(t, page, "profile-form-errors", { fullPage: true });

  await generateToken(page, { label: "Staging deploy", expiry: "30 days", scopes: ["profile:read", "tokens:read"] });
  await page.locator("dialog#token-reveal").waitFor({ state: "visible" });
  await page.click("button[data-copy='token-secret']");
  await shoot(t, page, "reveal-dialog");

  await page.setViewportSize({ width: 390, height: 844 });
  await shoot(t, page, "reveal-dialog-phone");
  await page.keyboard.press("Escape");
  await shoot(t, page, "profile-phone", { fullPage: true });
});
