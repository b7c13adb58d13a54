// The language server as an editor drives it: one `dadfc lsp` process, JSON-RPC over stdio.
import { after as afterAll, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletionItem, Diagnostic, Hover, Location, MarkupContent, TextEdit } from 'vscode-languageserver/node';
import { after, positionOf, repoRoot, startClient, tempDir, uriOf, type Client } from './client.ts';

const TINY = readFileSync(join(repoRoot, 'pipelines/tiny.dadf'), 'utf8');
let client: Client;
const dir = tempDir();

before(async () => {
  client = await startClient();
});

afterAll(async () => {
  if (client) assert.equal(await client.stop(), 0, 'shutdown + exit ends the server with status 0');
});

const request = <T>(method: string, path: string, position: { line: number; character: number }) =>
  client.connection.sendRequest(method, { textDocument: { uri: uriOf(path) }, position }) as Promise<T>;
/** A diagnostic's message as text (LSP 3.18 allows markup there). */
const messageOf = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const labels = (items: CompletionItem[] | null) => (items ?? []).map((i) => i.label);
const hoverText = (h: Hover | null) => (h?.contents as MarkupContent | undefined)?.value ?? '';

/** Opens a file (also written to disk, as an editor's file would be) and waits for its diagnostics. */
async function open(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  const diagnostics = client.nextDiagnostics(uriOf(path));
  client.open(path, text);
  return { path, diagnostics: await diagnostics };
}

test('didOpen: checker diagnostics with exact ranges, codes, severities and hints; didChange fixing them clears them', async () => {
  const broken = TINY.replace('heads: 2', 'heads: 5').replace('conv_pw_5,', 'conv_pw5,');
  const { path, diagnostics } = await open('broken.dadf', broken);
  const byCode = new Map(diagnostics.map((d) => [d.code, d]));
  assert.deepEqual([...byCode.keys()].sort(), ['DADF4001', 'DADF4006']);
  const tap = byCode.get('DADF4001')!;
  assert.deepEqual(tap.range, { start: positionOf(broken, 'conv_pw5'), end: after(broken, 'conv_pw5') });
  assert.equal(tap.severity, 1);
  assert.match(messageOf(tap), /mobilenet_v1 has no tap 'conv_pw5'; did you mean 'conv_pw_5'\?/);
  assert.match(messageOf(tap), /\nhint: taps of mobilenet_v1: conv_pw_1, /);
  assert.deepEqual(byCode.get('DADF4006')!.range, { start: positionOf(broken, '5, mlp_ratio'), end: positionOf(broken, '5, mlp_ratio', 1) });

  const fixed = client.nextDiagnostics(uriOf(path));
  client.change(path, TINY, 2);
  assert.deepEqual(await fixed, []);
});

test('syntax and schema errors: a missing colon, an unknown key with a suggestion, a bad enum value; warnings are warnings', async () => {
  const text = TINY.replace('steps: 2', 'stepz: 2').replace('normalize: backbone', 'normalize: imagnet');
  const { path, diagnostics } = await open('schema.dadf', text);
  const unknown = diagnostics.find((d) => d.code === 'DADF3001');
  assert.ok(unknown, JSON.stringify(diagnostics));
  assert.deepEqual(unknown.range, { start: positionOf(text, 'stepz'), end: after(text, 'stepz') });
  assert.match(messageOf(unknown), /steps/);
  const value = diagnostics.find((d) => d.code === 'DADF3003');
  assert.ok(value);
  assert.deepEqual(value.range.start, positionOf(text, 'imagnet'));
  assert.match(messageOf(value), /imagenet/);

  const syntax = client.nextDiagnostics(uriOf(path));
  const typo = TINY.replace('batch: 4', 'batch 4');
  client.change(path, typo, 2);
  const [missingColon] = await syntax;
  assert.equal(missingColon.code, 'DADF1001');
  assert.deepEqual(missingColon.range.start, positionOf(typo, '4\n    seed'));
  assert.match(messageOf(missingColon), /expected ':' after key 'batch'/);

  const warned = client.nextDiagnostics(uriOf(path));
  client.change(
    path,
    TINY.replace('taps: [conv_pw_3, conv_pw_5, conv_pw_11]', 'taps: [conv_pw_5, conv_pw_3, conv_pw_11]').replace('patch: [4, 2, 1]', 'patch: [2, 4, 1]'),
    3,
  );
  const warnings = await warned;
  assert.ok(
    warnings.some((d) => d.code === 'DADF4009' && d.severity === 2),
    JSON.stringify(warnings),
  );
});

