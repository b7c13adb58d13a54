// dadfc run-job (hidden): the process in which sweep, bench and worker run one job; it reads
// the job over IPC (cli/batch/child.ts). Not for people, so not listed.
import type { Command } from 'commander';

export function register(program: Command): void {
  program.command('run-job', { hidden: true }).action(async () => {
    const { serveOneJob } = await import('../batch/child.ts');
    await serveOneJob();
  });
}
