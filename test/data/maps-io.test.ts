// Anomaly map files: float32 TIFF and .npy written here, read back here and by other readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { fromArrayBuffer } from 'geotiff';
import { UserError } from '../../common/errors.ts';
import { readMap, resizeMapBilinear, writeMap } from '../../runtime/data/index.ts';
import { decodeNpy, decodeNpyPlane, encodeNpy, formatTiff } from '../../formats/index.ts';
import { tempDir } from './make-fixtures.ts';

const sample = () => Float32Array.from({ length: 5 * 3 }, (_, i) => (i - 7) * 0.37 + (i === 4 ? 1e-30 : 0));

test('float32 TIFF: written, read back exactly, and readable by geotiff and libvips', async () => {
  const dir = tempDir();
  const map = sample();
  const path = join(dir, 'test/crack/000.tiff');
  await writeMap(path, map, 5, 3);
  const back = await readMap(path);
  assert.equal(back.width, 5);
  assert.equal(back.height, 3);
  assert.deepEqual(back.data, map);
  const bytes = readFileSync(path);
  const image = await (await fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))).getImage();
  const rasters = await image.readRasters();
  assert.deepEqual(Array.from(rasters[0] as Float32Array), Array.from(map));
  const meta = await sharp(path).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels, meta.depth], [5, 3, 1, 'float']);
  const { data } = await sharp(path).extractChannel(0).raw({ depth: 'float' }).toBuffer({ resolveWithObject: true });
  assert.deepEqual(new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 60)), map);
});

test('TIFF maps that are not plain float32 go through geotiff (here: 8-bit grey from libvips)', async () => {
  const dir = tempDir();
  const path = join(dir, 'm.tif');
  await sharp(Buffer.from([0, 10, 20, 30, 40, 50]), { raw: { width: 3, height: 2, channels: 1 } })
    .tiff({ compression: 'deflate' })
    .toFile(path);
  const back = await readMap(path);
  assert.deepEqual(Array.from(back.data), [0, 10, 20, 30, 40, 50]);
  assert.equal(back.width, 3);
});