test("extends: a parent's diagnostics are published under the parent's URI, and cleared once its buffer is fixed", async () => {
  const parentPath = join(dir, 'parent.dadf');
  const brokenParent = TINY.replace('pipeline tiny', 'pipeline parent').replace('clamp: 2.0', 'clamp: -1');
  writeFileSync(parentPath, brokenParent);
  const parentDiagnostics = client.nextDiagnostics(uriOf(parentPath));
  const child = 'pipeline child extends "parent.dadf" {\n  flow.steps: 4\n}\n';
  const { path: childPath, diagnostics: childDiagnostics } = await open('child.dadf', child);
  assert.deepEqual(childDiagnostics, [], 'the mistake is in the parent, not the child');
  const [range] = await parentDiagnostics;
  assert.equal(range.code, 'DADF3004');
  assert.deepEqual(range.range.start, positionOf(brokenParent, '-1'));

  // The parent opened in the editor, fixed but unsaved: the child is checked against the buffer.
  const cleared = client.nextDiagnostics(uriOf(parentPath));
  client.open(parentPath, TINY.replace('pipeline tiny', 'pipeline parent'));
  assert.deepEqual(await cleared, []);

  const definition = await request<Location>('textDocument/definition', childPath, positionOf(child, 'parent.dadf'));
  assert.equal(definition.uri, uriOf(parentPath));
  assert.deepEqual(definition.range.start, { line: 2, character: 9 }, "at the parent's name");
  const noDefinition = await request<Location | null>('textDocument/definition', childPath, positionOf(child, 'steps'));
  assert.equal(noDefinition, null);
  // Closing the unsaved parent: the child reads the (still broken) file on disk again.
  const reverted = client.nextDiagnostics(uriOf(parentPath));
  client.close(parentPath);
  assert.deepEqual(
    (await reverted).map((d) => d.code),
    ['DADF3004'],
  );
  // Fixed on disk, and the client says the file changed: cleared.
  writeFileSync(parentPath, TINY.replace('pipeline tiny', 'pipeline parent'));
  const clearedOnDisk = client.nextDiagnostics(uriOf(parentPath));
  void client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(parentPath), type: 2 }] });
  assert.deepEqual(await clearedOnDisk, []);
  client.close(childPath);
});

test('definition: extends by name within the same file', async () => {
  const text = `${TINY}\npipeline small extends tiny { flow.steps: 1 }\n`;
  const { path } = await open('two.dadf', text);
  const location = await request<Location>('textDocument/definition', path, positionOf(text, 'extends tiny', 9));
  assert.equal(location.uri, uriOf(path));
  assert.deepEqual(location.range, { start: positionOf(text, 'tiny {'), end: after(text, 'pipeline tiny') });
});

test('completion: block names, keys with documentation, enum values, backbone names, taps of the chosen backbone', async () => {
  const text = 'pipeline p {\n  \n  input { normalize:  }\n  backbone  { }\n  flow { over: [prior, ] }\n  score { fuse:  }\n  train {  }\n}\n';
  const { path } = await open('complete.dadf', text);
  const top = await request<CompletionItem[]>('textDocument/completion', path, { line: 1, character: 2 });
  assert.deepEqual(labels(top).sort(), ['backbone', 'embed', 'flow', 'heads', 'input', 'score', 'sweep', 'train', 'transformer']);

  const normalize = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'normalize: '));
  assert.deepEqual(labels(normalize), ['backbone', 'imagenet', 'tf', 'none']);
  const over = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'over: [prior, '));
  assert.deepEqual(labels(over), ['prior', 'self', 'memory']);
  const fuse = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'fuse: '));
  assert.deepEqual(labels(fuse), ['mean', 'sum', 'max', 'product']);
  const backbones = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'backbone '));
  assert.ok(labels(backbones).includes('wide_resnet50_2') && labels(backbones).includes('mobilenet_v1'), labels(backbones).join());

  const flowKeys = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'flow { '));
  const clamp = flowKeys.find((i) => i.label === 'clamp');
  assert.ok(clamp, labels(flowKeys).join());
  assert.match((clamp.documentation as MarkupContent).value, /Soft clamp of the log-scale/);
  assert.match((clamp.documentation as MarkupContent).value, /default: `2`/);
  assert.ok(['over', 'steps', 'subnet', 'permute'].every((k) => labels(flowKeys).includes(k)));
  const trainKeys = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'train { '));
  assert.ok(
    ['optimizer', 'batch', 'stage'].every((k) => labels(trainKeys).includes(k)),
    labels(trainKeys).join(),
  );

  // Taps: the backbone named in this buffer, and the one a parent names.
  const withTaps = 'pipeline p {\n  backbone resnet18 { taps: [layer1, ] }\n}\n';
  client.change(path, withTaps, 2);
  const taps = await request<CompletionItem[]>('textDocument/completion', path, after(withTaps, 'layer1, '));
  assert.deepEqual(labels(taps), ['layer1', 'layer2', 'layer3', 'layer4']);
  assert.match(taps[1].detail ?? '', /128 channels, stride 8/);
  const inherited = 'pipeline p extends "schema.dadf" {\n  backbone.taps: [\n}\n';
  client.change(path, inherited, 3);
  writeFileSync(join(dir, 'schema.dadf'), TINY);
  const mobilenet = await request<CompletionItem[]>('textDocument/completion', path, after(inherited, 'taps: ['));
  assert.equal(labels(mobilenet)[0], 'conv_pw_1');
  assert.equal(labels(mobilenet).length, 13);
});

