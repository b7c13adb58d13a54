// Training refuses to start when its plan cannot fit in the memory this machine has free now
// (os.freemem is MemAvailable on Linux): a clear message instead of an out-of-memory kill later.
import { freemem, totalmem } from 'node:os';
import { buildPlan, describeNeed, estimateTrainingMemory, gib, SMALLER_HINT } from '../../compiler/index.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';

export function assertFitsInMemory(spec: Spec, available = freemem()): void {
  const plan = buildPlan(spec);
  const need = estimateTrainingMemory(plan);
  if (need.total <= available) return;
  throw new UserError(
    `not enough memory to train this pipeline: it needs ${describeNeed(plan, need)}; ${gib(available)} GiB of ${gib(totalmem())} GiB are free now`,
    {
      where: spec.name,
      hint: `${SMALLER_HINT}; or free memory and run again`,
    },
  );
}
