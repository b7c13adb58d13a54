// Where the cursor is, read from half-typed text, and what completion offers there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { complete } from '../../lsp/completion.ts';
import { dadfContext, yamlContext } from '../../lsp/context.ts';
import { Workspace } from '../../lsp/workspace.ts';

const at = (text: string) => dadfContext(text, text.length);
const atYaml = (text: string) => yamlContext(text, text.length);

test('.dadf: keys, values, labels, calls, lists, dotted keys, comments, outside pipelines', () => {
  assert.deepEqual(at('pipeline p {\n  input { normalize: im'), { kind: 'value', path: ['input', 'normalize'], inList: false, pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  transformer { memory { qu'), {
    kind: 'key',
    path: ['transformer', 'memory'],
    inCall: false,
    yaml: false,
    pipeline: 'p',
  });
  assert.deepEqual(at('pipeline p {\n  train { optimizer: adamw(l'), { kind: 'key', path: ['train', 'optimizer'], inCall: true, yaml: false, pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  flow { subnet: [dwconv3x3, '), { kind: 'value', path: ['flow', 'subnet'], inList: true, pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  backbone wide'), { kind: 'label', keyword: 'backbone', pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  train { stage '), { kind: 'label', keyword: 'stage', pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  train { stage flow { '), { kind: 'key', path: ['train', 'stages', 'flow'], inCall: false, yaml: false, pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  flow.'), { kind: 'key', path: ['flow'], inCall: false, yaml: false, pipeline: 'p' });
  assert.deepEqual(at('pipeline p {\n  # comment '), { kind: 'none' });
  assert.deepEqual(at('pipeline p {\n  backbone { weights: "pa'), { kind: 'none' });
  assert.deepEqual(at('pipeline p { input { size: 64 }\n  '), { kind: 'key', path: [], inCall: false, yaml: false, pipeline: 'p' });
  assert.deepEqual(at('pipeline p { input { size: 64 } }\n'), { kind: 'top' });
  // A key whose value is missing does not swallow the next token.
  assert.deepEqual(at('pipeline p { input { normalize: }\n  flow { over: ['), { kind: 'value', path: ['flow', 'over'], inList: true, pipeline: 'p' });
  // The second pipeline of a file, with its own backbone.
  assert.deepEqual(at('pipeline a { backbone vgg16 {} }\npipeline b {\n  backbone resnet18 { taps: ['), {
    kind: 'value',
    path: ['backbone', 'taps'],
    inList: true,
    pipeline: 'b',
    arch: 'resnet18',
  });
});

test('YAML: parents by indentation, inline flow collections, list items', () => {
  assert.deepEqual(atYaml('pipeline: x\ntrain:\n  stages:\n    flow:\n      '), { kind: 'key', path: ['train', 'stages', 'flow'], inCall: false, yaml: true });
  assert.deepEqual(atYaml('pipeline: x\nflow:\n  over:\n    - '), { kind: 'value', path: ['flow', 'over'], inList: true });
  assert.deepEqual(atYaml('pipeline: x\nbackbone:\n  arch: '), { kind: 'value', path: ['backbone', 'arch'], inList: false });
  assert.deepEqual(atYaml('pipeline: x\nbackbone: { arch: resnet18, taps: ['), { kind: 'value', path: ['backbone', 'taps'], inList: true, arch: 'resnet18' });
  assert.deepEqual(atYaml('pipeline: x\ninput: { size: 64, nor'), { kind: 'key', path: ['input'], inCall: false, yaml: true });
  assert.deepEqual(atYaml('pipeline: x\n# a comm'), { kind: 'none' });
  assert.deepEqual(atYaml('pipeline: '), { kind: 'none' });
});

test('completion offers calls for call-shaped values, named arguments in calls, and nothing in comments', () => {
  const workspace = new Workspace();
  const items = (text: string) => {
    const doc = TextDocument.create('file:///nowhere/x.dadf', 'dadf', 1, text);
    workspace.set(doc);
    return complete(doc, '/nowhere/x.dadf', text.length, workspace).map((i) => i.insertText ?? i.label);
  };
  assert.deepEqual(items('pipeline p {\n  train { optimizer: '), ['adamw()', 'adam()', 'sgd()']);
  assert.deepEqual(items('pipeline p {\n  flow { subnet: [dwconv3x3, '), ['dwconv3x3', 'dwconv1x1', 'conv1x1', 'conv3x3', 'relu', 'gelu', 'leaky_relu()']);
  assert.deepEqual(items('pipeline p {\n  train { optimizer: adamw('), ['lr: ', 'betas: ', 'weight_decay: ']);
  assert.deepEqual(items('pipeline p {\n  backbone { weights: '), ['env()']);
  assert.deepEqual(items('pipeline p {\n  score { image: '), ['max', 'mean', 'top1pct']);
  assert.deepEqual(items('pipeline p {\n  transformer { qkv_bias: '), ['true', 'false']);
  assert.deepEqual(items('pipeline p {\n  train { stage '), ['reconstruct', 'flow']);
  assert.deepEqual(items('pipeline p {\n  # '), []);
  assert.deepEqual(items(''), ['pipeline']);
});
