// Weight files: safetensors round trip, random ResNet18 saved and reloaded gives identical
// features, the missing-shard rule, and clear refusals of files that are not weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isUserError } from '../../common/errors.ts';
import { checkWeightsForTaps, inspectWeights, weightsFitProblem } from '../../compiler/weights/index.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { randomNativeWeights } from '../../runtime/weights/random.ts';
import { openWeightFile, writeSafetensors } from '../../formats/index.ts';
import { sharedMissing, useCpu, WEIGHTS, weightsFolder } from './helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dadf-weights-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

async function rejectsWithUserError(fn: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e: unknown) => {
      assert.ok(isUserError(e), `expected a UserError, got ${e}`);
      const text = `${(e as Error).message}\n${(e as { hint?: string }).hint ?? ''}\n${(e as { where?: string }).where ?? ''}`;
      assert.match(text, pattern);
      return true;
    },
  );
}

test('safetensors round trip keeps names, shapes and values (f32 exactly)', () => {
  const weights = new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, 4, 5, Math.PI]) }],
    ['b', { shape: [1], data: Float32Array.from([-0]) }],
    ['layer1.0.bn1.running_var', { shape: [4], data: Float32Array.from([0.1, 0.2, 0.3, 1e30]) }],
  ]);
  const path = join(scratch, 'round.safetensors');
  writeSafetensors(path, weights, { format: 'pt' });
  const file = openWeightFile(path);
  assert.equal(file.format, 'safetensors');
  assert.deepEqual([...file.entries.keys()], [...weights.keys()]);
  for (const [name, t] of weights) {
    assert.deepEqual(file.entries.get(name)!.shape, t.shape);
    assert.deepEqual(file.read(name), t.data);
  }
  // The header is 8-byte aligned as the format recommends.
  const bytes = readFileSync(path);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
});

test('random ResNet18 saved to safetensors and reloaded gives identical features; labels say which is which', async () => {
  await useCpu();
  const taps = ['layer1', 'layer2'];
  const path = join(scratch, 'r18.safetensors');
  writeSafetensors(path, randomNativeWeights('resnet18', 1, 5, taps));
  const random = await loadBackbone({ arch: 'resnet18', random: true, seed: 5, taps });
  const loaded = await loadBackbone({ arch: 'resnet18', weights: path, taps });
  assert.equal(random.pretrained, false);
  assert.match(random.label, /RANDOM init, seed 5/);
  assert.match(random.id, /random-seed5/);
  assert.equal(loaded.pretrained, true);
  assert.notEqual(loaded.id, random.id);
  const image = tf.randomUniform([1, 64, 64, 3], 0, 255, 'float32', 1) as tf.Tensor4D;
  const a = random.extract(image);
  const b = loaded.extract(image);
  assert.deepEqual(a.layer1.shape, [1, 16, 16, 64]);
  assert.deepEqual(a.layer2.shape, [1, 8, 8, 128]);
  for (const tap of taps) assert.deepEqual(a[tap].dataSync(), b[tap].dataSync());
  // Another seed gives other features.
  const other = await loadBackbone({ arch: 'resnet18', random: true, seed: 6, taps: ['layer1'] });
  const c = other.extract(image);
  assert.notDeepEqual(c.layer1.dataSync(), a.layer1.dataSync());
  tf.dispose([image, ...Object.values(a), ...Object.values(b), ...Object.values(c)]);
  [random, loaded, other].forEach((x) => x.dispose());
});

