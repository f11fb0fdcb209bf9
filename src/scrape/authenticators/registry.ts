import { createSecureContext } from "node:tls";
import { Agent, type Dispatcher } from "undici";
import type { AuthenticatorConfig, PromregatorConfig } from "../../config/index.js";
import type { DiscoveredInstance, ScrapeCredential } from "../../discovery/index.js";
import { errorMessage } from "../../errors.js";
import type { Logger } from "../../log.js";
import { ClientAuthChoice } from "../../oauth2/index.js";
import { ClientCredentialsAuthenticator } from "./oauth2.js";
import {
  BasicAuthenticator,
  CredentialAuthenticator,
  MisconfiguredAuthenticator,
  NoAuthenticator,
} from "./simple.js";
import type { OutboundAuthenticator } from "./types.js";

export interface AuthenticatorDeps {
  scraping: Pick<PromregatorConfig["scraping"], "connectionTimeout" | "maxProcessingTime">;
  logger: Logger;
  clock: () => number;
  /** Trusted CAs for token services (replaces the default trust store; for tests and private CAs). */
  ca?: string | string[];
}

/**
 * All configured outbound authenticators. Selection for an instance: the credentials of its service binding
 * (when the operator allows them), else its target's authenticatorId among targetAuthenticators, else the global
 * `promregator.authenticator`, else none.
 */
export class AuthenticatorRegistry {
  private readonly byId = new Map<string, OutboundAuthenticator>();
  private readonly fallback: OutboundAuthenticator;
  private readonly all: OutboundAuthenticator[] = [];
  /** One authenticator per binding credential object; dropped with the snapshots that hold it. */
  private readonly byCredential = new WeakMap<ScrapeCredential, OutboundAuthenticator>();
  /** Shared by the secret-based token requests; the certificate variant needs its own agent. */
  private readonly tokenAgent: Agent;

  constructor(
    promregator: Pick<PromregatorConfig, "authenticator" | "targetAuthenticators">,
    deps: AuthenticatorDeps,
  ) {
    this.tokenAgent = new Agent({ connect: tlsOptions(deps, {}) });
    for (const cfg of promregator.targetAuthenticators) {
      const label = `"${cfg.id ?? "(no id)"}"`;
      const auth = this.create(cfg, label, deps);
      if (auth && cfg.id !== undefined) this.byId.set(cfg.id, auth);
    }
    const global = promregator.authenticator;
    this.fallback = (global && this.create(global, "(global)", deps)) || new NoAuthenticator();
  }

  forInstance(
    instance: Pick<DiscoveredInstance, "authenticatorId" | "bindingCredential">,
  ): OutboundAuthenticator {
    const credential = instance.bindingCredential;
    if (credential) {
      let auth = this.byCredential.get(credential);
      if (!auth) {
        auth = new CredentialAuthenticator(credential);
        this.byCredential.set(credential, auth);
      }
      return auth;
    }
    const id = instance.authenticatorId;
    return (id !== undefined && this.byId.get(id)) || this.fallback;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.all.map((a) => a.close()), this.tokenAgent.close()]);
  }

  private create(
    cfg: AuthenticatorConfig,
    label: string,
    deps: AuthenticatorDeps,
  ): OutboundAuthenticator | undefined {
    const auth = createAuthenticator(cfg, label, deps, this.tokenAgent);
    if (auth) this.all.push(auth);
    return auth;
  }
}

function tlsOptions(deps: AuthenticatorDeps, extra: { cert?: string; key?: string }) {
  return {
    timeout: deps.scraping.connectionTimeout,
    ...(deps.ca !== undefined ? { ca: deps.ca } : {}),
    ...extra,
  };
}

function createAuthenticator(
  cfg: AuthenticatorConfig,
  label: string,
  deps: AuthenticatorDeps,
  tokenAgent: Dispatcher,
): OutboundAuthenticator | undefined {
  const type = String(cfg.type).toLowerCase();
  const tokenTimeouts = {
    timeoutMs: deps.scraping.maxProcessingTime,
    connectTimeoutMs: deps.scraping.connectionTimeout,
  };
  switch (type) {
    case "none":
    case "null":
      return new NoAuthenticator();
    case "basic":
      return new BasicAuthenticator(`basic ${label}`, cfg.basic?.username, cfg.basic?.password);
    case "oauth2xsuaabasic": {
      const c = cfg.oauth2xsuaaBasic;
      const full = `OAuth2XSUAABasic ${label}`;
      if (!c?.tokenServiceURL || !c.client_id) {
        return misconfigured(full, "needs oauth2xsuaaBasic.tokenServiceURL and .client_id", deps.logger);
      }
      return new ClientCredentialsAuthenticator({
        label: full,
        clock: deps.clock,
        clientAuth: new ClientAuthChoice(c.token_endpoint_auth_method),
        token: {
          url: c.tokenServiceURL,
          clientId: c.client_id,
          clientSecret: c.client_secret ?? "",
          scopes: c.scopes,
          dispatcher: tokenAgent,
          ...tokenTimeouts,
        },
      });
    }
    case "oauth2xsuaacertificate": {
      const c = cfg.oauth2xsuaaCertificate;
      const full = `OAuth2XSUAACertificate ${label}`;
      if (!c?.tokenServiceCertURL || !c.client_id || !c.client_certificates || !c.client_key) {
        return misconfigured(
          full,
          "needs oauth2xsuaaCertificate.tokenServiceCertURL, .client_id, .client_certificates and .client_key",
          deps.logger,
        );
      }
      const problem = checkKeyPair(c.client_certificates, c.client_key);
      if (problem !== undefined) return misconfigured(full, problem, deps.logger);
      const agent = new Agent({
        connect: tlsOptions(deps, { cert: c.client_certificates, key: c.client_key }),
      });
      return new ClientCredentialsAuthenticator({
        label: full,
        clock: deps.clock,
        ownedDispatcher: agent,
        token: {
          url: c.tokenServiceCertURL,
          clientId: c.client_id,
          scopes: c.scopes,
          dispatcher: agent,
          ...tokenTimeouts,
        },
      });
    }
    default:
      // Java skips unknown types: a target naming it falls back to the global authenticator.
      deps.logger.warn({ authenticator: label, type: cfg.type }, "unknown authenticator type; skipping it");
      return undefined;
  }
}

function misconfigured(label: string, problem: string, logger: Logger): OutboundAuthenticator {
  const reason = `authenticator ${label} ${problem}`;
  logger.error({ authenticator: label }, reason);
  return new MisconfiguredAuthenticator(label, reason);
}

/** Surfaces a broken PEM at start-up instead of on every token request. The message names no key material. */
function checkKeyPair(cert: string, key: string): string | undefined {
  try {
    createSecureContext({ cert, key });
    return undefined;
  } catch (err) {
    const detail = errorMessage(err).split("\n")[0];
    return `has unusable client_certificates/client_key: ${detail}`;
  }
}