test("YAML pipelines: the checker's diagnostics at YAML ranges, hover with docs and shapes, definition of extends", async () => {
  const parentYaml = readFileSync(join(repoRoot, 'pipelines/tiny.yaml'), 'utf8');
  writeFileSync(join(dir, 'tiny.yaml'), parentYaml);
  const text = 'pipeline: y\nextends: tiny.yaml\nflow:\n  over: [prior, selfish]\nscore: { fuse: avg }\n';
  const { path, diagnostics } = await open('child.yaml', text);
  const codes = diagnostics.map((d) => d.code);
  assert.deepEqual(codes, ['DADF3003', 'DADF3003']);
  assert.deepEqual(diagnostics[0].range, { start: positionOf(text, 'selfish'), end: after(text, 'selfish') });
  assert.match(messageOf(diagnostics[0]), /self/);
  assert.deepEqual(diagnostics[1].range.start, positionOf(text, 'avg'));

  const fixed = client.nextDiagnostics(uriOf(path));
  const good = text.replace('selfish', 'self').replace('avg', 'max');
  client.change(path, good, 2);
  assert.deepEqual(await fixed, []);
  const over = hoverText(await request<Hover>('textDocument/hover', path, positionOf(good, 'over')));
  assert.match(over, /\*\*flow\.over\*\*: `list of prior \| self \| memory`/);
  const flow = hoverText(await request<Hover>('textDocument/hover', path, positionOf(good, 'flow')));
  assert.match(flow, /scale 1: 16×16×64 \(prior \+ self\)/);
  const name = hoverText(await request<Hover>('textDocument/hover', path, positionOf(good, ' y', 1)));
  assert.match(name, /pipeline y: mobilenet_v1/);
  const parent = await request<Location>('textDocument/definition', path, positionOf(good, 'tiny.yaml'));
  assert.equal(parent.uri, uriOf(join(dir, 'tiny.yaml')));
  assert.deepEqual(parent.range.start, positionOf(parentYaml, 'tiny\n'));
});

test('completion in YAML: keys by indentation, enum values inline and in flow mappings', async () => {
  const text = 'pipeline: y\ninput:\n  \nscore: { fuse:  }\nflow:\n  over: [\n';
  const { path } = await open('complete.yaml', text);
  const top = await request<CompletionItem[]>('textDocument/completion', path, { line: 4, character: 0 });
  assert.ok(
    ['pipeline', 'extends', 'input', 'flow'].every((k) => labels(top).includes(k)),
    labels(top).join(),
  );
  const input = await request<CompletionItem[]>('textDocument/completion', path, { line: 2, character: 2 });
  assert.deepEqual(labels(input), ['size', 'normalize', 'resize']);
  const fuse = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'fuse: '));
  assert.deepEqual(labels(fuse), ['mean', 'sum', 'max', 'product']);
  const over = await request<CompletionItem[]>('textDocument/completion', path, after(text, 'over: ['));
  assert.deepEqual(labels(over), ['prior', 'self', 'memory']);
});