test('weights with the wrong shapes: the message lists the first differences and what was expected', async () => {
  const path = join(scratch, 'r18-as-r50.safetensors');
  writeSafetensors(path, randomNativeWeights('resnet18', 1, 1, ['layer1']));
  await rejectsWithUserError(
    () => checkWeightsForTaps(path, 'resnet50', 1, ['layer1']),
    /expected \[.*layer1\.0\.conv1\.weight|layer1\.0\.conv1\.weight: shape \[64, 64, 3, 3\], expected \[64, 64, 1, 1\]/s,
  );
  await rejectsWithUserError(() => loadBackbone({ arch: 'resnet50', weights: path, taps: ['layer1'] }), /do not fit resnet50/);
  // Only layer1's tensors were saved: layer2 cannot be built, and the message says up to where it can.
  await rejectsWithUserError(() => checkWeightsForTaps(path, 'resnet18', 1, ['layer2']), /missing layer2\.0\.conv1\.weight[\s\S]*taps up to layer1/);
  // The checker's non-throwing form.
  assert.equal(weightsFitProblem(path, 'resnet18', 1, ['layer1']), undefined);
  assert.match(weightsFitProblem(path, 'resnet18', 1, ['layer1', 'layer3'])!.message, /missing layer2\.0\.conv1\.weight/);
  assert.match(weightsFitProblem(join(scratch, 'absent.safetensors'), 'resnet18', 1, ['layer1'])!.message, /not found/);
});

test('files that are not weights, truncated files, missing files and unknown taps are refused clearly', async () => {
  const text = join(scratch, 'notes.txt');
  writeFileSync(text, 'hello, these are not weights\n');
  await rejectsWithUserError(() => openWeightFile(text), /not a weight file/);
  const png = join(scratch, 'image.safetensors');
  writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  await rejectsWithUserError(() => openWeightFile(png), /not a valid \.safetensors/);
  const cut = join(scratch, 'cut.safetensors');
  writeSafetensors(cut, randomNativeWeights('resnet18', 1, 1, ['layer1']));
  truncateSync(cut, 5000);
  await rejectsWithUserError(() => openWeightFile(cut), /truncated/);
  await rejectsWithUserError(() => openWeightFile(join(scratch, 'nope.safetensors')), /not found/);
  const badJson = join(scratch, 'model.json');
  writeFileSync(badJson, '{"modelTopology": {}');
  await rejectsWithUserError(() => openWeightFile(badJson), /not valid JSON/);
  await rejectsWithUserError(() => loadBackbone({ arch: 'resnet18', random: true, taps: ['layer9'] }), /unknown tap layer9[\s\S]*layer1, layer2/);
  await rejectsWithUserError(() => loadBackbone({ arch: 'resnet18', taps: ['layer1'] }), /no weights given[\s\S]*random/);
});

test('a torch zip (.pth) written the way torch.save does is read without executing anything', () => {
  // Built by hand (tinyTorchZip below): stored zip entries and a protocol-2 pickle.
  const path = join(scratch, 'tiny.pth');
  writeFileSync(path, tinyTorchZip());
  const file = openWeightFile(path);
  assert.equal(file.format, 'pytorch-zip');
  assert.deepEqual(file.entries.get('fc.weight')!.shape, [2, 3]);
  assert.deepEqual([...file.read('fc.weight')], [0, 1, 2, 3, 4, 5]);
  // A transposed (non-contiguous) view of the same storage: shape [3, 2], stride [1, 3].
  assert.deepEqual([...file.read('fc.weight_t')], [0, 3, 1, 4, 2, 5]);
  assert.deepEqual([...file.read('fc.bias')], [4, 5]);
});

test('a .pth whose pickle calls os.system is refused as code, nothing runs, no torch.load hint', () => {
  const marker = join(scratch, 'pwned');
  const op = (...b: number[]) => Buffer.from(b);
  const str = (t: string) => Buffer.concat([op(0x58), Buffer.from(Uint32Array.of(t.length).buffer), Buffer.from(t)]);
  // posix.system("touch MARKER"), the usual payload, as torch.load would REDUCE it.
  const pickle = Buffer.concat([op(0x80, 2), Buffer.from('cposix\nsystem\n'), op(0x28), str(`touch ${marker}`), op(0x74), op(0x52), op(0x2e)]);
  const path = join(scratch, 'hostile.pth');
  writeFileSync(
    path,
    zipStored([
      ['hostile/data.pkl', pickle],
      ['hostile/version', Buffer.from('3\n')],
    ]),
  );
  assert.throws(
    () => openWeightFile(path),
    (e: unknown) =>
      isUserError(e) &&
      /refused: this PyTorch file holds pickled code objects \(posix\.system\) that would run when it is loaded; nothing from it was run/.test(e.message) &&
      !/torch\.load\(/.test(e.hint ?? '') &&
      /do not open this file with torch\.load/.test(e.hint ?? ''),
  );
  assert.ok(!existsSync(marker), 'the payload did not run');
});

const missingShardSkip = sharedMissing('weights', 'mobilenet_v1_1.0_224');
test('missing shard: taps up to conv_pw_11 load; conv_pw_13 is refused naming the file and the layer', { skip: missingShardSkip }, async () => {
  const dir = join(WEIGHTS, 'mobilenet_v1_1.0_224');
  const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha: 1, weights: dir, taps: ['conv_pw_11_relu', 'conv_pw_3'] });
  assert.deepEqual(backbone.taps, ['conv_pw_3', 'conv_pw_11']);
  backbone.dispose();
  await rejectsWithUserError(() => loadBackbone({ arch: 'mobilenet_v1', alpha: 1, weights: dir, taps: ['conv_pw_13'] }), /group37-shard1of1[\s\S]*conv_pw_13/);
  const r = inspectWeights(dir);
  assert.equal(r.guess?.arch, 'mobilenet_v1');
  assert.equal(r.guess?.alpha, 1);
  assert.ok(r.guess?.buildableTaps.includes('conv_pw_12'));
  assert.ok(!r.guess?.buildableTaps.includes('conv_pw_13'));
  assert.equal(r.parameterCount, 4253864);
});

