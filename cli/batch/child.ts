// Entry of a run process (started by run-process.ts): receives one job over IPC, trains and
// tests it with the thread count it was given, answers with its result or its failure, exits.
// It also exits when its parent goes away (the IPC channel closes), so that a killed worker
// leaves no run behind that another worker will resume.
import { initBackend } from '../../runtime/backend.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import type { Progress } from '../../runtime/progress.ts';
import { isUserError } from '../../grammar/errors.ts';
import { describeFailure, executeJob } from './job.ts';
import type { ChildReply, ChildRequest } from './run-process.ts';

let answered = false;
const reply = (message: ChildReply, then: () => void = () => {}) => process.send?.(message, then);

process.on('disconnect', () => {
  if (!answered) process.exit(70);
});

process.once('message', async (request: ChildRequest) => {
  const progress: Progress = (event) => {
    if (event.kind === 'phase') reply({ kind: 'progress', text: event.label });
    else if (event.kind === 'log' && event.level === 'warn') reply({ kind: 'warn', message: event.message });
  };
  let answer: ChildReply;
  try {
    const backend = await initBackend(request.runtime.backend, { threads: request.runtime.threads });
    const cache = FeatureCache.open({ dir: request.runtime.cache === false ? null : request.runtime.cacheDir });
    const result = await executeJob(request.job, { backend, cache, progress: Object.assign(progress, { stop() {} }) });
    answer = { kind: 'done', result };
  } catch (error) {
    answer = { kind: 'failed', userError: isUserError(error), message: describeFailure(error) };
  }
  answered = true;
  reply(answer, () => process.exit(0));
});
