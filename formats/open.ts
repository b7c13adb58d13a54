// Opens a weight file by looking at its contents, not its name: a TF.js model folder or
// model.json, a .safetensors file, or a PyTorch zip (.pth/.pt). Anything else is refused
// with a message that says what was expected.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.ts';
import type { WeightFile } from './weight-file.ts';
import { looksLikeSafetensors, openSafetensors } from './safetensors.ts';
import { openTfjsLayers } from './tfjs-layers.ts';
import { openTorchZip } from './torch-zip.ts';

const EXPECTED = 'Expected a TF.js layers model (folder with model.json + shards), a .safetensors state dict, or a PyTorch .pth zip.';

export function openWeightFile(path: string): WeightFile {
  if (!existsSync(path)) {
    throw new UserError('weights file not found', { where: path, hint: EXPECTED });
  }
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'model.json'))) return openTfjsLayers(path);
    throw new UserError('this folder has no model.json', { where: path, hint: EXPECTED });
  }
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(16);
  let size = 0;
  try {
    size = fstatSync(fd).size;
    readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return openTorchZip(path);
  if (head[0] === 0x7b || (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)) return openTfjsLayers(path);
  if (looksLikeSafetensors(head, size)) return openSafetensors(path);
  if (path.endsWith('.safetensors')) return openSafetensors(path); // gives the precise reason
  if (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) {
    throw new UserError('this is a legacy (pre-1.6) PyTorch pickle, which cannot be read without executing it', {
      where: path,
      hint: 'Re-save it in Python: torch.save(sd, "w.pth") with a current torch, or better safetensors.torch.save_file(sd, "w.safetensors").',
    });
  }
  throw new UserError(`not a weight file (${size} bytes; it starts with ${describeHead(head)})`, { where: path, hint: EXPECTED });
}

function describeHead(head: Buffer): string {
  const text = head.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `"${text}"`;
}