test('a copy of a complete TF.js model with one shard removed: only taps that need it fail', async () => {
  const copy = join(scratch, 'mnv1_025');
  cpSync(weightsFolder('mobilenet_v1_0.25_224'), copy, { recursive: true });
  rmSync(join(copy, 'group17-shard1of1')); // conv_pw_4/kernel
  assert.ok(readdirSync(copy).length > 50);
  const ok = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, weights: copy, taps: ['conv_pw_3'] });
  ok.dispose();
  await rejectsWithUserError(
    () => loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, weights: copy, taps: ['conv_pw_5'] }),
    /group17-shard1of1[\s\S]*conv_pw_4/,
  );
  // Wrong width multiplier: shapes differ, and the message shows what was expected.
  await rejectsWithUserError(
    () => loadBackbone({ arch: 'mobilenet_v1', alpha: 0.5, weights: copy, taps: ['conv_pw_1'] }),
    /conv1\/kernel: shape \[3, 3, 3, 8\], expected \[3, 3, 3, 16\]/,
  );
});

// ---- a minimal torch.save-style zip, written by hand (stored entries, protocol-2 pickle) ----
function tinyTorchZip(): Buffer {
  const op = (...b: number[]) => Buffer.from(b);
  const str = (s: string) => Buffer.concat([op(0x58), u32(s.length), Buffer.from(s)]);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const global = (m: string, n: string) => Buffer.from(`c${m}\n${n}\n`);
  const int = (n: number) => op(0x4b, n);
  const tensor = (key: string, numel: number, offset: number, shape: number[], stride: number[]) =>
    Buffer.concat([
      global('torch._utils', '_rebuild_tensor_v2'),
      op(0x28), // MARK
      op(0x28),
      str('storage'),
      global('torch', 'FloatStorage'),
      str(key),
      str('cpu'),
      int(numel),
      op(0x74),
      op(0x51), // persistent id tuple → BINPERSID
      int(offset),
      op(0x28),
      ...shape.map(int),
      op(0x74),
      op(0x28),
      ...stride.map(int),
      op(0x74),
      op(0x89), // requires_grad False
      global('collections', 'OrderedDict'),
      op(0x29),
      op(0x52), // backward hooks: OrderedDict()
      op(0x74),
      op(0x52), // args tuple, REDUCE
    ]);
  const pickle = Buffer.concat([
    op(0x80, 2),
    global('collections', 'OrderedDict'),
    op(0x29),
    op(0x52), // OrderedDict()
    op(0x28),
    str('fc.weight'),
    tensor('0', 8, 0, [2, 3], [3, 1]),
    str('fc.weight_t'),
    tensor('0', 8, 0, [3, 2], [1, 3]),
    str('fc.bias'),
    tensor('0', 8, 4, [2], [1]),
    op(0x75), // SETITEMS
    op(0x2e),
  ]);
  const storage = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) storage.writeFloatLE(i, i * 4);
  return zipStored([
    ['tiny/data.pkl', pickle],
    ['tiny/data/0', storage],
    ['tiny/version', Buffer.from('3\n')],
  ]);
}

function zipStored(files: Array<[string, Buffer]>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
