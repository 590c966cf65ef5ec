// Signing in and out.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert/strict");
const { useChromium, signIn } = require("../lib/harness");

const open = useChromium();

test("a wrong password shows the error and keeps the username", async (t) => {
  const { page } = await open(t);
  await page.goto("/login");
  assert.ok(await page.evaluate(() => document.activeElement?.id === "username"), "the username field has focus");
  await page.fill("#username", "admin");
  await page.fill("#password", "not-the-password");
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.click("button[type=submit]"),
  ]);
  assert.equal(response.status(), 401);
  const error = page.locator("#login-error");
  assert.ok(await error.isVisible());
  assert.equal(await error.innerText(), "Incorrect username or password.");
  assert.equal(await error.getAttribute("role"), "alert");
  assert.equal(await page.locator("#username").inputValue(), "admin");
  assert.equal(await page.locator("#password").inputValue(), "", "the password is never sent back");
  assert.match(await page.locator("#username").getAttribute("aria-describedby"), /login-error/);
});

test("an empty form asks for both fields", async (t) => {
  const { page } = await open(t);
  await page.goto("/login");
  // The fields are `required`; skip the browser's own check to reach the server's.
  await page.locator("form").evaluate((f) => f.setAttribute("novalidate", ""));
  await page.click("button[type=submit]");
  assert.equal(await page.locator("#login-error").innerText(), "Enter your username and password.");
});

test("pages need a session, and signing out ends it", async (t) => {
  const { server, page } = await open(t);
  await page.goto("/profile");
  assert.equal(new URL(page.url()).pathname, "/login");

  await signIn(page, "admin", server.password);
  assert.equal(
    await page.locator(".nav-name").innerText(),
    await page.locator("#profile-display-name").innerText(),
    "the top bar names who is signed in",
  );
  await Promise.all([page.waitForURL("**/login"), page.getByRole("button", { name: "Sign out", exact: true }).click()]);
  await page.goto("/profile");
  assert.equal(new URL(page.url()).pathname, "/login", "the old session is gone");
});
