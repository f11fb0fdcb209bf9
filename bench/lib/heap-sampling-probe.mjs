// Preloaded into the process under test (node --import): V8's sampling heap profiler, switched by SIGUSR2. The
// first signal starts sampling (every allocation of about 256 bytes on average is recorded with its stack, also
// objects collected since); the second stops it and writes the profile (a .heapprofile tree) to
// <os.tmpdir()>/heap-sampling-<pid>.json.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { tmpdir } from "node:os";
import { join } from "node:path";

const session = new Session();
session.connect();
let sampling = false;
process.on("SIGUSR2", () => {
  if (!sampling) {
    sampling = true;
    session.post("HeapProfiler.startSampling", {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    return;
  }
  sampling = false;
  session.post("HeapProfiler.stopSampling", (error, result) => {
    const file = join(tmpdir(), `heap-sampling-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(error ? { error: String(error) } : result.profile));
  });
});
