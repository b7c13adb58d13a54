// Agreement with an independent implementation (numpy/scipy: rank-based AUROC, brute-force F1
// and sPRO, the official MVTec AUPRO procedure with scipy.ndimage.label) on fixed small inputs.
// Regenerate the fixture from the repository root with:
//   python3 test/metrics/reference/reference.py > test/metrics/fixtures/reference.json
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { evaluate, type EvalImage, type DefectConfig } from '../../runtime/metrics/index.ts';

interface FixtureImage {
  id: string;
  defect: string;
  label: 0 | 1;
  width: number;
  height: number;
  map: number[];
  mask?: number[] | null;
  channels?: number[][];
}
type Expected = Record<string, number | null>;
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/reference.json', import.meta.url)), 'utf8')) as {
  mvtec: { images: FixtureImage[]; expected: Expected & { per_type: Record<string, Expected> } };
  loco: { defects_config: DefectConfig[]; images: FixtureImage[]; expected: Record<string, Record<string, number>> };
};

const close = (actual: number | null | undefined, expected: number | null, what: string, tol = 1e-12) => {
  assert.ok(typeof actual === 'number' && typeof expected === 'number', `${what}: ${actual} vs ${expected}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, reference ${expected}`);
};

const METRICS = ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max_image', 'f1_max_pixel'] as const;

test('MVTec-style metrics agree with the numpy/scipy reference, overall and per type', () => {
  const images: EvalImage[] = fixture.mvtec.images.map((i) => ({
    id: i.id,
    defect: i.defect,
    label: i.label,
    width: i.width,
    height: i.height,
    map: Float32Array.from(i.map),
    mask: i.mask ? Uint8Array.from(i.mask) : null,
  }));
  const result = evaluate({ images });
  for (const m of METRICS) close(result[m], fixture.mvtec.expected[m] as number, m);
  for (const [type, expected] of Object.entries(fixture.mvtec.expected.per_type)) {
    for (const m of METRICS) close(result.per_type[type][m], expected[m] as number, `${type}.${m}`);
  }
});

test('LOCO AUsPRO at every FPR limit agrees with the brute-force reference', () => {
  const byValue = new Map(fixture.loco.defects_config.map((c) => [c.pixel_value, c]));
  const images: EvalImage[] = fixture.loco.images.map((i) => {
    const channels = (i.channels ?? []).map((c) => {
      const value = Math.max(...c);
      return { mask: Uint8Array.from(c, (v) => (v > 0 ? 1 : 0)), config: byValue.get(value)! };
    });
    const union = new Uint8Array(i.width * i.height);
    for (const c of channels) for (let p = 0; p < union.length; p++) union[p] |= c.mask[p];
    return {
      id: i.id,
      defect: i.defect,
      label: i.label,
      width: i.width,
      height: i.height,
      map: Float32Array.from(i.map),
      mask: channels.length ? union : null,
      channels,
    };
  });
  const result = evaluate({ images, loco: true });
  assert.ok(result.spro);
  for (const scope of ['logical_anomalies', 'structural_anomalies', 'mean']) {
    for (const [limit, expected] of Object.entries(fixture.loco.expected[scope])) {
      close(result.spro[scope][limit], expected, `${scope} AUsPRO@${limit}`, 1e-10);
    }
  }
});
