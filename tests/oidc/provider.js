// The OpenID providers tessera's single sign-on tests sign in through,
// on one port (OIDC_PORT, default 9410), started once per test run by
// scripts/oidc.sh:
//
// - /            a real provider (oidc-provider 9) with one client,
//                `tessera`, and the users the tests add; people sign in and
//                consent on its own pages (its development interactions).
// - /bad/MODE    a small issuer of its own that answers every sign-in at
//                once with an ID token that is wrong in one way (MODE), for
//                the checks tessera must make: wrong-issuer, wrong-nonce,
//                expired, unknown-key, wrong-audience, token-error; `ok`
//                is the same issuer answering correctly.
// - /test/users  (test only) POST {login, claims} adds or changes a user.
//
// Never expose this: it signs anyone in who types a known login.
import * as http from "node:http";
import { randomBytes, createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";
import * as jose from "jose";

const port = Number(process.env.OIDC_PORT || 9410);
const base = `http://127.0.0.1:${port}`;
// The running provider says which script it is, so scripts/oidc.sh can
// replace one left over from an older version.
const version = createHash("sha256")
  .update(readFileSync(new URL(import.meta.url)))
  .digest("hex")
  .slice(0, 16);

// login -> claims. The tests add their own users (with names of their
// own), so tests running at once never change each other's.
const users = new Map();
users.set("admin-demo", {
  sub: "admin-demo",
  preferred_username: "admin-demo",
  name: "Admin Demo",
  email: "admin-demo@example.test",
  email_verified: true,
  groups: ["tessera-admins"],
});
users.set("user-demo", {
  sub: "user-demo",
  preferred_username: "user-demo",
  name: "User Demo",
  email: "user-demo@example.test",
  email_verified: false,
  groups: ["staff"],
});

const signingKey = await jose.generateKeyPair("RS256", { extractable: true });
const publicJwk = { ...(await jose.exportJWK(signingKey.publicKey)), kid: "fake-1", alg: "RS256", use: "sig" };
const strangerKey = await jose.generateKeyPair("RS256", { extractable: true });
const providerJwk = { ...(await jose.exportJWK((await jose.generateKeyPair("RS256", { extractable: true })).privateKey)), kid: "real-1", alg: "RS256", use: "sig" };

const provider = new Provider(base, {
  clients: [
    {
      client_id: "tessera",
      client_secret: "tessera-test-secret",
      // A native client's loopback redirect may use any port (RFC 8252
      // §7.3): each test server listens on a port of its own.
      application_type: "native",
      redirect_uris: ["http://127.0.0.1/login/oidc/callback"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [providerJwk] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username", "groups"],
    email: ["email", "email_verified"],
  },
  // Put the profile claims into the ID token, as Keycloak, Entra and
  // Google do; tessera reads the ID token only.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Interaction: 600, Session: 600, Grant: 600 },
  async findAccount(ctx, id) {
    const claims = users.get(id);
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ ...claims, sub: claims.sub }) };
  },
});
provider.on("server_error", (ctx, err) => console.error("provider error", err));

// --- the misbehaving issuer -------------------------------------------------

const codes = new Map();

async function fake(req, res, mode, rest) {
  const issuer = `${base}/bad/${mode}`;
  const json = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (rest === "/.well-known/openid-configuration") {
    return json(200, {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    });
  }
  if (rest === "/jwks") return json(200, { keys: [publicJwk] });
  const url = new URL(req.url, base);
  if (rest === "/auth") {
    const code = randomBytes(16).toString("hex");
    codes.set(code, { nonce: url.searchParams.get("nonce"), clientId: url.searchParams.get("client_id") });
    const back = new URL(url.searchParams.get("redirect_uri"));
    back.searchParams.set("code", code);
    back.searchParams.set("state", url.searchParams.get("state"));
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (rest === "/token" && req.method === "POST") {
    let body = "";
    for await (const chunk of req) body += chunk;
    const params = new URLSearchParams(body);
    const grant = codes.get(params.get("code"));
    codes.delete(params.get("code"));
    if (!grant) return json(400, { error: "invalid_grant" });
    if (mode === "token-error") {
      res.writeHead(500, { "content-type": "text/html" });
      return res.end("<h1>Internal Server Error</h1>");
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: mode === "wrong-issuer" ? `${base}/elsewhere` : issuer,
      aud: mode === "wrong-audience" ? "someone-else" : grant.clientId,
      sub: `fake-${mode}`,
      preferred_username: `fake-${mode}`,
      nonce: mode === "wrong-nonce" ? "not-the-nonce" : grant.nonce,
      iat: mode === "expired" ? now - 7200 : now,
      exp: mode === "expired" ? now - 3600 : now + 300,
    };
    const key = mode === "unknown-key" ? strangerKey.privateKey : signingKey.privateKey;
    const idToken = await new jose.SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "fake-1" })
      .sign(key);
    return json(200, { access_token: randomBytes(16).toString("hex"), token_type: "Bearer", expires_in: 300, id_token: idToken });
  }
  return json(404, { error: "not_found" });
}

// --- test-only administration ----------------------------------------------

async function admin(req, res) {
  if (req.method === "GET" && req.url === "/test/version") {
    res.writeHead(200, { "content-type": "text/plain" });
    return res.end(version);
  }
  if (req.method === "POST" && req.url === "/test/users") {
    let body = "";
    for await (const chunk of req) body += chunk;
    let login, claims;
    try {
      ({ login, claims } = JSON.parse(body));
    } catch {
      res.writeHead(400);
      return res.end("JSON {login, claims} expected");
    }
    if (typeof login !== "string" || typeof claims !== "object" || claims === null) {
      res.writeHead(400);
      return res.end("JSON {login, claims} expected");
    }
    users.set(login, { sub: login, ...users.get(login), ...claims });
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify(users.get(login)));
  }
  res.writeHead(404);
  res.end();
}

const handler = provider.callback();
const server = http.createServer((req, res) => {
  const bad = /^\/bad\/([a-z-]+)(\/.*)$/.exec(req.url.split("?")[0]);
  if (bad) return fake(req, res, bad[1], bad[2]).catch((e) => { console.error(e); res.writeHead(500); res.end(); });
  if (req.url.startsWith("/test/")) return admin(req, res);
  return handler(req, res);
});
server.listen(port, "127.0.0.1", () => {
  console.log(`oidc test provider ${version} on ${base}`);
});
