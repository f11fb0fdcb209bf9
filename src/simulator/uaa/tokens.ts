import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { deriveGuid, randomGuid } from "../guid.js";

export interface TokenClaims {
  jti: string;
  sub: string;
  user_id?: string;
  user_name?: string;
  client_id: string;
  cid: string;
  scope: string[];
  grant_type: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string[];
  zid: string;
  /** Millisecond expiry, so tests can use sub-second lifetimes while `exp` stays a JWT NumericDate. */
  sim_exp_ms: number;
  /** Revocation generation the token was issued in. */
  sim_gen: number;
  sim_kind: "access" | "refresh";
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
  scope: string[];
  jti: string;
}

export type RefreshCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: "invalid" | "expired"; expiredAt?: Date };

const USER_SCOPES = [
  "openid",
  "cloud_controller.read",
  "cloud_controller.write",
  "network.admin",
  "network.write",
  "password.write",
  "uaa.user",
];
const CLIENT_SCOPES = ["cloud_controller.read", "cloud_controller.admin_read_only"];
const REFRESH_LIFETIME_MS = 30 * 24 * 3600 * 1000;

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * Issues and checks JWT-shaped tokens signed with a per-simulator HMAC key. Stateless apart from a
 * generation counter: revoking bumps the generation and every older token stops validating.
 */
export class TokenIssuer {
  private readonly key = randomBytes(32);
  private generation = 0;

  constructor(
    private readonly issuer: string,
    private readonly lifetimeMs: () => number,
  ) {}

  issue(subject: {
    clientId: string;
    userName?: string;
    grantType: string;
    withRefresh: boolean;
  }): IssuedTokens {
    const now = Date.now();
    const lifetime = this.lifetimeMs();
    const scope = subject.userName ? USER_SCOPES : CLIENT_SCOPES;
    const userId = subject.userName ? deriveGuid("user", subject.userName) : undefined;
    const base = {
      sub: userId ?? subject.clientId,
      ...(userId ? { user_id: userId, user_name: subject.userName } : {}),
      client_id: subject.clientId,
      cid: subject.clientId,
      scope,
      grant_type: subject.grantType,
      iat: Math.floor(now / 1000),
      iss: this.issuer,
      zid: "uaa",
      sim_gen: this.generation,
    };
    const jti = randomGuid().replaceAll("-", "");
    const access: TokenClaims = {
      ...base,
      jti,
      aud: subject.userName
        ? ["cloud_controller", "openid", "network", "password", "uaa"]
        : [subject.clientId, "cloud_controller"],
      exp: Math.floor((now + lifetime) / 1000),
      sim_exp_ms: now + lifetime,
      sim_kind: "access",
    };
    const result: IssuedTokens = {
      accessToken: this.sign(access),
      expiresIn: Math.max(0, Math.round(lifetime / 1000) - 1),
      scope,
      jti,
    };
    if (subject.withRefresh) {
      const refresh: TokenClaims = {
        ...base,
        jti: `${jti}-r`,
        aud: access.aud,
        exp: Math.floor((now + REFRESH_LIFETIME_MS) / 1000),
        sim_exp_ms: now + REFRESH_LIFETIME_MS,
        sim_kind: "refresh",
      };
      result.refreshToken = this.sign(refresh);
    }
    return result;
  }

  /** Claims of a valid, unexpired, unrevoked access token; undefined otherwise. */
  verifyAccess(token: string): TokenClaims | undefined {
    const claims = this.decode(token);
    if (claims?.sim_kind !== "access" || claims.sim_gen !== this.generation) return undefined;
    return claims.sim_exp_ms > Date.now() ? claims : undefined;
  }

  verifyRefresh(token: string): RefreshCheck {
    const claims = this.decode(token);
    if (claims?.sim_kind !== "refresh" || claims.sim_gen !== this.generation) {
      return { ok: false, reason: "invalid" };
    }
    if (claims.sim_exp_ms <= Date.now())
      return { ok: false, reason: "expired", expiredAt: new Date(claims.sim_exp_ms) };
    return { ok: true, claims };
  }

  revokeAll(): void {
    this.generation++;
  }

  private sign(claims: TokenClaims): string {
    const head = b64url(JSON.stringify({ alg: "HS256", kid: "sim-key-1", typ: "JWT" }));
    const body = b64url(JSON.stringify(claims));
    const sig = createHmac("sha256", this.key).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${sig}`;
  }

  private decode(token: string): TokenClaims | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const expected = createHmac("sha256", this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as TokenClaims;
    } catch {
      return undefined;
    }
  }
}
