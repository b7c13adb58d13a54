#!/usr/bin/env python3
"""Independent reference values for the metric tests (numpy + scipy, written separately from the
TypeScript code and computed differently: AUROC from average ranks (Mann-Whitney U), F1 and sPRO
by brute force over every distinct threshold, AUPRO by the official MVTec AD procedure with
scipy.ndimage.label).

Regenerate the fixture (from the repository root):
    python3 test/metrics/reference/reference.py > test/metrics/fixtures/reference.json
Inputs come from Python's own `random` with a fixed seed, so the file is reproducible.
"""
import json
import random
import sys
from bisect import bisect

import numpy as np
from scipy.ndimage import label
from scipy.stats import rankdata

SEED = 20240611
FPR_LIMIT = 0.3
SPRO_LIMITS = [0.01, 0.05, 0.1, 0.3, 1.0]


def f32(x):
    return float(np.float32(x))


def auroc_ranks(scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    p, n = labels.sum(), (~labels).sum()
    if p == 0 or n == 0:
        return None
    ranks = rankdata(scores)  # average ranks for ties
    u = ranks[labels].sum() - p * (p + 1) / 2
    return float(u / (p * n))


def f1_max_brute(scores, labels):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    p = labels.sum()
    if p == 0:
        return None
    best = 0.0
    for t in np.unique(scores):
        pred = scores >= t
        tp = np.sum(pred & labels)
        fp = np.sum(pred & ~labels)
        f1 = 2 * tp / (2 * tp + fp + (p - tp))
        best = max(best, f1)
    return float(best)


def trapezoid_to(x, y, x_max):
    """Official MVTec AD trapezoid: cut at x_max with linear interpolation there."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    correction = 0.0
    if x_max not in x:
        ins = bisect(x, x_max)
        assert 0 < ins < len(x)
        y_interp = y[ins - 1] + (y[ins] - y[ins - 1]) * (x_max - x[ins - 1]) / (x[ins] - x[ins - 1])
        correction = 0.5 * (y_interp + y[ins - 1]) * (x_max - x[ins - 1])
    mask = x <= x_max
    x, y = x[mask], y[mask]
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * (x[1:] - x[:-1])) + correction)


def aupro_official(maps, masks):
    structure = np.ones((3, 3), dtype=int)
    fp_changes, pro_changes = [], []
    ok_total, regions_total = 0, 0
    for gt in masks:
        labeled, n = label(gt, structure)
        regions_total += n
        ok = labeled == 0
        ok_total += ok.sum()
        fp_changes.append(ok.astype(np.float64).ravel())
        pro = np.zeros(gt.shape, dtype=np.float64)
        for k in range(n):
            region = labeled == k + 1
            pro[region] = 1.0 / region.sum()
        pro_changes.append(pro.ravel())
    if regions_total == 0 or ok_total == 0:
        return None
    scores = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    fp = np.concatenate(fp_changes)
    pro = np.concatenate(pro_changes)
    order = np.argsort(scores, kind='stable')[::-1]
    scores, fp, pro = scores[order], fp[order], pro[order]
    fprs = np.cumsum(fp) / ok_total
    pros = np.cumsum(pro) / regions_total
    keep = np.append(np.diff(scores) != 0, True)
    fprs = np.clip(fprs[keep], None, 1.0)
    pros = np.clip(pros[keep], None, 1.0)
    fprs = np.concatenate(([0.0], fprs, [1.0]))
    pros = np.concatenate(([0.0], pros, [1.0]))
    return trapezoid_to(fprs, pros, FPR_LIMIT) / FPR_LIMIT


def saturation_area(area, cfg):
    if cfg['relative_saturation']:
        return max(1, int(cfg['saturation_threshold'] * area))
    return max(1, min(cfg['saturation_threshold'], area))


def auspro_brute(images, configs):
    """images: list of (map, [channel arrays with pixel values])."""
    all_scores = np.unique(np.concatenate([m.ravel() for m, _ in images]))
    # Thresholds strictly between scores, as the LOCO code binarises with `score > t`.
    thresholds = np.concatenate(([np.inf], all_scores[::-1][1:], [-np.inf]))
    ok_total = 0
    for m, chans in images:
        union = np.zeros(m.shape, dtype=bool)
        for c in chans:
            union |= c > 0
        ok_total += (~union).sum()
    defects = [(m, c > 0, saturation_area((c > 0).sum(), configs[int(c.max())])) for m, chans in images for c in chans]
    if not defects or ok_total == 0:
        return {str(l): None for l in SPRO_LIMITS}
    fprs, spros = [], []
    for t in thresholds:
        fp = 0
        for m, chans in images:
            union = np.zeros(m.shape, dtype=bool)
            for c in chans:
                union |= c > 0
            fp += np.sum((m > t) & ~union)
        fprs.append(fp / ok_total)
        spros.append(np.mean([min(np.sum((m > t) & d) / s, 1.0) for m, d, s in defects]))
    out = {}
    for limit in SPRO_LIMITS:
        out[repr_limit(limit)] = trapezoid_to(fprs, spros, limit) / limit
    return out


def repr_limit(limit):
    return '1' if limit == 1.0 else repr(limit)


def blob(rng, mask, value, h, w, size):
    y, x = rng.randrange(h), rng.randrange(w)
    for _ in range(size):
        mask[y][x] = value
        y = min(h - 1, max(0, y + rng.choice((-1, 0, 1))))
        x = min(w - 1, max(0, x + rng.choice((-1, 0, 1))))


def make_map(rng, h, w, mask, levels):
    out = []
    for yy in range(h):
        for xx in range(w):
            base = rng.randrange(levels) / levels
            if mask is not None and mask[yy][xx]:
                base += rng.randrange(levels) / levels * 0.8
            out.append(f32(base if rng.random() < 0.5 else base + rng.random() * 1e-3))
    return out


def mvtec_case(rng):
    h, w = 14, 11
    images = []
    for i in range(4):
        images.append(('good', 0, None))
    for t in ('crack', 'hole'):
        for i in range(4):
            mask = [[0] * w for _ in range(h)]
            for _ in range(rng.randrange(1, 4)):
                blob(rng, mask, 1, h, w, rng.randrange(1, 25))
            images.append((t, 1, mask))
    # Diagonal-only contact: one region under 8-connectivity, two under 4.
    diag = [[0] * w for _ in range(h)]
    diag[2][2] = diag[3][3] = diag[4][4] = 1
    diag[10][1] = 1
    images.append(('crack', 1, diag))
    out = []
    counters = {}
    for defect, lab, mask in images:
        k = counters.get(defect, 0)
        counters[defect] = k + 1
        m = make_map(rng, h, w, mask, 8)
        out.append({'id': f'{defect}/{k:03d}', 'defect': defect, 'label': lab, 'width': w, 'height': h,
                    'map': m, 'mask': None if mask is None else [v for row in mask for v in row]})
    return out


def mvtec_expected(images):
    def scope(imgs):
        scores = [max(i['map']) for i in imgs]
        labels = [i['label'] for i in imgs]
        maps = [np.array(i['map'], dtype=np.float64).reshape(i['height'], i['width']) for i in imgs]
        masks = [np.zeros((i['height'], i['width']), dtype=np.uint8) if i['mask'] is None
                 else np.array(i['mask'], dtype=np.uint8).reshape(i['height'], i['width']) for i in imgs]
        px_scores = np.concatenate([m.ravel() for m in maps])
        px_labels = np.concatenate([m.ravel() for m in masks]) > 0
        return {
            'image_auroc': auroc_ranks(scores, labels),
            'pixel_auroc': auroc_ranks(px_scores, px_labels),
            'aupro': aupro_official(maps, masks),
            'f1_max_image': f1_max_brute(scores, labels),
            'f1_max_pixel': f1_max_brute(px_scores, px_labels),
        }
    types = sorted({i['defect'] for i in images if i['defect'] != 'good'})
    result = scope(images)
    result['per_type'] = {t: scope([i for i in images if i['defect'] in ('good', t)]) for t in types}
    return result


def loco_case(rng):
    h, w = 12, 12
    configs = [
        {'defect_name': 'missing_thing', 'pixel_value': 255, 'saturation_threshold': 20, 'relative_saturation': False},
        {'defect_name': 'scratch', 'pixel_value': 254, 'saturation_threshold': 0.5, 'relative_saturation': True},
        {'defect_name': 'extra', 'pixel_value': 253, 'saturation_threshold': 3, 'relative_saturation': False},
    ]
    images = []
    counters = {}
    plan = [('good', 0)] * 3 + [('logical_anomalies', 2)] * 3 + [('structural_anomalies', 1)] * 3 + [('structural_anomalies', 2)]
    for defect, n_channels in plan:
        k = counters.get(defect, 0)
        counters[defect] = k + 1
        channels = []
        union = [[0] * w for _ in range(h)]
        for _ in range(n_channels if defect != 'good' else 0):
            cfg = rng.choice(configs)
            mask = [[0] * w for _ in range(h)]
            blob(rng, mask, cfg['pixel_value'], h, w, rng.randrange(2, 30))
            channels.append([v for row in mask for v in row])
            for yy in range(h):
                for xx in range(w):
                    union[yy][xx] |= mask[yy][xx] > 0
        images.append({'id': f'{defect}/{k:03d}', 'defect': defect, 'label': 1 if defect != 'good' else 0,
                       'width': w, 'height': h, 'map': make_map(rng, h, w, union if channels else None, 6),
                       'channels': channels})
    return configs, images


def loco_expected(configs, images):
    by_value = {c['pixel_value']: c for c in configs}

    def prep(imgs):
        return [(np.array(i['map'], dtype=np.float64).reshape(i['height'], i['width']),
                 [np.array(c, dtype=np.int64).reshape(i['height'], i['width']) for c in i['channels']]) for i in imgs]
    out = {}
    for t in ('logical_anomalies', 'structural_anomalies'):
        out[t] = auspro_brute(prep([i for i in images if i['defect'] in ('good', t)]), by_value)
    out['mean'] = {k: (out['logical_anomalies'][k] + out['structural_anomalies'][k]) / 2 for k in out['logical_anomalies']}
    return out


def main():
    rng = random.Random(SEED)
    mvtec = mvtec_case(rng)
    configs, loco = loco_case(rng)
    json.dump({
        'generator': 'test/metrics/reference/reference.py',
        'mvtec': {'images': mvtec, 'expected': mvtec_expected(mvtec)},
        'loco': {'defects_config': configs, 'images': loco, 'expected': loco_expected(configs, loco)},
    }, sys.stdout, separators=(',', ':'))
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
