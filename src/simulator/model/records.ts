import type { InstanceBehaviour } from "../types.js";

/** In-memory resources of the simulated Cloud Controller. `seq` is the creation order (CC's default order). */
interface Timestamps {
  seq: number;
  createdAt: string;
  updatedAt: string;
}

export interface DomainRecord extends Timestamps {
  guid: string;
  name: string;
  internal: boolean;
  /** A TCP domain: supported_protocols ["tcp"], routes "domain:port". */
  tcp: boolean;
}

export interface OrgRecord extends Timestamps {
  guid: string;
  name: string;
}

export interface SpaceRecord extends Timestamps {
  guid: string;
  name: string;
  orgGuid: string;
}

export interface ProcessRecord extends Timestamps {
  guid: string;
  appGuid: string;
  type: string;
  instances: number;
  version: string;
}

export interface AppRecord extends Timestamps {
  guid: string;
  name: string;
  spaceGuid: string;
  orgGuid: string;
  state: "STARTED" | "STOPPED";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  metricsPath: string;
  behaviour: InstanceBehaviour;
  instanceBehaviour: Map<number, InstanceBehaviour>;
  /** Bumped on every start, so instance guids change like they do on a real restart. */
  generation: number;
  web: ProcessRecord;
  /** Process types besides web, in creation order. */
  otherProcesses: ProcessRecord[];
}

export interface DestinationRecord {
  guid: string;
  appGuid: string;
  processType: string;
  port: number;
  createdAt: string;
}

export interface RouteRecord extends Timestamps {
  guid: string;
  host: string;
  /** "" or starting with "/". */
  path: string;
  domainGuid: string;
  spaceGuid: string;
  orgGuid: string;
  /** The route port of a TCP route; absent for HTTP routes. */
  port?: number;
  destinations: DestinationRecord[];
}

/** Port a buildpack app listens on; route destinations and internal routes use it. */
export const APP_PORT = 8080;

/** CC timestamps have second precision and a Z suffix. */
export function ccTimestamp(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}
