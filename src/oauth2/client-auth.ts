/**
 * OAuth2 client authentication at a token endpoint (RFC 6749 §2.3.1), by the names of RFC 7591 §2:
 * `client_secret_basic` (HTTP Basic; every server must support it) and `client_secret_post` (id and secret in
 * the form body; optional for servers). Some token services accept only one of them and answer the other with
 * 401 `invalid_client`.
 */

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post";

/**
 * A config value: one method pinned, or `auto` (try Basic, switch once on `invalid_client`, keep what worked;
 * after both were refused, Basic only).
 */
export type ClientAuthSetting = ClientAuthMethod | "auto";

export const CLIENT_AUTH_SETTINGS: readonly ClientAuthSetting[] = [
  "auto",
  "client_secret_basic",
  "client_secret_post",
];

/**
 * `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B), which §2.3.1 requires for
 * the id and secret before they are joined with ":" into the Basic credentials.
 */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** `Basic base64(urlencode(id):urlencode(secret))`. */
export function basicClientAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
}

/** Adds the client credentials to a token request in the given way. */
export function applyClientAuth(
  method: ClientAuthMethod,
  client: { id: string; secret: string },
  headers: Record<string, string>,
  form: URLSearchParams,
): void {
  if (method === "client_secret_basic") {
    headers.authorization = basicClientAuthorization(client.id, client.secret);
    form.delete("client_secret");
  } else {
    delete headers.authorization;
    form.set("client_id", client.id);
    form.set("client_secret", client.secret);
  }
}

/** Whether a token endpoint's answer says the client authentication failed (RFC 6749 §5.2). */
export function isInvalidClient(status: number, error: string | undefined): boolean {
  // UAA answers a bad client secret with 401 "unauthorized" and WWW-Authenticate: Basic realm="UAA/client".
  return error === "invalid_client" || (status === 401 && (error === undefined || error === "unauthorized"));
}

/**
 * Which method to use next for one client. With `auto`, Basic is tried first (servers must support it); after
 * `invalid_client` the other method is tried at once, and whichever is accepted is kept. The switch happens
 * once: when the other method is refused too, the credentials (not the method) are wrong, and every later
 * request uses Basic only. A token service may lock a client after a few refused requests (UAA's
 * CommonLoginPolicy counts "both user login and client credential authentication"), so a wrong secret must
 * not cost two refusals per token request.
 */
export class ClientAuthChoice {
  private current: ClientAuthMethod;
  /** No switching any more: the method was configured, was accepted, or both were refused once. */
  private settled: boolean;
  /** `auto` switched from its first method, which is where it returns after both were refused. */
  private switchedFrom?: ClientAuthMethod;

  constructor(setting: ClientAuthSetting = "auto") {
    this.current = setting === "auto" ? "client_secret_basic" : setting;
    this.settled = setting !== "auto";
  }

  /** The method for the first attempt of a token request. */
  method(): ClientAuthMethod {
    return this.current;
  }

  /**
   * The token endpoint refused `method` as `invalid_client`: the method to try at once, or undefined when
   * no switch is left (a pinned method, or the switch already made). After both methods were refused, the
   * first one is used from now on.
   */
  refused(method: ClientAuthMethod): ClientAuthMethod | undefined {
    if (this.settled || method !== this.current) return undefined;
    if (this.switchedFrom) {
      this.current = this.switchedFrom;
      this.settled = true;
      return undefined;
    }
    this.switchedFrom = method;
    this.current = method === "client_secret_basic" ? "client_secret_post" : "client_secret_basic";
    return this.current;
  }

  /** The token endpoint accepted `method`: use it from now on, without switching again. */
  accepted(method: ClientAuthMethod): void {
    this.current = method;
    this.settled = true;
  }

  /**
   * One token request: `attempt` with the current method, and when it fails with what `refusedClient` calls
   * `invalid_client` and the switch is still to be made, once more with the other method (`onSwitch` hears of
   * it). When `switchNow` says no (a cap on refused requests), the switch is made by the next request instead.
   * Remembers what was accepted.
   */
  async request<T>(
    attempt: (method: ClientAuthMethod) => Promise<T>,
    refusedClient: (err: unknown) => boolean,
    options: {
      onSwitch?: (from: ClientAuthMethod, to: ClientAuthMethod) => void;
      switchNow?: () => boolean;
    } = {},
  ): Promise<T> {
    let method = this.current;
    for (;;) {
      try {
        const result = await attempt(method);
        this.accepted(method);
        return result;
      } catch (err) {
        const other = refusedClient(err) ? this.refused(method) : undefined;
        if (!other || options.switchNow?.() === false) throw err;
        options.onSwitch?.(method, other);
        method = other;
      }
    }
  }
}
