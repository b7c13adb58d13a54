// Backend choice: tfjs-node-gpu → tfjs-node → wasm (SIMD, threads) → cpu, or the one forced by
// `--backend` / DADF_BACKEND. The native packages are optionalDependencies and may be absent;
// they are loaded by dynamic import and skipped quietly when they fail.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import './gradients.ts';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { cpus } from 'node:os';
import { UserError } from '../common/errors.ts';
import { unrefWorkers, withFileWorkers } from './wasm-threads.ts';
import { installWasmKernels } from './ops/wasm-kernels.ts';
import { installBlasKernels } from './ops/blas-kernels.ts';
import { installFusedKernels } from './ops/fused-kernels.ts';
import { installBroadcastKernels } from './ops/broadcast-kernels.ts';
import { installNativeKernels } from './ops/native-kernels.ts';
import { installNativeMovement } from './ops/native-movement.ts';
import { installCouplingKernel } from './ops/coupling-kernel.ts';
import { installDepthwiseKernels } from './ops/depthwise-kernel.ts';
import { installBackboneKernels } from './ops/backbone-kernels.ts';
import { installBiasActivationKernels } from './ops/bias-activation.ts';
import { loadNativeBlas } from './native/blas.ts';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendInfo {
  /** tfjs backend name as tf.getBackend() reports it ('tensorflow' for both native packages). */
  name: string;
  /** What was asked for / which package: tensorflow-gpu | tensorflow | wasm | cpu. */
  kind: BackendName;
  threads: number;
  simd: boolean;
  /** Which code multiplies matrices on wasm: the native OpenBLAS addon, or wasm's own kernel and why. */
  matmul?: string;
  /** Which code runs element-wise ops, reductions and data movement on wasm: the native addon (how many threads) or wasm. */
  elementwise?: string;
  description: string;
}

const ALIASES: Record<string, BackendName> = {
  'tensorflow-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
  tensorflow: 'tensorflow',
  node: 'tensorflow',
  native: 'tensorflow',
  'tfjs-node': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

export interface InitOptions {
  /** wasm threads; default: all logical cores, at least 1. */
  threads?: number;
}

let current: BackendInfo | undefined;

/** The backend chosen by initBackend, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Picks and initialises a backend. `preferred` (or DADF_BACKEND) forces one; a forced one that
 * cannot load is a UserError. Calling again with the backend already active is cheap.
 */
export async function initBackend(preferred?: string, options: InitOptions = {}): Promise<BackendInfo> {
  const requested = preferred ?? process.env.DADF_BACKEND;
  if (requested !== undefined && requested !== '' && requested !== 'auto') {
    const kind = ALIASES[requested.toLowerCase()];
    if (!kind) {
      throw new UserError(`unknown backend '${requested}'`, {
        where: preferred !== undefined ? '--backend' : 'DADF_BACKEND',
        hint: `use one of ${BACKEND_NAMES.join(', ')} (or auto)`,
        exitCode: 2,
      });
    }
    try {
      return (current = await load(kind, options));
    } catch (error) {
      throw new UserError(`backend '${requested}' could not be loaded: ${(error as Error).message ?? error}`, {
        where: preferred !== undefined ? '--backend' : 'DADF_BACKEND',
        hint:
          kind === 'tensorflow' || kind === 'tensorflow-gpu'
            ? 'the native TensorFlow packages are optional and need libtensorflow (downloaded at install time); use --backend wasm or cpu'
            : 'use --backend cpu',
        cause: error,
      });
    }
  }
  for (const kind of BACKEND_NAMES) {
    try {
      return (current = await load(kind, options));
    } catch {
      // fall through to the next backend, quietly
    }
  }
  throw new UserError('no TensorFlow.js backend could be loaded', { hint: 'reinstall dependencies (npm ci)' });
}

async function load(kind: BackendName, options: InitOptions): Promise<BackendInfo> {
  // The cpu backend prints an "install tfjs-node" banner on first use under Node; we say which
  // backend runs ourselves.
  tf.env().set('PROD', true);
  if (current?.kind === kind && tf.getBackend() === current.name) return current;
  switch (kind) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const pkg = kind === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      await import(pkg); // registers the 'tensorflow' backend
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} did not register its backend`);
      await tf.ready();
      return { name: 'tensorflow', kind, threads: cpus().length, simd: true, description: `${pkg} (native libtensorflow)` };
    }
    case 'wasm':
      return loadWasm(options.threads ?? Math.max(1, cpus().length));
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to start');
      await tf.ready();
      return { name: 'cpu', kind, threads: 1, simd: false, description: 'tfjs cpu (pure JavaScript)' };
  }
}

let wasmThreads: number | undefined;

async function loadWasm(threads: number): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  installWasmKernels(); // its Slice/SplitV/Unpack copy the whole input per call
  // The module starts once per process; the first thread count sticks.
  if (wasmThreads === undefined) {
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + '/');
    if (threads > 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    const ok = await withFileWorkers(threads, () => tf.setBackend('wasm'));
    if (!ok) throw new Error('wasm backend failed to start');
    await tf.ready();
    unrefWorkers(tf.backend());
    wasmThreads = wasm.getThreadsCount();
  } else if (!(await tf.setBackend('wasm'))) {
    throw new Error('wasm backend failed to start');
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const { matmul, elementwise } = installNative(wasmThreads);
  return {
    name: 'wasm',
    kind: 'wasm',
    threads: wasmThreads,
    simd,
    matmul,
    elementwise,
    description: `tfjs wasm (${simd ? 'SIMD' : 'no SIMD'}, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'}); matmul: ${matmul}; element-wise: ${elementwise}`,
  };
}

const plural = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;

/** Registers the native kernels when the addon loads; says which matmul and which element-wise kernels run. */
function installNative(threads: number): { matmul: string; elementwise: string } {
  const native = loadNativeBlas();
  if (!native.blas) return { matmul: `wasm (native OpenBLAS ${native.why})`, elementwise: 'wasm' };
  const { blas } = native;
  installBlasKernels(blas);
  installBroadcastKernels(blas);
  installNativeKernels(blas);
  installNativeMovement(blas);
  installFusedKernels(blas);
  installCouplingKernel(blas);
  installDepthwiseKernels(blas);
  installBackboneKernels(blas);
  installBiasActivationKernels(blas);
  // The wasm threads wait while a kernel runs on the main thread, so the native threads get the same cores.
  const count = blas.threads(Number(process.env.DADF_BLAS_THREADS) || threads);
  const core = blas.config().match(/^OpenBLAS (\S+).*?(\S+) MAX_THREADS/);
  const parallel = blas.parallelThreads?.();
  return {
    matmul: `native OpenBLAS${core ? ` ${core[1]} (${core[2]} kernels)` : ''}, ${plural(count, 'thread')}`,
    elementwise:
      parallel === undefined
        ? 'wasm (the native addon predates them: npm run build:native)'
        : `native, ${parallel ? plural(parallel, 'OpenMP thread') : '1 thread (built without OpenMP)'}`,
  };
}

/** One line for the start of a run: "backend: tfjs wasm (SIMD, 2 threads)". */
export function describeBackend(info: BackendInfo): string {
  return `backend: ${info.description}`;
}
