import type { Dispatcher } from "undici";
import { type ClientAuthChoice, isInvalidClient } from "../../oauth2/index.js";
import type { BudgetSignal } from "../budget.js";
import { ScrapeFailure } from "../failure.js";
import {
  requestClientCredentialsToken,
  TokenEndpointError,
  type TokenGrant,
  type TokenRequest,
} from "./token-request.js";
import type { OutboundAuthenticator } from "./types.js";

/** Renew this long before the token expires (Java's margin). */
const RENEW_MARGIN_MS = 30_000;
/** Lifetime assumed when the token service gives no expires_in (Java's reuse cap). */
const DEFAULT_LIFETIME_MS = 10 * 60_000;

export interface ClientCredentialsOptions {
  label: string;
  token: TokenRequest;
  /** How the secret is sent (absent for the certificate variant), remembered across token requests. */
  clientAuth?: ClientAuthChoice;
  /** Closed with the authenticator (the certificate variant owns a client-certificate agent). */
  ownedDispatcher?: Dispatcher;
  /** epoch ms; injectable so expiry can be tested without waiting. */
  clock: () => number;
}

interface CachedToken {
  header: string;
  renewAt: number;
}

/**
 * OAuth2XSUAABasic / OAuth2XSUAACertificate: a client-credentials token, cached until shortly before it
 * expires, with at most one token request in flight however many scrapes wait for it.
 */
export class ClientCredentialsAuthenticator implements OutboundAuthenticator {
  readonly label: string;
  private cached: CachedToken | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.label = options.label;
  }

  authorization(signal: BudgetSignal): string | Promise<string> {
    const cached = this.cached;
    if (cached && this.options.clock() < cached.renewAt) return cached.header;
    if (!this.inFlight) {
      const pending = this.fetchToken().finally(() => {
        if (this.inFlight === pending) this.inFlight = undefined;
      });
      // Waiters may all give up before it settles; the failure is reported to them, not left unhandled.
      pending.catch(() => {});
      this.inFlight = pending;
    }
    return abortable(this.inFlight, signal);
  }

  rejected(sentHeader: string | undefined): boolean {
    if (sentHeader !== undefined && this.cached?.header === sentHeader) this.cached = undefined;
    return true;
  }

  async close(): Promise<void> {
    this.cached = undefined;
    await this.options.ownedDispatcher?.close();
  }

  private async fetchToken(): Promise<string> {
    let grant: TokenGrant;
    try {
      grant = await this.requestToken();
    } catch (err) {
      const reason = err instanceof ScrapeFailure ? err.reason : String(err);
      throw new ScrapeFailure("auth", `no token for authenticator ${this.label}: ${reason}`);
    }
    const lifetime = grant.expiresIn !== undefined ? grant.expiresIn * 1000 : DEFAULT_LIFETIME_MS;
    const header = `Bearer ${grant.accessToken}`;
    // Short-lived tokens: renew at half their life rather than never reusing them.
    const margin = Math.min(RENEW_MARGIN_MS, lifetime / 2);
    this.cached = { header, renewAt: this.options.clock() + lifetime - margin };
    return header;
  }

  /** One token request; with `invalid_client`, once more with the other client authentication method. */
  private requestToken(): Promise<TokenGrant> {
    const { clientAuth, token } = this.options;
    if (!clientAuth) return requestClientCredentialsToken(token);
    return clientAuth.request(
      (method) => requestClientCredentialsToken({ ...token, clientAuth: method }),
      (err) => err instanceof TokenEndpointError && isInvalidClient(err.status, err.error),
    );
  }
}

/** Waits for `promise`, but rejects with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: BudgetSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
