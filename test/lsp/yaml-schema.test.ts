// YAML editors (yaml-language-server) validate pipelines through the modeline at the top of
// each pipelines/*.yaml: it must point at the committed schema (test/cli checks that it is
// what `dadfc schema` prints), which the pipelines must satisfy and mistakes must not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { repoRoot } from './client.ts';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const schemaPath = join(repoRoot, 'docs/pipeline.schema.json');
const committed = JSON.parse(readFileSync(schemaPath, 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test('every pipeline YAML names the schema in its modeline and satisfies it', () => {
  const files = yamlFiles(join(repoRoot, 'pipelines'));
  assert.ok(files.length >= 4);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
    assert.ok(modeline, `${file} has no yaml-language-server modeline`);
    assert.equal(resolve(dirname(file), modeline[1]), schemaPath, file);
    assert.ok(validate(parse(text)), `${file}: ${JSON.stringify(validate.errors)}`);
  }
});

test('the schema catches what an editor should underline: unknown keys, bad enum values, wrong types', () => {
  const tiny = parse(readFileSync(join(repoRoot, 'pipelines/tiny.yaml'), 'utf8'));
  // biome-ignore lint/suspicious/noExplicitAny: patches reach into an untyped parsed YAML document
  const broken = (patch: (p: Record<string, any>) => void) => {
    const p = structuredClone(tiny);
    patch(p);
    return validate(p);
  };
  assert.equal(
    broken((p) => (p.flow.stepz = 2)),
    false,
  );
  assert.equal(
    broken((p) => (p.score.fuse = 'avg')),
    false,
  );
  assert.equal(
    broken((p) => (p.transformer.depth = 'one')),
    false,
  );
  assert.equal(
    broken((p) => (p.flow.over = ['prior', 'selfish'])),
    false,
  );
  assert.equal(
    broken((p) => delete p.pipeline),
    false,
  );
  assert.equal(
    broken((p) => (p['flow.steps'] = 4)),
    true,
    'dotted overrides are allowed at the top level',
  );
});
