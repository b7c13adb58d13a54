// Option parsers and option groups shared by several verbs.
import type { Command } from 'commander';

export const collectSets = (value: string, previous: string[]) => [...previous, value];

/** The pipeline and data options of the verbs that train (train, run). */
export function addPipelineDataOptions(cmd: Command): Command {
  return cmd
    .argument('<file>', '.dadf or .yaml pipeline file')
    .requiredOption('--data <dir>', 'data set folder (MVTec AD, MVTec LOCO, good/ + test/ folders, or good images only; see docs/your-data.md)')
    .option('-o, --out <run>', 'run directory (default runs/<pipeline>-<data>)')
    .option('--set <key=value>', 'override a pipeline key (repeatable)', collectSets, [])
    .option('--pipeline <name>', 'which pipeline of the file (default: the first)')
    .option('--skip-bad', 'skip unreadable images (listed) instead of stopping');
}
