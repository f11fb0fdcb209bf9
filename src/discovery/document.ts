import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Logger } from "../log.js";
import type { DiscoveryService, DiscoverySnapshot } from "./types.js";

export const OWN_METRICS_PATH = "/promregatorMetrics";
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

/** The document as UTF-8 bytes, and gzip (level 1) made once on first need. */
export class DocumentBytes {
  readonly bytes: Buffer;
  private compressed: Buffer | undefined;

  constructor(text: string) {
    this.bytes = Buffer.from(text, "utf8");
  }

  gzipped(): Buffer {
    this.compressed ??= gzipSync(this.bytes, { level: 1 });
    return this.compressed;
  }
}

/** Host headers vary per client; a few variants per snapshot are normal, many would be abuse. */
const MAX_VARIANTS_PER_SNAPSHOT = 8;
const prepared = new WeakMap<DiscoverySnapshot, Map<string, DocumentBytes>>();

/**
 * The document only changes with the snapshot: its bytes (and gzip) are kept per snapshot and options, and
 * dropped with the snapshot.
 */
export function preparedDiscoveryDocument(
  snapshot: DiscoverySnapshot,
  opts: DiscoveryDocumentOptions,
): DocumentBytes {
  const key = `${opts.host}\n${opts.port}\n${opts.scheme}\n${opts.ownMetricsEndpoint}`;
  let variants = prepared.get(snapshot);
  if (!variants) {
    variants = new Map();
    prepared.set(snapshot, variants);
  }
  let document = variants.get(key);
  if (!document) {
    if (variants.size >= MAX_VARIANTS_PER_SNAPSHOT) variants.clear();
    document = new DocumentBytes(renderDiscoveryDocument(snapshot, opts));
    variants.set(key, document);
  }
  return document;
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
      throw new Error(`cannot read discovery file ${path}: ${(error as Error).message}`);
    }
  }
  // a name Prometheus' *.json patterns do not match
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, json, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new Error(`cannot write discovery file ${path}: ${(error as Error).message}`);
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
        opts.logger.warn({ cause: (error as Error).message }, "could not write the discovery file");
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
