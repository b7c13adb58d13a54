// Scoring through onnxruntime-node (CPU execution provider): the run's exported graph takes
// resized RGB pixels and returns maps and scores, backbone included, so no tfjs kernel runs
// per image. The graph is exported on first use to RUN/model.onnx and re-exported when the
// checkpoint changes (a sidecar JSON records the checkpoint's hash).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../common/errors.ts';
import { readImageRgb } from '../data/index.ts';
import { exportOpenedRun, ONNX_OPSET, type ExportSummary } from '../export/index.ts';
import { hashFiles } from '../../formats/index.ts';
import type { OpenedRun } from '../inference/open-run.ts';
import type { ScoredImage } from '../inference/score.ts';
import type { Progress } from '../progress.ts';
import { resizeFilter } from '../train/features.ts';

export const ONNX_MODEL_FILE = 'model.onnx';

interface Sidecar {
  checkpointSha256: string;
  opset: number;
  exporter: number;
  /** The file as written: a model replaced since (e.g. by dadfc export --batch 1) is rebuilt. */
  modelBytes: number;
  modelMtimeMs: number;
  /** The score settings and calibration baked into the graph: another scoring is exported again. */
  scoring: string;
}
/** Bump when the emitter's output changes, so old exports are rebuilt. */
const EXPORTER_VERSION = 6;

export interface OnnxEngineOptions {
  /** Use this .onnx file instead of RUN/model.onnx (exported there when missing or stale). */
  modelPath?: string;
  /** Images per session.run call (default 8). */
  batch?: number;
  /** Intra-op threads (default: onnxruntime's choice, the physical cores). */
  threads?: number;
  progress?: Progress;
}

