import type { Moment } from "./types.js";

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

export function formatLatency(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "–";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** "42 s", "3 min 5 s", "2 h 4 min", "3 d 1 h": coarse enough to read at a glance. */
export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "–";
  if (seconds < 0) return "0 s";
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** "2024-05-01T12:00:00.000Z" -> "2024-05-01 12:00:00 UTC" */
export function utcText(iso: string): string {
  return iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC");
}

/**
 * A <time> element with the relative age as text and the absolute UTC time as machine value and tooltip;
 * `absolute` also prints the UTC time, for the few moments that matter most.
 */
export function timeElement(moment: Moment, absolute = false): string {
  if (moment.at === "unknown") return "unknown";
  const utc = utcText(moment.at);
  const relative =
    moment.ageSeconds < 0 ? "ahead of this server's clock" : `${formatAge(moment.ageSeconds)} ago`;
  const text = absolute ? `${relative} (${utc})` : relative;
  return `<time datetime="${escapeHtml(moment.at)}" title="${escapeHtml(utc)}">${escapeHtml(text)}</time>`;
}
