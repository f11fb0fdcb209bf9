/** The report of `check-config --resolve`: what would be scraped, and per configured target what it matched. */
import type { DiscoverySnapshot } from "../discovery/index.js";
import { maskQueryValues } from "../redact.js";
import type { ResolveOutcome } from "./run.js";

type Resolved = Extract<ResolveOutcome, { ok: true }>;

/** One app that would be scraped, with its instances folded into one row. */
export interface AppRow {
  targetIndex: number;
  org: string;
  space: string;
  app: string;
  appGuid: string;
  instances: number;
  /** The URL of the lowest instance index. */
  url: string;
  /** Internal routes address each instance by its own host name. */
  urlPerInstance: boolean;
  /** False for internal routes and overrideRouteAndPath: no X-CF-APP-INSTANCE header. */
  viaRouterHeader: boolean;
}

export function appRows(snapshot: DiscoverySnapshot): AppRow[] {
  const rows = new Map<string, AppRow>();
  for (const i of snapshot.instances) {
    const key = `${i.targetIndex}/${i.appGuid}`;
    const row = rows.get(key);
    if (!row) {
      rows.set(key, {
        targetIndex: i.targetIndex,
        org: i.orgName,
        space: i.spaceName,
        app: i.appName,
        appGuid: i.appGuid,
        instances: 1,
        url: maskQueryValues(i.url),
        urlPerInstance: false,
        viaRouterHeader: i.sendInstanceHeader,
      });
      continue;
    }
    row.instances++;
    if (i.url !== row.url) row.urlPerInstance = true;
  }
  return [...rows.values()];
}

/** Plain columns separated by two spaces; the last column is never padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function renderTextReport(outcome: Resolved): string {
  const { snapshot } = outcome;
  const rows = appRows(snapshot);
  const out: string[] = [];
  const version = outcome.apiVersion ? ` (v3 API ${outcome.apiVersion})` : "";
  out.push(
    `Cloud Controller ${outcome.apiUrl}${version}: resolved in ${(outcome.elapsedMs / 1000).toFixed(1)} s`,
    "",
  );
  if (rows.length === 0) {
    out.push("Would scrape nothing: no configured target matched a started app instance.");
  } else {
    out.push(
      `Would scrape ${plural(snapshot.instances.length, "instance")} of ${plural(rows.length, "app")}:`,
      "",
    );
    out.push(
      formatTable(
        ["TARGET", "ORG", "SPACE", "APP", "INSTANCES", "URL"],
        rows.map((r) => [
          `#${r.targetIndex}`,
          r.org,
          r.space,
          r.app,
          String(r.instances),
          r.url + urlNote(r),
        ]),
      ),
    );
  }
  out.push("", "Configured targets (promregator.targets):", "");
  if (snapshot.targets.length === 0) {
    out.push("none: promregator.targets is empty, so nothing is discovered.");
  } else {
    out.push(
      formatTable(
        ["TARGET", "SELECTS", "INSTANCES", "RESULT"],
        snapshot.targets.map((t) => [
          `#${t.targetIndex}`,
          t.description,
          String(t.instances),
          t.instances > 0
            ? `ok${t.problem ? `; ${t.problem}` : ""}`
            : `matched nothing: ${t.problem ?? "no reason given"}`,
        ]),
      ),
    );
  }
  const empty = snapshot.targets.filter((t) => t.instances === 0).length;
  if (empty > 0) {
    out.push("", `${plural(empty, "target")} of ${snapshot.targets.length} matched nothing.`);
  }
  if (outcome.error) {
    out.push("", `The Cloud Controller failed while resolving: ${outcome.error}`);
  }
  return `${visible(out.join("\n"))}\n`;
}

/**
 * Control, invisible and bidi characters (Unicode Cc, Cf: U+200B, U+202E, ...) other than the line breaks as
 * `\u{…}`: names come from the Cloud Controller, and a terminal would otherwise hide or reorder them.
 */
function visible(text: string): string {
  return text.replace(/(?!\n)[\p{Cc}\p{Cf}]/gu, (c) => `\\u{${(c.codePointAt(0) as number).toString(16)}}`);
}

function urlNote(row: AppRow): string {
  if (row.urlPerInstance) return " (index 0; each instance has its own host)";
  if (!row.viaRouterHeader) return " (no X-CF-APP-INSTANCE header)";
  return "";
}

/** The same report for scripts (`--json`). */
export function reportJson(outcome: ResolveOutcome): unknown {
  if (!outcome.ok) {
    return { ok: false, apiUrl: outcome.apiUrl, failedPhase: outcome.phase, error: outcome.message };
  }
  const { snapshot } = outcome;
  return {
    ok: outcome.error === undefined,
    apiUrl: outcome.apiUrl,
    ...(outcome.apiVersion ? { apiVersion: outcome.apiVersion } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    elapsedSeconds: Math.round(outcome.elapsedMs) / 1000,
    apps: appRows(snapshot),
    instances: snapshot.instances.map((i) => ({
      instanceId: i.instanceId,
      org: i.orgName,
      space: i.spaceName,
      app: i.appName,
      index: i.index,
      url: maskQueryValues(i.url),
      targetIndex: i.targetIndex,
    })),
    targets: snapshot.targets.map((t) => ({
      targetIndex: t.targetIndex,
      description: t.description,
      instances: t.instances,
      ...(t.problem !== undefined ? { problem: t.problem } : {}),
      ...(t.kind !== undefined ? { kind: t.kind } : {}),
    })),
  };
}

const PHASE_TEXT = {
  connect: "cannot use the Cloud Controller",
  login: "login to Cloud Foundry failed",
  resolve: "resolving the targets failed",
  timeout: "gave up",
} as const;

export function renderFailure(outcome: Extract<ResolveOutcome, { ok: false }>): string {
  return `${PHASE_TEXT[outcome.phase]} (${outcome.apiUrl}): ${outcome.message}\n`;
}
