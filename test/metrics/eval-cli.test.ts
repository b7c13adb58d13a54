// dadfc eval end to end on tiny temp data sets: maps on disk in, table/JSON/CSV out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../cli/main.ts';
import { runEval } from '../../cli/commands/eval.ts';
import { UserError } from '../../common/errors.ts';
import { loadDataset, readMask, writeMap } from '../../runtime/data/index.ts';
import { evaluate } from '../../runtime/metrics/index.ts';
import { makeLoco, makeMvtec, tempDir } from '../data/make-fixtures.ts';

/** Maps that score defects higher, with noise: map = mask * 0.5 + pseudo-random. */
async function writeMaps(dataDir: string, mapsDir: string, size: number, ext = '.tiff'): Promise<void> {
  const ds = await loadDataset(dataDir);
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (const s of ds.test) {
    const mask = await readMask(s, size);
    const map = Float32Array.from(mask, (m) => m * 0.5 + Math.round(random() * 8) / 8);
    await writeMap(join(mapsDir, 'test', `${s.id}${ext}`), map, size, size);
  }
}

test('eval scores TIFF maps and writes JSON and CSV equal to evaluate()', async () => {
  const data = tempDir();
  const maps = tempDir();
  const out = tempDir();
  await makeMvtec(data);
  await writeMaps(data, maps, 16);
  const result = await runEval({ maps, data, json: join(out, 'm.json'), csv: join(out, 'm.csv'), quiet: true });
  const ds = await loadDataset(data);
  const images = await Promise.all(
    ds.test.map(async (s) => {
      const { readMap } = await import('../../runtime/data/index.ts');
      const plane = await readMap(join(maps, 'test', `${s.id}.tiff`));
      return { id: s.id, defect: s.defect, label: s.label, map: plane.data, mask: await readMask(s), width: 16, height: 16 };
    }),
  );
  const direct = evaluate({ images });
  assert.equal(result.pixel_auroc, direct.pixel_auroc);
  assert.equal(result.aupro, direct.aupro);
  const json = JSON.parse(readFileSync(join(out, 'm.json'), 'utf8'));
  for (const key of ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max_image', 'f1_max_pixel']) {
    assert.equal(json[key], (direct as unknown as Record<string, number>)[key]);
    assert.ok(json[key] >= 0 && json[key] <= 1);
  }
  assert.deepEqual(Object.keys(json.per_type), ['crack']);
  assert.equal(json.curves, undefined);
  const csv = readFileSync(join(out, 'm.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'scope,n_images,n_good,n_anomalous,image_auroc,pixel_auroc,aupro,f1_max_image,f1_max_pixel');
  assert.match(csv[2], /^overall,4,2,2,/);
});

test('eval resizes maps of another size to the masks and says so; .npy maps work', async () => {
  const data = tempDir();
  const maps = tempDir();
  await makeMvtec(data);
  await writeMaps(data, maps, 8, '.npy');
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
  try {
    const result = await runEval({ maps, data });
    assert.ok(typeof result.pixel_auroc === 'number');
  } finally {
    process.stdout.write = write;
  }
  const text = lines.join('');
  assert.match(text, /resized 4 map\(s\) 8x8 -> 16x16/);
  assert.match(text, /overall\s+4\s+/);
  // --size 8: masks come down to the maps' size; nothing to resize.
  const small = await runEval({ maps, data, size: 8, quiet: true });
  assert.ok(typeof small.aupro === 'number');
  const ds = await loadDataset(data);
  const { readMap } = await import('../../runtime/data/index.ts');
  const images = await Promise.all(
    ds.test.map(async (s) => ({
      id: s.id,
      defect: s.defect,
      label: s.label,
      map: (await readMap(join(maps, 'test', `${s.id}.npy`))).data,
      mask: await readMask(s, 8),
      width: 8,
      height: 8,
    })),
  );
  assert.equal(small.pixel_auroc, evaluate({ images }).pixel_auroc);
});

test('eval on a LOCO set reports AUsPRO for logical, structural and their mean', async () => {
  const data = tempDir();
  const maps = tempDir();
  await makeLoco(data);
  await writeMaps(data, maps, 16);
  const result = await runEval({ maps, data, quiet: true });
  assert.ok(result.spro);
  for (const scope of ['logical_anomalies', 'structural_anomalies', 'mean']) {
    for (const limit of ['0.01', '0.05', '0.1', '0.3', '1']) {
      const v = result.spro[scope][limit];
      assert.ok(typeof v === 'number' && v >= 0 && v <= 1, `${scope}@${limit} = ${v}`);
    }
  }
});

test('eval: a missing map and a corrupt map are clear errors; the CLI exits 1 without a stack', async () => {
  const data = tempDir();
  const maps = tempDir();
  await makeMvtec(data);
  await writeMaps(data, maps, 16);
  writeFileSync(join(maps, 'test/crack/001.tiff'), 'garbage');
  await assert.rejects(
    runEval({ maps, data, quiet: true }),
    (e) => e instanceof UserError && /cannot read TIFF map/.test(e.message) && /001\.tiff$/.test(e.where ?? ''),
  );
  const { rmSync } = await import('node:fs');
  rmSync(join(maps, 'test/crack/001.tiff'));
  await assert.rejects(runEval({ maps, data, quiet: true }), (e) => e instanceof UserError && /no anomaly map for test image crack\/001/.test(e.message));
  const errors: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => (errors.push(String(s)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['eval', '--maps', maps, '--data', data]);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 1);
  assert.match(errors.join(''), /error: no anomaly map for test image crack\/001/);
  assert.doesNotMatch(errors.join(''), /\n\s+at /);
});
