// A run process (`dadfc run-job`, started by run-process.ts): receives one job over IPC, trains
// and tests it with the thread count it was given, answers with its result or its failure, exits.
// It also exits when its parent goes away (the IPC channel closes), so that a killed worker
// leaves no run behind that another worker will resume.
import { initBackend } from '../../runtime/backend.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import type { Progress } from '../../runtime/progress.ts';
import { isUserError, UserError } from '../../common/errors.ts';
import { RunDirInUse } from '../../runtime/run/lock.ts';
import { describeFailure, executeJob } from './job.ts';
import type { ChildReply, ChildRequest } from './run-process.ts';

const reply = (message: ChildReply, then: () => void = () => {}) => process.send?.(message, then);

/** Serves the one job this process was started for; the process exits when it is answered. */
export function serveOneJob(): Promise<never> {
  if (!process.send) throw new UserError('run-job is started by sweep, bench and worker (it reads its job over IPC)', { where: 'run-job', exitCode: 2 });
  let answered = false;
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
      // A run directory still locked by a live process is not the user's doing: try again later.
      answer = { kind: 'failed', userError: isUserError(error) && !(error instanceof RunDirInUse), message: describeFailure(error) };
    }
    answered = true;
    reply(answer, () => process.exit(0));
  });
  return new Promise<never>(() => {});
}
