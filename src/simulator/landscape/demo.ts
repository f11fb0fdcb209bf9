import type { LandscapeSpec } from "../types.js";
import { inFoundation } from "./foundation.js";

/**
 * The small landscape `promregator demo` runs against: two orgs, a STOPPED app, an app annotated
 * `prometheus.io/scrape` and `prometheus.io/path` (its path is /metrics, like every app's, since the demo's
 * catch-all target does not read annotations), an app reachable only on the internal domain, an OpenMetrics app, the rest text 0.0.4.
 * Guids are derived from the names when the simulator starts, so they are stable across runs.
 */
export function demoLandscape(): LandscapeSpec {
  return {
    domains: [{ name: "apps.example.org" }, { name: "apps.internal", internal: true }],
    orgs: [
      {
        name: "acme-prod",
        spaces: [
          {
            name: "checkout",
            apps: [
              {
                name: "cart-service",
                instances: 3,
                labels: { team: "checkout" },
                behaviour: { format: "text", sizeBytes: 3000 },
              },
              {
                name: "payment-gateway",
                instances: 2,
                labels: { team: "checkout" },
                behaviour: { format: "openmetrics", sizeBytes: 2500 },
              },
            ],
          },
          {
            name: "platform",
            apps: [
              {
                name: "node-exporter-demo",
                instances: 1,
                annotations: { "prometheus.io/scrape": "true", "prometheus.io/path": "/metrics" },
                behaviour: { format: "text" },
              },
              {
                name: "legacy-batch",
                state: "STOPPED",
                instances: 2,
                behaviour: { format: "text" },
              },
            ],
          },
        ],
      },
      {
        name: "acme-dev",
        spaces: [
          {
            name: "sandbox",
            apps: [
              {
                name: "inventory-api",
                instances: 2,
                routes: ["inventory-api.apps.internal"],
                behaviour: { format: "text" },
              },
              {
                name: "recommender",
                instances: 1,
                routes: ["recommender.apps.example.org", "recommender.apps.example.org/v2"],
                behaviour: { format: "text", latencyMs: 20 },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** The user-provided service instance of the demo's second foundation. */
export const DEMO_SERVICE_INSTANCE = "metrics-endpoint";
/** Where the bound app serves its metrics, as the binding's credentials say (nothing is served on /metrics). */
export const DEMO_BOUND_PATH = "/actuator/prometheus";

/**
 * The second foundation of `promregator demo --two-foundations`: the demo's orgs and apps again, with guids of
 * their own (see inFoundation), and a user-provided service instance `metrics-endpoint` in acme-prod/checkout
 * bound to payment-gateway with the credentials `{"path": "/actuator/prometheus"}`, as an app team would create
 * it (`cf create-user-provided-service metrics-endpoint -p '{"path": ...}'`, `cf bind-service`).
 */
export function demoSecondFoundationLandscape(foundation: string): LandscapeSpec {
  const spec = demoLandscape();
  for (const org of spec.orgs)
    for (const space of org.spaces)
      for (const app of space.apps) if (app.name === "payment-gateway") app.metricsPath = DEMO_BOUND_PATH;
  spec.serviceInstances = [
    {
      name: DEMO_SERVICE_INSTANCE,
      space: "acme-prod/checkout",
      credentials: { path: DEMO_BOUND_PATH },
      bindings: ["payment-gateway"],
    },
  ];
  return inFoundation(spec, foundation);
}
