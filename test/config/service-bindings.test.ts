import { describe, expect, it } from "vitest";
import { errorOf, load, MINIMAL_CF } from "./helpers.js";

const targets = (...lines: string[]) => `${MINIMAL_CF}promregator:\n  targets:\n${lines.join("\n")}\n`;

describe("service binding keys", () => {
  it("reads serviceInstanceName on a target and promregator.serviceBindings.credentials", () => {
    const { config } = load(
      `${targets("    - orgName: acme", "      serviceInstanceName: metrics-endpoint")}` +
        "  serviceBindings:\n    credentials: path-and-basic-auth\n",
    );
    expect(config.promregator.targets[0].serviceInstanceName).toBe("metrics-endpoint");
    expect(config.promregator.serviceBindings.credentials).toBe("path-and-basic-auth");
  });

  it("defaults to reading only the path, and sets nothing on targets without the key", () => {
    const { config } = load(targets("    - orgName: acme"));
    expect(config.promregator.serviceBindings.credentials).toBe("path");
    expect("serviceInstanceName" in config.promregator.targets[0]).toBe(false);
  });

  it("is set from the environment like every other key", () => {
    const { config } = load(targets("    - orgName: acme"), {
      env: { PROMREGATOR_SERVICEBINDINGS_CREDENTIALS: "ignore" },
    });
    expect(config.promregator.serviceBindings.credentials).toBe("ignore");
  });

  it("rejects an unknown credentials use, an empty name and a list of names, naming the key", () => {
    expect(errorOf(`${MINIMAL_CF}promregator:\n  serviceBindings:\n    credentials: basic\n`)).toContain(
      "promregator.serviceBindings.credentials",
    );
    expect(errorOf(targets('    - serviceInstanceName: " "'))).toContain(
      "promregator.targets[0].serviceInstanceName",
    );
    expect(errorOf(targets("    - serviceInstanceName: [a, b]"))).toContain(
      "one target per service instance",
    );
  });
});