/** Where the run's ONNX model lives, exporting it first when it is missing or stale. */
export function ensureOnnxModel(opened: OpenedRun, options: { modelPath?: string; progress?: Progress } = {}): { path: string; exported?: ExportSummary } {
  const checkpointSha256 = hashFiles([opened.run.file('checkpoint')], 64);
  const scoring = JSON.stringify({
    score: opened.spec.score,
    calibration: opened.calibration ?? null,
    headCalibration: opened.headCalibration ?? null,
    decision: opened.decision ?? null,
  });
  const candidates = options.modelPath
    ? [options.modelPath]
    : [join(opened.run.path, ONNX_MODEL_FILE), join(tmpdir(), `dadf-${checkpointSha256.slice(0, 16)}.onnx`)];
  for (const path of candidates) {
    const sidecarPath = `${path}.json`;
    if (existsSync(path) && existsSync(sidecarPath)) {
      try {
        const sidecar = JSON.parse(readFileSync(sidecarPath, 'utf8')) as Sidecar;
        const stat = statSync(path);
        const current = sidecar.checkpointSha256 === checkpointSha256 && sidecar.exporter === EXPORTER_VERSION && sidecar.scoring === scoring;
        if (current && sidecar.modelBytes === stat.size && sidecar.modelMtimeMs === stat.mtimeMs) return { path };
      } catch {
        // unreadable sidecar: export again
      }
    }
    try {
      const started = performance.now();
      const exported = exportOpenedRun(opened, path);
      const stat = statSync(path);
      const sidecar: Sidecar = { checkpointSha256, opset: ONNX_OPSET, exporter: EXPORTER_VERSION, modelBytes: stat.size, modelMtimeMs: stat.mtimeMs, scoring };
      writeFileSync(`${path}.json`, JSON.stringify(sidecar, null, 2) + '\n');
      options.progress?.({
        kind: 'log',
        level: 'info',
        message: `exported ${path} (${exported.nodes} nodes, ${(exported.fileBytes / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      });
      return { path, exported };
    } catch (err) {
      // A read-only run folder: fall through to the temp folder.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw err;
    }
  }
  throw new UserError('could not write the ONNX model', {
    where: candidates.join(', '),
    hint: 'make the run folder (or the temp folder) writable, or export by hand: dadfc export RUN -o FILE.onnx',
  });
}

export interface EngineOutputs {
  maps: Float32Array;
  scores: Float32Array;
  /** 1 = defective; present when the graph was exported with thresholds. */
  labels?: Uint8Array;
  masks?: Uint8Array;
  normalisedScores?: Float32Array;
}

/** onnxruntime returns bool tensors as bytes (or booleans in some builds): 0/1 bytes either way. */
function toBits(data: unknown): Uint8Array {
  return Uint8Array.from(data as ArrayLike<number | boolean>, (v) => (v ? 1 : 0));
}

export class OnnxEngine {
  private constructor(
    readonly modelPath: string,
    private readonly session: ort.InferenceSession,
    private readonly opened: OpenedRun,
    private readonly batch: number,
  ) {}

  static async open(opened: OpenedRun, options: OnnxEngineOptions = {}): Promise<OnnxEngine> {
    const { path } = ensureOnnxModel(opened, options);
    const session = await createSession(path, options.threads);
    return new OnnxEngine(path, session, opened, options.batch ?? 8);
  }

  /** Describes the engine for logs. */
  get description(): string {
    return `onnxruntime-node ${ort.env.versions.common} (CPU), ${this.modelPath}`;
  }

  /** Maps [n, S, S] and scores [n] for n images given as NHWC float32 pixels in 0..255, with the decision outputs when the graph has them. */
  async run(pixels: Float32Array, n: number): Promise<EngineOutputs> {
    const S = this.opened.dims.inputSize;
    const out = await this.session.run({ images: new ort.Tensor('float32', pixels, [n, S, S, 3]) });
    const decided = out.labels && out.masks && out.normalised_scores;
    return {
      maps: out.maps.data as Float32Array,
      scores: out.scores.data as Float32Array,
      ...(decided ? { labels: toBits(out.labels.data), masks: toBits(out.masks.data), normalisedScores: out.normalised_scores.data as Float32Array } : {}),
    };
  }

  /** The ONNX counterpart of runtime/inference/score.ts scoreImages: same images, same outputs, plus the graph's labels and masks. */
  async scoreImages(paths: string[], ctx: { progress: Progress; label: string }): Promise<ScoredImage[]> {
    const { spec, dims } = this.opened;
    const size = dims.inputSize;
    const pixelsPer = size * size * 3;
    const filter = resizeFilter(spec);
    const id = `onnx:${ctx.label}`;
    const started = performance.now();
    ctx.progress({ kind: 'phase', id, label: `scoring with onnxruntime (${ctx.label})`, total: paths.length, unit: 'img' });
    const out: ScoredImage[] = [];
    for (let start = 0; start < paths.length; start += this.batch) {
      const chunk = paths.slice(start, start + this.batch);
      const pixels = new Float32Array(chunk.length * pixelsPer);
      for (let b = 0; b < chunk.length; b++) pixels.set(await readImageRgb(chunk[b], size, filter), b * pixelsPer);
      const r = await this.run(pixels, chunk.length);
      for (let b = 0; b < chunk.length; b++) {
        const plane = [b * size * size, (b + 1) * size * size] as const;
        const decided =
          r.labels && r.masks && r.normalisedScores ? { label: r.labels[b] as 0 | 1, mask: r.masks.slice(...plane), normalised: r.normalisedScores[b] } : {};
        out.push({ map: r.maps.slice(...plane), score: r.scores[b], ...decided });
      }
      ctx.progress({ kind: 'tick', id, done: out.length, total: paths.length });
    }
    ctx.progress({ kind: 'phase-end', id, seconds: (performance.now() - started) / 1000 });
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export async function createSession(path: string, threads?: number): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
  } catch (err) {
    throw new UserError(`onnxruntime could not load ${path}: ${(err as Error).message.split('\n')[0]}`, {
      where: path,
      hint: 'export it again: dadfc export RUN --format onnx -o FILE.onnx',
    });
  }
}
