// Property, beside the grammar fuzzers: whatever bytes a person hands the CLI as a pipeline, an
// anomaly map or an image (random, or a valid file mutated: bytes flipped, cut, inserted, size
// fields made huge), reading it ends in a result or one UserError. Never another exception,
// never a hang, never unbounded memory. A few seconds in all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode as encodeBmp } from 'bmp-ts';
import fc from 'fast-check';
import sharp from 'sharp';
import { isUserError } from '../../common/errors.ts';
import { compileFile } from '../../compiler/index.ts';
import { encodeNpy, formatTiff } from '../../formats/index.ts';
import { checkDecodes } from '../../runtime/data/images.ts';
import { imageSize, readImageRgb, readMap } from '../../runtime/data/index.ts';
import { aliasBomb } from '../compiler/hostile.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';

const dir = tempDir();
let counter = 0;
const SECONDS_PER_INPUT = 5;
const HEAP_GROWTH_MIB = 512;

type Mutation = { kind: 'flip' | 'cut' | 'insert' | 'huge'; at: number; bytes: number[] };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('flip', 'cut', 'insert', 'huge'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
});

function mutate(seed: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Buffer.from(seed);
  for (const m of mutations) {
    const at = Math.min(out.length, Math.floor(m.at * out.length));
    if (m.kind === 'flip') for (const [i, b] of m.bytes.entries()) if (at + i < out.length) out[at + i] ^= b || 0xff;
    if (m.kind === 'cut') out = out.subarray(0, at);
    if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
    // A size field (in the first 64 bytes: headers) set to a huge value.
    if (m.kind === 'huge' && out.length >= 4) out.writeUInt32LE(0xfffffff0, Math.min(out.length - 4, Math.floor(m.at * 64)));
  }
  return out;
}

/** Runs `read` on the bytes written to a file named `name`: a value or a UserError, in bounded time and memory. */
async function survives(name: string, bytes: Uint8Array | string, read: (path: string) => unknown): Promise<void> {
  const path = join(dir, `${counter++}-${name}`);
  writeFileSync(path, bytes);
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  try {
    await read(path);
  } catch (error) {
    assert.ok(isUserError(error), `${name}: not a UserError: ${error instanceof Error ? error.stack : String(error)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < SECONDS_PER_INPUT, `${name}: ${seconds.toFixed(1)} s`);
  assert.ok((process.memoryUsage().heapUsed - heap) / 2 ** 20 < HEAP_GROWTH_MIB, `${name}: heap grew`);
}

const bytesArb = fc.uint8Array({ minLength: 0, maxLength: 4096 });
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

test('pipelines: random bytes and mutated pipelines (.dadf, .yaml) compile to diagnostics or throw a UserError', async () => {
  const seeds = ['tiny.dadf', 'tiny.yaml', 'dadf-cpu.yaml'].map((f) => ({ ext: f.slice(f.lastIndexOf('.')), bytes: readFileSync(join(pipelinesDir, f)) }));
  seeds.push({ ext: '.yaml', bytes: Buffer.from(aliasBomb()) });
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, bytesArb, fc.boolean(), async (i, ms, random, useRandom) => {
      const seed = seeds[i];
      await survives(`p${seed.ext}`, useRandom ? random : mutate(seed.bytes, ms), (path) => compileFile(path));
    }),
    { numRuns: 60 },
  );
});

test('maps: random and mutated .npy and .tiff files are read or refused with a UserError', async () => {
  const values = Float32Array.from({ length: 6 * 4 }, (_, i) => i / 7);
  const seeds = [
    { ext: '.npy', bytes: encodeNpy(values, [4, 6]) },
    { ext: '.tiff', bytes: formatTiff(values, 6, 4) },
  ];
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, bytesArb, fc.boolean(), async (i, ms, random, useRandom) => {
      const seed = seeds[i];
      await survives(`m${seed.ext}`, useRandom ? random : mutate(seed.bytes, ms), (path) => readMap(path));
    }),
    { numRuns: 120 },
  );
});

test('images: random and mutated PNG, JPEG and BMP files are read or refused with a UserError', async () => {
  const raw = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 37) % 256));
  const pixels = sharp(raw, { raw: { width: 16, height: 16, channels: 3 } });
  const abgr = Buffer.alloc(16 * 16 * 4, 0x7f);
  const seeds = [
    { ext: '.png', bytes: await pixels.clone().png().toBuffer() },
    { ext: '.jpg', bytes: await pixels.clone().jpeg().toBuffer() },
    { ext: '.bmp', bytes: encodeBmp({ width: 16, height: 16, data: abgr, bitPP: 24 }).data },
  ];
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), mutations, bytesArb, fc.boolean(), async (i, ms, random, useRandom) => {
      const seed = seeds[i];
      await survives(`i${seed.ext}`, useRandom ? random : mutate(seed.bytes, ms), async (path) => {
        await imageSize(path);
        await checkDecodes(path);
        await readImageRgb(path, 8);
      });
    }),
    { numRuns: 60 },
  );
});
