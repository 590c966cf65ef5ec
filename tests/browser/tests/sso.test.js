// Single sign-on in Chromium, through a real OpenID provider (oidc-provider,
// tests/oidc/provider.js, started by scripts/oidc.sh): its own login and
// consent pages, then Account Preferences; the same person again after the
// provider renamed them and took them out of the admin group.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync } = require("node:child_process");
const net = require("node:net");
const path = require("node:path");
const fs = require("node:fs");
const { REPO, SCREENSHOTS, TOKEN_RE, useChromium, generateToken, closeReveal, axeViolations, inBothSchemes } = require("../lib/harness");

const open = useChromium();
const ADMINS = "tessera-admins";

/**
 * The provider's URL: TEST_OIDC_URL, else what scripts/oidc.sh starts. Without
 * one the test is skipped loudly, and fails when CI=true.
 */
function provider(t) {
  if (process.env.TEST_OIDC_URL) return process.env.TEST_OIDC_URL;
  try {
    const url = execFileSync(path.join(REPO, "scripts", "oidc.sh"), { stdio: ["ignore", "pipe", "inherit"] })
      .toString()
      .trim();
    process.env.TEST_OIDC_URL = url;
    return url;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    console.error(`\n!!! SKIP: the OpenID provider did not start (scripts/oidc.sh): ${err.message}\n`);
    t.skip("no OpenID provider");
    return null;
  }
}

/** A port nobody listens on now: the server's address must be in its settings. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A server's settings for signing in through `base`, on a port chosen now. */
async function ssoServer(base, more) {
  const port = await freePort();
  const env = {
    TESSERA_OIDC_ISSUER: base,
    TESSERA_OIDC_CLIENT_ID: "tessera",
    TESSERA_OIDC_CLIENT_SECRET: "tessera-test-secret",
    TESSERA_PUBLIC_URL: `http://127.0.0.1:${port}`,
    TESSERA_OIDC_NAME: "Test IdP",
    ...more,
  };
  return { port, env };
}

/** Adds or changes a person at the provider. */
async function atProvider(base, login, claims) {
  const res = await fetch(`${base}/test/users`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login, claims }),
  });
  assert.equal(res.status, 200);
}

/** "Sign in with ..." and the provider's pages, as a person goes through them. */
async function ssoSignIn(page, login) {
  await page.goto("/login");
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  for (let step = 0; step < 5; step++) {
    await page.waitForLoadState();
    if (new URL(page.url()).pathname === "/profile") return;
    if (await page.locator("input[name=login]").count()) {
      await page.fill("input[name=login]", login);
      await page.fill("input[name=password]", "anything");
      await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    } else if (await page.getByRole("button", { name: "Continue" }).count()) {
      await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Continue" }).click()]);
    } else {
      throw new Error(`stuck at ${page.url()}: ${await page.content()}`);
    }
  }
  throw new Error(`never reached Account Preferences: ${page.url()}`);
}

test("sign in through the provider, use tessera, and come back renamed and no longer an admin", async (t) => {
  const base = provider(t);
  if (!base) return;
  const { page, context, server } = await open(t, {}, await ssoServer(base, { TESSERA_OIDC_ADMIN_GROUP: ADMINS }));
  const login = `b${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  await atProvider(base, login, { preferred_username: "margaret", name: "Margaret Hamilton", groups: [ADMINS] });

  await page.goto("/login");
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, "login-sso-and-password.png") });
  await ssoSignIn(page, login);
  assert.equal(await page.title(), "Account Preferences · tessera");
  assert.match(await page.locator(".flash-success").innerText(), /Signed in as margaret/);
  assert.equal(await page.locator("#profile-username").innerText(), "margaret");
  assert.equal(await page.locator(".nav-name").innerText(), "Margaret Hamilton");
  const accountId = (await page.locator("#profile-account-id").innerText()).trim();
  assert.ok(await page.getByRole("link", { name: "Admin" }).isVisible(), "the admin group makes an admin");

  await generateToken(page, { label: "from SSO" });
  const secret = (await page.locator("#token-secret").innerText()).trim();
  assert.match(secret, TOKEN_RE);
  const res = await fetch(`${server.url}/profile.json`, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal((await res.json()).account_id, accountId, "the token is the SSO account's");
  await closeReveal(page);
  await Promise.all([page.waitForURL("**/login"), page.getByRole("button", { name: "Sign out", exact: true }).click()]);

  // Renamed at the provider and out of the admin group; a new browser
  // profile, so the provider asks again.
  await atProvider(base, login, { preferred_username: "maggie", groups: ["staff"] });
  await context.clearCookies();
  await ssoSignIn(page, login);
  assert.equal((await page.locator("#profile-account-id").innerText()).trim(), accountId, "the same account");
  assert.equal(await page.locator("#profile-username").innerText(), "margaret", "the username stays");
  assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0, "admin is gone");
  assert.ok(await page.getByText("from SSO").first().isVisible(), "the token made before is there");
  await page.goto("/admin/users");
  assert.equal(new URL(page.url()).pathname, "/admin/users");
  assert.match(await page.locator("h1").innerText(), /Not allowed/);
});

test("with passwords turned off the sign-in page only offers the provider", async (t) => {
  const base = provider(t);
  if (!base) return;
  const { page } = await open(t, {}, await ssoServer(base, { TESSERA_PASSWORD_LOGIN: "false" }));
  await page.goto("/login");
  assert.ok(await page.getByRole("link", { name: "Sign in with Test IdP" }).isVisible());
  assert.equal(await page.locator("input[name=password]").count(), 0);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, "login-sso-only.png") });
  await assertAccessible(page, "/login with single sign-on only");

  // A sign-in that went wrong (here: nobody started it) is a page that
  // says so and leads back.
  await page.goto("/login/oidc/callback?code=x&state=y");
  assert.equal(await page.locator("h1").innerText(), "Sign-in expired");
  await assertAccessible(page, "the refused sign-in page");
  await Promise.all([page.waitForURL("**/login"), page.click("#back-to-login")]);
});

/** No serious or critical axe-core finding, in light and dark. */
async function assertAccessible(page, what) {
  await inBothSchemes(page, async (colorScheme) => {
    const bad = (await axeViolations(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.join("; ")}`), [], `${what} in ${colorScheme}`);
  });
}
