// Lets the tfjs wasm backend use its threaded SIMD binary under Node.
//
// tfjs disables threads under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false there) because
// emscripten starts each pthread worker from a `blob:` URL, which Node's worker_threads cannot
// load, and the worker then evals the module factory from a second Blob. The fix: while the
// backend initialises, remember the text of the Blobs tfjs builds and hand out file paths
// instead of blob: URLs. The worker script is written to a temp file (.cjs, so Node loads it
// as CommonJS) and points `importScripts` at the factory script, also written to a file. The
// factory refers to the bundle's `require$$N` aliases, which the file defines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';

const textOfBlob = new WeakMap<Blob, string>();

/** Runs `init` with Blob/URL.createObjectURL patched so emscripten workers load from files. */
export async function withFileWorkers<T>(threads: number, init: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'dadf-wasm-'));
  const factoryPath = join(dir, 'factory.cjs');
  const OriginalBlob = globalThis.Blob;
  const originalCreate = URL.createObjectURL;
  class RecordingBlob extends OriginalBlob {
    constructor(parts?: ConstructorParameters<typeof Blob>[0], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts ?? [], options);
      if (parts?.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        textOfBlob.set(this, text);
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
          const aliases =
            "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os'),commonjsGlobal=globalThis;\n";
          writeFileSync(factoryPath, aliases + text);
        }
      }
    }
  }
  globalThis.Blob = RecordingBlob as typeof Blob;
  // emscripten asks for a URL once per pool worker (8), each time for the same text. The file is
  // written once: rewriting it while a worker that was started earlier is still reading it gave
  // that worker an empty script, it ended without a word, the module waited for it forever with
  // every other worker unref'd, and Node exited with code 13 (unsettled top-level await).
  const workerFiles = new Map<string, string>();
  URL.createObjectURL = (blob: Blob): string => {
    const text = textOfBlob.get(blob);
    if (text === undefined) return originalCreate(blob);
    const known = workerFiles.get(text);
    if (known) return known;
    // The worker imports the factory: from our file rather than a blob: URL.
    const patched = text.replace('importScripts(objectUrl)', `importScripts(${JSON.stringify(factoryPath)})`);
    const workerPath = join(dir, `worker-${workerFiles.size}.cjs`);
    writeFileSync(workerPath, patched);
    workerFiles.set(text, workerPath);
    return workerPath;
  };
  // XNNPACK's pool is sized at module start from emscripten_num_logical_cores() / 2, which
  // reads os.cpus().length: report 2 x threads cores while the module starts.
  const originalCpus = os.cpus;
  os.cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    return await init();
  } finally {
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreate;
    os.cpus = originalCpus;
  }
}

interface EmscriptenPThreads {
  unusedWorkers: { unref(): void; ref(): unknown }[];
  runningWorkers: { unref(): void; ref(): unknown }[];
}

/**
 * Lets the process exit while wasm threads exist: emscripten keeps its pthread workers
 * referenced (and re-refs them when a thread starts), so Node would never exit on its own.
 */
export function unrefWorkers(backend: unknown): void {
  const pthreads = (backend as { wasm?: { PThread?: EmscriptenPThreads } }).wasm?.PThread;
  if (!pthreads) return;
  for (const worker of [...pthreads.unusedWorkers, ...pthreads.runningWorkers]) {
    worker.unref();
    worker.ref = () => worker;
  }
}
