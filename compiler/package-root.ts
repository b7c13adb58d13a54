// The installed package's own folder (pipelines/, weights/, docs/), found from any module of
// it: sources, tsc's dist/ and the bundled CLI sit at different depths below it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'dadf') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('dadf: cannot find its own package.json above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
