/** Request counters the admin API exposes (tests assert on how much CC traffic a client caused). */
export class Counters {
  ccRequests = 0;
  uaaRequests = 0;
  private byPath = new Map<string, number>();

  countCc(path: string): void {
    // The root document and /v3/info are probes, not discovery traffic.
    if (path !== "/" && path !== "/v3/info") this.ccRequests++;
    this.countPath(path);
  }

  countUaa(path: string): void {
    this.uaaRequests++;
    this.countPath(path);
  }

  private countPath(path: string): void {
    this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
  }

  snapshot(): { ccRequests: number; uaaRequests: number; byPath: Record<string, number> } {
    return {
      ccRequests: this.ccRequests,
      uaaRequests: this.uaaRequests,
      byPath: Object.fromEntries(this.byPath),
    };
  }

  reset(): void {
    this.ccRequests = 0;
    this.uaaRequests = 0;
    this.byPath = new Map();
  }
}
