// How much memory training a plan needs at least, checked against this machine before anything
// is allocated: `check` warns when it exceeds this machine's memory (the pipeline may be meant
// for another one); training refuses to start when it exceeds the memory available now, with
// the numbers, instead of growing until the process is killed (docs/limits.md).
import { totalmem } from 'node:os';
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import { usesModel } from './heads.ts';
import type { Plan } from './plan.ts';

export interface MemoryEstimate {
  /** Bytes of parameters, their gradients and the optimizer's two moments (float32). */
  parameters: number;
  /** Bytes of activations kept for the backward pass, and their gradients, for one batch. */
  activations: number;
  /** Bytes of fitted head state with what it is fitted from (a Gaussian's transforms and scatter matrices); a knn bank grows with the data and is not counted. */
  heads: number;
  total: number;
  batch: number;
}

/** A lower bound: the frozen backbone, tfjs's temporaries and the data are not counted. */
export function estimateTrainingMemory(plan: Plan): MemoryEstimate {
  const train = plan.spec.train;
  const batch = Math.max(train.batch, ...Object.values(train.stages).map((s) => s?.batch ?? 0));
  const parameters = 4 * 4 * plan.totals.params;
  let elements = 0;
  for (const node of plan.nodes) elements += node.shape.reduce((a, b) => a * b, 1);
  // Attention weights of both branches in every block: heads x (T x T + L x T).
  const { tokens: T, memoryTokens: L, heads } = plan.dims;
  if (usesModel(plan.spec)) elements += plan.spec.transformer.depth * heads * (T * T + L * T);
  const activations = 2 * 4 * batch * elements;
  const headBytes = 2 * plan.totals.headBytes;
  return { parameters, activations, heads: headBytes, total: parameters + activations + headBytes, batch };
}

export const MEMORY_CODE = 'DADF4030';

export const SMALLER_HINT = 'make it smaller: input.size, embed.dim, transformer.depth, memory.tokens, flow.steps or train.batch';

/** "at least 3.1 GiB (… parameters …, … activations …)" */
export function describeNeed(plan: Plan, need = estimateTrainingMemory(plan)): string {
  return `at least ${gib(need.total)} GiB (${gib(need.parameters)} GiB for ${plan.totals.params.toLocaleString('en-US')} parameters with gradients and optimizer state, ${gib(need.activations)} GiB of activations for a batch of ${need.batch}${need.heads ? `, ${gib(need.heads)} GiB to fit the heads` : ''})`;
}

/** A warning when training the plan cannot fit in this machine's memory at all. */
export function memoryDiagnostic(plan: Plan, range: SourceRange, available = totalmem()): Diagnostic | undefined {
  const need = estimateTrainingMemory(plan);
  if (need.total <= available) return undefined;
  return {
    severity: 'warning',
    code: MEMORY_CODE,
    message: `training this pipeline needs ${describeNeed(plan, need)}; this machine has ${gib(available)} GiB, so dadfc train will refuse it here`,
    range,
    hint: SMALLER_HINT,
  };
}

export const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1);
