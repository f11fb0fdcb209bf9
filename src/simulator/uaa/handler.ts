import type { IncomingMessage, ServerResponse } from "node:http";
import { headerValue, readBody, sendJson } from "../http/util.js";
import { LOCKED_MESSAGE, type UaaPolicy } from "./policy.js";
import type { TokenIssuer } from "./tokens.js";

export interface UaaAccounts {
  users: Map<string, string>;
  /** clientId -> secret; "cf" with an empty secret always exists. */
  clients: Map<string, string>;
  policy: UaaPolicy;
}

/** The cf CLI's public client: password and refresh_token grants only. */
const CF_CLIENT = "cf";
const BODY_ONLY_PARAMS = ["grant_type", "username", "password", "client_secret", "refresh_token"];

function oauthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers = {},
): void {
  sendJson(
    res,
    status,
    { error, error_description: description },
    { "Cache-Control": "no-store", ...headers },
  );
}

function badClient(res: ServerResponse): void {
  oauthError(res, 401, "unauthorized", "Bad credentials", {
    "WWW-Authenticate": 'Basic realm="UAA/client", error="unauthorized", error_description="Bad credentials"',
  });
}

/**
 * Client credentials from the Basic header (preferred, as UAA's filter runs first) or the form body, each only
 * when the policy accepts that method; the public client "cf" is accepted either way.
 */
function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
  policy: UaaPolicy,
): { id: string; secret: string } | undefined {
  const fromHeader = basicClient(req);
  if (fromHeader && (fromHeader.id === CF_CLIENT || policy.accepts("client_secret_basic"))) return fromHeader;
  const id = form.get("client_id");
  if (id === null || (id !== CF_CLIENT && !policy.accepts("client_secret_post"))) return undefined;
  return { id, secret: form.get("client_secret") ?? "" };
}

function basicClient(req: IncomingMessage): { id: string; secret: string } | undefined {
  const auth = headerValue(req, "authorization");
  if (auth && /^basic /i.test(auth)) {
    const decoded = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    // UAA form-decodes the client id and secret of the Basic header (RFC 6749 §2.3.1), "+" included.
    const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, " "));
    try {
      return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** POST <uaa>/oauth/token with the password, client_credentials and refresh_token grants. */
export async function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  accounts: UaaAccounts,
  issuer: TokenIssuer,
): Promise<void> {
  if (req.method !== "POST") {
    oauthError(res, 405, "method_not_allowed", `Request method '${req.method}' is not supported`);
    return;
  }
  if (BODY_ONLY_PARAMS.some((p) => url.searchParams.has(p))) {
    oauthError(res, 406, "invalid_request", "Parameters must be passed in the body of the request");
    return;
  }
  const contentType = headerValue(req, "content-type") ?? "";
  const body = await readBody(req, 64 * 1024);
  if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    oauthError(res, 400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    return;
  }
  const form = new URLSearchParams(body);
  const client = clientCredentials(req, form, accounts.policy);
  if (!client) {
    // Credentials were sent, but not in a way this token endpoint accepts (RFC 6749 §5.2).
    oauthError(res, 401, "invalid_client", "Client authentication failed");
    return;
  }
  if (accounts.clients.get(client.id) !== client.secret) {
    badClient(res);
    return;
  }
  const grant = form.get("grant_type");
  const send = (tokens: ReturnType<TokenIssuer["issue"]>) =>
    sendJson(
      res,
      200,
      {
        access_token: tokens.accessToken,
        token_type: "bearer",
        ...(tokens.refreshToken ? { refresh_token: tokens.refreshToken } : {}),
        expires_in: tokens.expiresIn,
        scope: tokens.scope.join(" "),
        jti: tokens.jti,
      },
      { "Cache-Control": "no-store", Pragma: "no-cache" },
    );
  switch (grant) {
    case "password": {
      const username = form.get("username") ?? "";
      const password = form.get("password") ?? "";
      if (accounts.policy.isLocked(username)) {
        oauthError(res, 401, "unauthorized", LOCKED_MESSAGE);
        return;
      }
      if (!accounts.users.has(username) || accounts.users.get(username) !== password) {
        accounts.policy.loginFailed(username);
        oauthError(res, 401, "invalid_client", "Bad credentials");
        return;
      }
      send(
        issuer.issue({ clientId: client.id, userName: username, grantType: "password", withRefresh: true }),
      );
      return;
    }
    case "client_credentials": {
      if (client.id === CF_CLIENT) {
        oauthError(res, 401, "invalid_client", "Unauthorized grant type: client_credentials");
        return;
      }
      send(issuer.issue({ clientId: client.id, grantType: "client_credentials", withRefresh: false }));
      return;
    }
    case "refresh_token": {
      const check = issuer.verifyRefresh(form.get("refresh_token") ?? "");
      if (!check.ok) {
        const text =
          check.reason === "expired"
            ? `Invalid refresh token expired at ${check.expiredAt?.toUTCString()}`
            : "Invalid refresh token.";
        oauthError(res, 401, "invalid_token", text);
        return;
      }
      if (check.claims.client_id !== client.id) {
        oauthError(res, 400, "invalid_grant", `Wrong client for this refresh token: ${client.id}`);
        return;
      }
      const userName = check.claims.user_name;
      if (userName && !accounts.users.has(userName)) {
        oauthError(res, 401, "invalid_token", "Invalid refresh token.");
        return;
      }
      send(issuer.issue({ clientId: client.id, userName, grantType: "refresh_token", withRefresh: true }));
      return;
    }
    case null:
      oauthError(res, 400, "invalid_request", "Missing grant type");
      return;
    default:
      oauthError(res, 400, "unsupported_grant_type", `Unsupported grant type: ${grant}`);
  }
}
