// Preloaded into the process under test (node --import): V8's sampling heap profiler, switched by SIGUSR2. The
// first signal starts sampling (every allocation of about 256 bytes on average is recorded with its stack, also
// objects collected since); the second stops it and writes the profile (a .heapprofile tree) to
// <os.tmpdir()>/heap-sampling-<pid>.json.
// With HEAP_SAMPLING_SURVIVORS=1 (and node --expose-gc) only what outlived the young generation is kept: objects
// that young-generation collections freed are dropped from the profile, and full collections run at the start
// and at the end, so the profile holds what was promoted in between (still alive, or freed by a full collection).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";

const session = new Session();
session.connect();
let sampling = false;
const survivors = process.env.HEAP_SAMPLING_SURVIVORS === "1";
process.on("SIGUSR2", () => {
  if (!sampling) {
    sampling = true;
    if (survivors) globalThis.gc();
    session.post("HeapProfiler.startSampling", {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !survivors,
    });
    return;
  }
  sampling = false;
  if (survivors) globalThis.gc();
  session.post("HeapProfiler.stopSampling", (error, result) => {
    const file = join(tmpdir(), `heap-sampling-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(error ? { error: String(error) } : result.profile));
  });
});
