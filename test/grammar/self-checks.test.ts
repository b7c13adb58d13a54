// Start-up skips two self-checks to stay fast (chevrotain's grammar validations and ajv's
// meta-schema check of the TypeBox schema); they run here instead, so a broken grammar or
// schema still fails the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import AjvModule from 'ajv';
import { DadfParser } from '../../grammar/parser.ts';
import { PipelineSpec } from '../../compiler/spec.ts';

test("the .dadf grammar passes chevrotain's own validations", () => {
  assert.doesNotThrow(() => new DadfParser(true));
});

test('the pipeline schema is a valid JSON Schema (meta-schema check)', () => {
  const Ajv = AjvModule as unknown as typeof AjvModule.default;
  const ajv = new Ajv({ strict: false });
  const valid = ajv.validateSchema(PipelineSpec);
  assert.equal(valid, true, JSON.stringify(ajv.errors));
  // The check can fail: a schema with a bad keyword value is refused.
  assert.equal(ajv.validateSchema({ type: 'object', properties: { x: { minimum: 'one' } } }), false);
});
