// dadfc weights inspect FILE: what a weight file is, the architecture it most likely holds,
// its parameter count, and which taps it can build.
import type { Command } from 'commander';
import { inspectWeights } from '../../compiler/weights/index.ts';

export function register(program: Command): void {
  const weights = program.command('weights').description('Work with backbone weight files.');
  weights
    .command('inspect')
    .description('Format, architecture guess, parameter count and buildable taps of a weight file.')
    .argument('<file>', 'TF.js model folder or model.json, .safetensors, or PyTorch .pth')
    .option('--tensors', 'list every tensor with its shape')
    .option('--json', 'print the inspection as JSON')
    .action((file: string, opts: { tensors?: boolean; json?: boolean }) => {
      const r = inspectWeights(file);
      if (opts.json) {
        process.stdout.write(JSON.stringify(opts.tensors ? r : { ...r, tensors: undefined }, null, 2) + '\n');
        return;
      }
      const lines = [
        `file:        ${r.path}`,
        `format:      ${r.format}`,
        `tensors:     ${r.tensorCount}`,
        `parameters:  ${r.parameterCount.toLocaleString('en-US')}`,
      ];
      if (r.guess) {
        const g = r.guess;
        const name = g.arch.startsWith('mobilenet') ? `${g.arch} α${g.alpha}` : g.arch;
        lines.push(`architecture: ${name}${g.unused ? ` (${g.unused} tensors not used by the backbone, e.g. a classifier head)` : ''}`);
        const missing = g.allTaps.filter((t) => !g.buildableTaps.includes(t));
        lines.push(`buildable taps: ${g.buildableTaps.length ? g.buildableTaps.join(', ') : 'none'}`);
        if (missing.length) lines.push(`not buildable: ${missing.join(', ')}`);
      } else {
        lines.push('architecture: unknown (no backbone of the table matches these tensor names)');
      }
      if (r.unavailable.length) {
        lines.push(`missing bytes: ${r.unavailable.length} tensors, e.g. ${r.unavailable[0].name} in ${r.unavailable[0].location}`);
      }
      if (opts.tensors) for (const t of r.tensors) lines.push(`  ${t.name} [${t.shape.join(', ')}] ${t.dtype}${t.available ? '' : ' (missing)'}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
