import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { errorMessage } from "../errors.js";
import { nextTurn } from "../event-loop-turn.js";
import type { Logger } from "../log.js";
import type { DiscoveryService, DiscoverySnapshot } from "./types.js";

export const OWN_METRICS_PATH = "/promregatorMetrics";
const gzipAsync = promisify(gzip);
const LABEL = "__meta_promregator_target_";

export interface DiscoveryDocumentOptions {
  /** How Prometheus reaches this Promregator. */
  host: string;
  port: number;
  /** `__scheme__` label; omitted when undefined so Prometheus uses the job's scheme. */
  scheme?: string;
  /** Append the group for /promregatorMetrics (last). */
  ownMetricsEndpoint: boolean;
}

/**
 * The /discovery JSON (http_sd / file_sd format): one group per instance in snapshot order, then the
 * own-metrics group. Callers that serve it repeatedly use preparedDiscoveryDocument.
 */
export function renderDiscoveryDocument(snapshot: DiscoverySnapshot, opts: DiscoveryDocumentOptions): string {
  return JSON.stringify(buildGroups(snapshot, opts));
}

/** The document as UTF-8 bytes and its gzip (level 1). */
export class DocumentBytes {
  constructor(
    readonly bytes: Buffer,
    private readonly compressed: Buffer,
  ) {}

  gzipped(): Buffer {
    return this.compressed;
  }
}

/** Host headers vary per client; a few variants per snapshot are normal, many would be abuse. */
const MAX_VARIANTS_PER_SNAPSHOT = 8;
/**
 * Targets rendered between two turns of the event loop: the document of 10,000 instances is several MB of
 * JSON, which in one piece blocks scrapes for tens of milliseconds (more with the garbage it leaves).
 */
export const GROUPS_PER_TURN = 500;
const prepared = new WeakMap<DiscoverySnapshot, Map<string, Promise<DocumentBytes>>>();

/**
 * The document only changes with the snapshot: its bytes and gzip are made once per snapshot and options,
 * a slice of targets per turn of the event loop and the gzip on the thread pool, and dropped with the
 * snapshot. Requests that arrive meanwhile share the same preparation.
 */
export function preparedDiscoveryDocument(
  snapshot: DiscoverySnapshot,
  opts: DiscoveryDocumentOptions,
): Promise<DocumentBytes> {
  const key = `${opts.host}\n${opts.port}\n${opts.scheme}\n${opts.ownMetricsEndpoint}`;
  let variants = prepared.get(snapshot);
  if (!variants) {
    variants = new Map();
    prepared.set(snapshot, variants);
  }
  let document = variants.get(key);
  if (!document) {
    if (variants.size >= MAX_VARIANTS_PER_SNAPSHOT) variants.clear();
    document = prepare(snapshot, opts);
    variants.set(key, document);
    // a failed preparation is not kept: the next request tries again
    document.catch(() => variants.delete(key));
  }
  return document;
}

async function prepare(snapshot: DiscoverySnapshot, opts: DiscoveryDocumentOptions): Promise<DocumentBytes> {
  const parts: Buffer[] = [];
  const { instances } = snapshot;
  for (let from = 0; from < instances.length || from === 0; from += GROUPS_PER_TURN) {
    if (from > 0) await nextTurn();
    const last = from + GROUPS_PER_TURN >= instances.length;
    // the same groups as renderDiscoveryDocument, a slice at a time: "[" + groups joined by "," + "]"
    const slice = { ...snapshot, instances: instances.slice(from, from + GROUPS_PER_TURN) };
    const json = JSON.stringify(
      buildGroups(slice, { ...opts, ownMetricsEndpoint: last && opts.ownMetricsEndpoint }),
    );
    const inner = json.slice(1, -1);
    parts.push(
      Buffer.from(`${from === 0 ? "[" : inner.length > 0 ? "," : ""}${inner}${last ? "]" : ""}`, "utf8"),
    );
  }
  const bytes = Buffer.concat(parts);
  return new DocumentBytes(bytes, await gzipAsync(bytes, { level: 1 }));
}

