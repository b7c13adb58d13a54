// An independent, deliberately naive re-statement of torchvision's ResNet forward in plain
// JS (NCHW, float64, weights read straight from the state dict in OIHW), to check the
// tfjs-core backbone against torchvision semantics without Python: symmetric zero padding,
// max pool 3/2 pad 1 padding with −∞, BN eps 1e-5 unfolded, Bottleneck stride on conv2.
import type { NativeWeights } from '../../formats/index.ts';

export interface Chw {
  c: number;
  h: number;
  w: number;
  data: Float64Array;
}

function conv(x: Chw, sd: NativeWeights, name: string, stride: number, pad: number): Chw {
  const wt = sd.get(`${name}.weight`)!;
  const [o, i, kh, kw] = wt.shape;
  const h = Math.floor((x.h + 2 * pad - kh) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - kw) / stride) + 1;
  const out = new Float64Array(o * h * w);
  for (let oc = 0; oc < o; oc++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let s = 0;
        for (let ic = 0; ic < i; ic++)
          for (let dy = 0; dy < kh; dy++) {
            const iy = y * stride - pad + dy;
            if (iy < 0 || iy >= x.h) continue;
            for (let dx = 0; dx < kw; dx++) {
              const ix = xx * stride - pad + dx;
              if (ix < 0 || ix >= x.w) continue;
              s += x.data[(ic * x.h + iy) * x.w + ix] * wt.data[((oc * i + ic) * kh + dy) * kw + dx];
            }
          }
        out[(oc * h + y) * w + xx] = s;
      }
  return { c: o, h, w, data: out };
}

function bn(x: Chw, sd: NativeWeights, name: string): Chw {
  const g = sd.get(`${name}.weight`)!.data;
  const b = sd.get(`${name}.bias`)!.data;
  const m = sd.get(`${name}.running_mean`)!.data;
  const v = sd.get(`${name}.running_var`)!.data;
  const out = new Float64Array(x.data.length);
  const hw = x.h * x.w;
  for (let c = 0; c < x.c; c++) for (let k = 0; k < hw; k++) out[c * hw + k] = ((x.data[c * hw + k] - m[c]) / Math.sqrt(v[c] + 1e-5)) * g[c] + b[c];
  return { ...x, data: out };
}

const relu = (x: Chw): Chw => ({ ...x, data: x.data.map((v) => Math.max(0, v)) });
const add = (a: Chw, b: Chw): Chw => ({ ...a, data: a.data.map((v, k) => v + b.data[k]) });

function maxPool(x: Chw): Chw {
  const h = Math.floor((x.h + 2 - 3) / 2) + 1;
  const w = Math.floor((x.w + 2 - 3) / 2) + 1;
  const out = new Float64Array(x.c * h * w);
  for (let c = 0; c < x.c; c++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++) {
        let best = -Infinity;
        for (let dy = 0; dy < 3; dy++)
          for (let dx = 0; dx < 3; dx++) {
            const iy = y * 2 - 1 + dy;
            const ix = xx * 2 - 1 + dx;
            if (iy >= 0 && iy < x.h && ix >= 0 && ix < x.w) best = Math.max(best, x.data[(c * x.h + iy) * x.w + ix]);
          }
        out[(c * h + y) * w + xx] = best;
      }
  return { c: x.c, h, w, data: out };
}

/** torchvision ResNet up to layer `upTo` (1-based) on one HWC 0..255 image; returns NCHW taps. */
export function torchResnet(sd: NativeWeights, hwc: Float32Array, size: number, blocks: number[], bottleneck: boolean, upTo: number): Chw[] {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float64Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let k = 0; k < size * size; k++) data[c * size * size + k] = (hwc[k * 3 + c] / 255 - mean[c]) / std[c];
  let h = maxPool(relu(bn(conv({ c: 3, h: size, w: size, data }, sd, 'conv1', 2, 3), sd, 'bn1')));
  const taps: Chw[] = [];
  for (let l = 0; l < upTo; l++) {
    for (let b = 0; b < blocks[l]; b++) {
      const p = `layer${l + 1}.${b}`;
      const s = l > 0 && b === 0 ? 2 : 1;
      let y: Chw;
      if (bottleneck) {
        y = relu(bn(conv(h, sd, `${p}.conv1`, 1, 0), sd, `${p}.bn1`));
        y = relu(bn(conv(y, sd, `${p}.conv2`, s, 1), sd, `${p}.bn2`));
        y = bn(conv(y, sd, `${p}.conv3`, 1, 0), sd, `${p}.bn3`);
      } else {
        y = relu(bn(conv(h, sd, `${p}.conv1`, s, 1), sd, `${p}.bn1`));
        y = bn(conv(y, sd, `${p}.conv2`, 1, 1), sd, `${p}.bn2`);
      }
      const identity = sd.has(`${p}.downsample.0.weight`) ? bn(conv(h, sd, `${p}.downsample.0`, s, 0), sd, `${p}.downsample.1`) : h;
      h = relu(add(y, identity));
    }
    taps.push(h);
  }
  return taps;
}

/** torchvision VGG `features` (no BN) on one HWC 0..255 image, through the first `convs`
 * entries of cfg (numbers = conv widths, 'M' = max pool 2/2); returns every output, NCHW. */
export function torchVgg(sd: NativeWeights, hwc: Float32Array, size: number, cfg: Array<number | 'M'>): Chw[] {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float64Array(3 * size * size);
  for (let c = 0; c < 3; c++) for (let k = 0; k < size * size; k++) data[c * size * size + k] = (hwc[k * 3 + c] / 255 - mean[c]) / std[c];
  let h: Chw = { c: 3, h: size, w: size, data };
  let index = 0;
  const outs: Chw[] = [];
  for (const item of cfg) {
    if (item === 'M') {
      const oh = Math.floor(h.h / 2);
      const ow = Math.floor(h.w / 2);
      const out = new Float64Array(h.c * oh * ow);
      for (let c = 0; c < h.c; c++)
        for (let y = 0; y < oh; y++)
          for (let x = 0; x < ow; x++) {
            let best = -Infinity;
            for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) best = Math.max(best, h.data[(c * h.h + 2 * y + dy) * h.w + 2 * x + dx]);
            out[(c * oh + y) * ow + x] = best;
          }
      h = { c: h.c, h: oh, w: ow, data: out };
      index += 1;
    } else {
      const y = conv(h, sd, `features.${index}`, 1, 1);
      const bias = sd.get(`features.${index}.bias`)!.data;
      const hw = y.h * y.w;
      h = { ...y, data: y.data.map((v, k) => Math.max(0, v + bias[Math.floor(k / hw)])) };
      index += 2;
    }
    outs.push(h);
  }
  return outs;
}