test('hover: key documentation with type and default; inferred shapes on blocks and on the pipeline name', async () => {
  const { path } = await open('hover.dadf', TINY);
  const clamp = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'clamp', 2)));
  assert.match(clamp, /\*\*flow\.clamp\*\*: `number \(> 0, ≤ 100\)`/);
  assert.match(clamp, /default: `2`/);
  assert.match(clamp, /Soft clamp/);

  const embed = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'embed', 1)));
  assert.match(embed, /Patch embedding/);
  assert.match(embed, /scale 1: conv_pw_3 16×16×32 → patch 4 → 4×4×8/);
  assert.match(embed, /tokens: 4×4 = 16, width 8 × 3 scales = 24/);
  const transformer = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'transformer')));
  assert.match(transformer, /width 24, 2 heads × 12/);
  const flow = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'flow {')));
  assert.match(flow, /scale 3: 4×4×384 \(prior \+ self \+ memory\)/);
  const name = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'tiny {', 1)));
  assert.match(name, /pipeline tiny: mobilenet_v1 α0\.25 at 64 px/);
  assert.match(name, /parameters: .* trainable/);
  const tap = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'conv_pw_11')));
  assert.match(tap, /conv_pw_11\*\*: 4×4×128 \(stride 16\)/);
  const stage = hoverText(await request<Hover>('textDocument/hover', path, positionOf(TINY, 'epochs')));
  assert.match(stage, /train\.stages\.reconstruct\.epochs/);

  // A shape rule broken (scale 2 reaches a 2×2 grid): the sizes are still shown, they explain the error.
  const mismatched = TINY.replace('patch: [4, 2, 1]', 'patch: [4, 4, 1]');
  const diagnostics = client.nextDiagnostics(uriOf(path));
  client.change(path, mismatched, 2);
  assert.ok((await diagnostics).some((d) => d.code === 'DADF4005'));
  const sizes = hoverText(await request<Hover>('textDocument/hover', path, positionOf(mismatched, 'embed', 1)));
  assert.match(sizes, /_\d+ errors? in the pipeline; sizes as far as they can be inferred_/);
  assert.match(sizes, /scale 2: conv_pw_5 8×8×64 → patch 4 → 2×2×8/);
  assert.match(sizes, /scale 3: conv_pw_11 4×4×128 → patch 1 → 4×4×8/);
});

test('formatting: the canonical layout, comments kept; a file with syntax errors is left alone', async () => {
  const messy = '# head\npipeline f {\n    input {size:64,normalize:backbone} // px\n  flow.steps : 2\n\n\n  train { stage flow { epochs: 3 } }\n}\n';
  const { path } = await open('format.dadf', messy);
  const edits = await client.connection.sendRequest<TextEdit[]>('textDocument/formatting', {
    textDocument: { uri: uriOf(path) },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.equal(edits.length, 1);
  assert.equal(
    edits[0].newText,
    '# head\npipeline f {\n  input {\n    size: 64\n    normalize: backbone\n  } // px\n  flow.steps: 2\n\n  train {\n    stage flow { epochs: 3 }\n  }\n}\n',
  );
  client.change(path, 'pipeline f { input { size: } ', 2);
  const refused = await client.connection.sendRequest<TextEdit[] | null>('textDocument/formatting', {
    textDocument: { uri: uriOf(path) },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.equal(refused, null);
  assert.match(client.messages.at(-1) ?? '', /not formatted: fix the syntax error at line 1/);
});

// Speed is measured, not asserted (wall times belong to bench/): the figures go to the test log.
test('every change to the paper-size pipeline is checked and published; timings reported', async (t) => {
  const text = readFileSync(join(repoRoot, 'pipelines/dadf.dadf'), 'utf8');
  const path = join(repoRoot, 'pipelines/dadf.dadf');
  const first = client.nextDiagnostics(uriOf(path));
  client.open(path, text);
  await first;
  const times: number[] = [];
  for (let version = 2; version < 12; version++) {
    const published = client.nextDiagnostics(uriOf(path));
    const started = performance.now();
    client.change(path, text.replace('steps: 8', `steps: ${version}`), version);
    await published;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  assert.equal(times.length, 10, 'one publication per change');
  const hoverStarted = performance.now();
  const hover = await request<Hover>('textDocument/hover', path, positionOf(text, 'embed {'));
  const hoverMs = performance.now() - hoverStarted;
  assert.ok(hover, 'hover answers');
  t.diagnostic(`didChange → publishDiagnostics median ${median.toFixed(1)} ms (max ${times[times.length - 1].toFixed(1)}); hover ${hoverMs.toFixed(1)} ms`);
  client.close(path);
});