interface TargetGroup {
  targets: [string];
  labels: Record<string, string>;
}

function buildGroups(snapshot: DiscoverySnapshot, opts: DiscoveryDocumentOptions): TargetGroup[] {
  const targets: [string] = [hostPort(opts.host, opts.port)];
  const scheme: Record<string, string> = opts.scheme ? { __scheme__: opts.scheme } : {};
  const groups: TargetGroup[] = snapshot.instances.map((instance) => {
    const path = `/singleTargetMetrics/${instance.appGuid}/${instance.index}`;
    return {
      targets,
      labels: {
        [`${LABEL}path`]: path,
        [`${LABEL}orgName`]: instance.orgName,
        [`${LABEL}spaceName`]: instance.spaceName,
        [`${LABEL}applicationName`]: instance.appName,
        [`${LABEL}applicationId`]: instance.appGuid,
        [`${LABEL}instanceNumber`]: String(instance.index),
        [`${LABEL}instanceId`]: instance.instanceId,
        [`${LABEL}foundation`]: instance.foundation,
        __metrics_path__: path,
        ...scheme,
      },
    };
  });
  if (opts.ownMetricsEndpoint) {
    groups.push({
      targets,
      labels: { [`${LABEL}path`]: OWN_METRICS_PATH, __metrics_path__: OWN_METRICS_PATH, ...scheme },
    });
  }
  return groups;
}

/** IPv6 literals need brackets before a port. */
function hostPort(host: string, port: number): string {
  const needsBrackets = host.includes(":") && !host.startsWith("[");
  return `${needsBrackets ? `[${host}]` : host}:${port}`;
}

/**
 * The `__scheme__` rule: `promregator.discovery.scheme` if set, else https when `promregator.discovery.port`
 * is 443, else the scheme the request came in with (undefined: leave the label out).
 */
export function discoveryScheme(
  discovery: { scheme?: string; port: number },
  requestScheme?: string,
): string | undefined {
  if (discovery.scheme) return discovery.scheme;
  if (discovery.port === 443) return "https";
  return requestScheme;
}

/**
 * Writes the document for file_sd_configs: to a temporary file in the same directory, then renamed over
 * the target, so Prometheus never reads a half-written file. Skips the write when the content is the
 * same. Resolves to whether the file was written.
 */
export async function writeDiscoveryFile(path: string, json: string): Promise<boolean> {
  try {
    if ((await readFile(path, "utf8")) === json) return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(`cannot read discovery file ${path}: ${errorMessage(error)}`);
    }
  }
  // a name Prometheus' *.json patterns do not match
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, json, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new Error(`cannot write discovery file ${path}: ${errorMessage(error)}`);
  }
  return true;
}

/**
 * Keeps `promregator.discovery.file` in step with the service: writes the current snapshot and every new
 * one. Writes never overlap; the latest snapshot wins. Failures are logged, never thrown.
 * Returns a function that stops following and resolves when a write in progress has finished.
 */
export function followDiscoveryFile(opts: {
  service: Pick<DiscoveryService, "current" | "onSnapshot">;
  path: string;
  document: DiscoveryDocumentOptions;
  logger: Logger;
}): () => Promise<void> {
  let writing: Promise<void> = Promise.resolve();
  let latest: DiscoverySnapshot | undefined;
  const write = (snapshot: DiscoverySnapshot) => {
    latest = snapshot;
    writing = writing.then(async () => {
      if (latest !== snapshot) return; // a newer snapshot is queued behind this one
      try {
        const changed = await writeDiscoveryFile(opts.path, renderDiscoveryDocument(snapshot, opts.document));
        if (changed) opts.logger.debug({ path: opts.path }, "discovery file written");
      } catch (error) {
        opts.logger.warn({ cause: errorMessage(error) }, "could not write the discovery file");
      }
    });
  };
  const unsubscribe = opts.service.onSnapshot(write);
  const now = opts.service.current();
  if (now) write(now);
  return async () => {
    unsubscribe();
    await writing;
  };
}
