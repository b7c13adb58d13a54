// SHA-256 content hashes (hex, cut to `length`): backbone ids, feature-cache keys and the
// checkpoint a model was exported from depend on the bytes, not the path, so a moved file
// keeps its cache and an edited one does not.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

export function hashFiles(paths: string[], length = 16): string {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1 << 20);
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      let n: number;
      while ((n = readSync(fd, chunk, 0, chunk.length, null)) > 0) hash.update(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  return hash.digest('hex').slice(0, length);
}

export function hashBytes(bytes: Uint8Array | string, length = 16): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, length);
}