test('.npy: round trip, float64, Fortran order (2-D and 3-D) and (1, H, W) shapes', async () => {
  const dir = tempDir();
  const map = sample();
  await writeMap(join(dir, 'a.npy'), map, 5, 3);
  const back = await readMap(join(dir, 'a.npy'));
  assert.deepEqual(back.data, map);
  assert.equal(back.height, 3);
  // Hand-made headers.
  const npy = (descr: string, fortran: boolean, shape: string, values: number[], bytesPer: number) => {
    let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
    header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
    const out = new Uint8Array(10 + header.length + values.length * bytesPer);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const view = new DataView(out.buffer);
    view.setUint16(8, header.length, true);
    for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
    values.forEach((v, i) => (bytesPer === 8 ? view.setFloat64(10 + header.length + 8 * i, v, true) : view.setFloat32(10 + header.length + 4 * i, v, true)));
    return out;
  };
  // 2x3 [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6.
  const f = decodeNpyPlane(npy('<f8', true, '(2, 3)', [1, 4, 2, 5, 3, 6], 8), 'f.npy');
  assert.deepEqual(Array.from(f.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([f.height, f.width], [2, 3]);
  // Any rank in Fortran order comes back in C order: a[i][j][k] = 6i + 2j + k, i fastest on disk.
  const cube = decodeNpy(npy('<f4', true, '(2, 3, 2)', [0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11], 4), 'cube.npy');
  assert.deepEqual(cube.shape, [2, 3, 2]);
  assert.deepEqual(Array.from(cube.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(decodeNpy(encodeNpy(cube.data, [3, 4]), 'again.npy').shape, [3, 4]);
  const b = decodeNpyPlane(npy('<f4', false, '(1, 2, 3)', [1, 2, 3, 4, 5, 6], 4), 'b.npy');
  assert.deepEqual([b.height, b.width], [2, 3]);
  assert.throws(
    () => decodeNpyPlane(npy('<i4', false, '(2, 3)', [1, 2, 3, 4, 5, 6], 4), 'i.npy'),
    (e) => e instanceof UserError && /dtype <i4/.test(e.message),
  );
  assert.throws(() => decodeNpyPlane(npy('<f4', false, '(2, 3, 2)', new Array(12).fill(0), 4), 's.npy'), /not a 2-D map/);
  // The header is padded so that the data starts on a 64-byte boundary.
  assert.equal((encodeNpy(map, [3, 5]).length - 60) % 64, 0);
});

test('corrupt and unknown map files give a clear error naming the file', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'bad.tiff'), 'not a tiff');
  await assert.rejects(
    readMap(join(dir, 'bad.tiff')),
    (e) => e instanceof UserError && /cannot read TIFF map/.test(e.message) && /bad\.tiff$/.test(e.where ?? ''),
  );
  writeFileSync(join(dir, 'bad.npy'), 'not an npy');
  await assert.rejects(readMap(join(dir, 'bad.npy')), (e) => e instanceof UserError && /\\x93NUMPY/.test(e.message));
  await assert.rejects(readMap(join(dir, 'x.png')), (e) => e instanceof UserError && /unknown map format/.test(e.message));
  await assert.rejects(writeMap(join(dir, 'x.png'), new Float32Array(1), 1, 1), UserError);
});

test('an empty (0×0) .npy map is called empty, not a NaN value', async () => {
  const dir = tempDir();
  for (const shape of [
    [0, 0],
    [0, 5],
    [1, 0, 0],
  ]) {
    const path = join(dir, `empty-${shape.join('x')}.npy`);
    writeFileSync(path, encodeNpy(new Float32Array(0), shape));
    await assert.rejects(readMap(path), (e) => e instanceof UserError && /the map is empty \(\d×\d\): it has no values/.test(e.message) && e.where === path);
  }
});

test('a TIFF map whose header claims 70000×70000 pixels is refused before anything that size is allocated', async () => {
  const dir = tempDir();
  const bytes = Buffer.from(formatTiff(new Float32Array(6), 3, 2));
  const ifd = bytes.readUInt32LE(4);
  for (let k = 0; k < bytes.readUInt16LE(ifd); k++) {
    const at = ifd + 2 + 12 * k;
    if (bytes.readUInt16LE(at) === 256 || bytes.readUInt16LE(at) === 257) bytes.writeUInt32LE(70000, at + 8);
  }
  writeFileSync(join(dir, 'huge.tiff'), bytes);
  await assert.rejects(readMap(join(dir, 'huge.tiff')), (e) => e instanceof UserError && /cannot read TIFF map/.test(e.message));
});

test('bilinear map resize: identity, constant maps, and pixel-centre alignment', () => {
  const map = Float32Array.from([0, 1, 2, 3]);
  assert.equal(resizeMapBilinear(map, 4, 1, 4, 1), map);
  const up = resizeMapBilinear(Float32Array.from([0, 4]), 2, 1, 4, 1);
  // Output centres 0.5..3.5 map to input x = -0.25, 0.25, 0.75, 1.25 -> clamped and interpolated.
  assert.deepEqual(Array.from(up), [0, 1, 3, 4]);
  const flat = resizeMapBilinear(new Float32Array(9).fill(2.5), 3, 3, 7, 5);
  assert.ok(flat.every((v) => v === 2.5));
});

test('float32 TIFF in strips, big-endian, with extra tags (as other writers produce) reads exactly', async () => {
  // Hand-built: 'MM', 5x3 float32, RowsPerStrip 2 (two strips, offsets out of line, counts
  // inline as SHORTs), an ASCII ImageDescription the reader must skip.
  const map = sample();
  const width = 5;
  const height = 3;
  const tags: Array<[number, number, number[]]> = [
    [256, 3, [width]],
    [257, 3, [height]],
    [258, 3, [32]],
    [259, 3, [1]],
    [262, 3, [1]],
    [270, 2, [0]], // ASCII, value patched below
    [273, 4, [0, 0]], // patched below
    [277, 3, [1]],
    [278, 3, [2]],
    [279, 3, [2 * width * 4, 1 * width * 4]],
    [339, 3, [3]],
  ];
  const ifd = 8;
  const ifdSize = 2 + tags.length * 12 + 4;
  const description = 'shape=[3, 5]\0';
  const descAt = ifd + ifdSize;
  const offsetsAt = descAt + description.length + (description.length % 2);
  const dataAt = offsetsAt + 8;
  const bytes = new Uint8Array(dataAt + map.length * 4);
  const view = new DataView(bytes.buffer);
  bytes[0] = bytes[1] = 0x4d;
  view.setUint16(2, 42);
  view.setUint32(4, ifd);
  view.setUint16(ifd, tags.length);
  tags.forEach(([tag, type, values], k) => {
    const at = ifd + 2 + 12 * k;
    view.setUint16(at, tag);
    view.setUint16(at + 2, type);
    if (tag === 270) {
      view.setUint32(at + 4, description.length);
      view.setUint32(at + 8, descAt);
      for (let i = 0; i < description.length; i++) bytes[descAt + i] = description.charCodeAt(i);
    } else if (tag === 273) {
      view.setUint32(at + 4, 2);
      view.setUint32(at + 8, offsetsAt);
      view.setUint32(offsetsAt, dataAt);
      view.setUint32(offsetsAt + 4, dataAt + 2 * width * 4);
    } else {
      view.setUint32(at + 4, values.length);
      values.forEach((v, i) => (type === 3 ? view.setUint16(at + 8 + 2 * i, v) : view.setUint32(at + 8 + 4 * i, v)));
    }
  });
  map.forEach((v, i) => view.setFloat32(dataAt + 4 * i, v));
  const dir = tempDir();
  writeFileSync(join(dir, 'mm.tiff'), bytes);
  const back = await readMap(join(dir, 'mm.tiff'));
  assert.deepEqual([back.width, back.height], [width, height]);
  assert.deepEqual(back.data, map);
});
