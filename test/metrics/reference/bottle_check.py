#!/usr/bin/env python3
"""Reference metrics for maps written by bottle-maps.ts (see there for the whole procedure):
image AUROC (map max) and pixel AUROC by average ranks, AUPRO by the official MVTec procedure.
Compare with `dadfc eval --json`: AUROC should agree to 1e-6 or better, AUPRO to 1e-4 or better.
Needs numpy and scipy; reads the TIFF maps with a tiny parser (uncompressed float32 strips)."""
import glob
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import aupro_official, auroc_ranks  # noqa: E402


def read_tiff(path):
    data = open(path, 'rb').read()
    end = '<' if data[:2] == b'II' else '>'
    ifd = struct.unpack_from(end + 'I', data, 4)[0]
    tags = {}
    for k in range(struct.unpack_from(end + 'H', data, ifd)[0]):
        tag, typ, count, value = struct.unpack_from(end + 'HHII', data, ifd + 2 + 12 * k)
        if typ == 3 and count == 1:
            value = struct.unpack_from(end + 'H', data, ifd + 10 + 12 * k)[0]
        tags[tag] = value
    assert tags.get(259, 1) == 1 and tags[258] == 32 and tags[339] == 3, 'expects uncompressed float32'
    width, height = tags[256], tags[257]
    assert tags[278] >= height, 'expects one strip'
    return np.frombuffer(data, dtype=end + 'f4', count=width * height, offset=tags[273]).reshape(height, width)


def main(root):
    maps, masks, scores, labels = [], [], [], []
    for path in sorted(glob.glob(os.path.join(root, 'test', '*', '*.tiff'))):
        defect, name = path.split(os.sep)[-2:]
        m = read_tiff(path)
        g = np.load(os.path.join(root, 'masks', defect, name[:-5] + '.npy')) > 0
        maps.append(m)
        masks.append(g.astype(np.uint8))
        scores.append(float(m.max()))
        labels.append(0 if defect == 'good' else 1)
    pixels = np.concatenate([m.ravel() for m in maps]).astype(np.float64)
    truth = np.concatenate([g.ravel() for g in masks]) > 0
    result = {
        'image_auroc': auroc_ranks(scores, labels),
        'pixel_auroc': auroc_ranks(pixels, truth),
        'aupro': aupro_official(maps, masks),
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1])
