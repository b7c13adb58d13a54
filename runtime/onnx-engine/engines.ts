// The scoring engines `dadfc test` and `dadfc predict` offer. Kept apart from the engine so
// choosing one does not load onnxruntime's native library.
import { UserError } from '../../common/errors.ts';

/** The engines `dadfc test` and `dadfc predict` offer. */
const ENGINES = ['tfjs', 'onnx'] as const;
export type EngineName = (typeof ENGINES)[number];

export function parseEngine(value: string | undefined): EngineName {
  const v = value ?? 'tfjs';
  if (!(ENGINES as readonly string[]).includes(v))
    throw new UserError(`unknown engine ${v}`, { where: '--engine', hint: `engines: ${ENGINES.join(', ')}`, exitCode: 2 });
  return v as EngineName;
}
