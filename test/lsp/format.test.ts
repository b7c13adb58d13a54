// The .dadf formatter: canonical, idempotent, meaning-preserving, and it never drops a comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDadf } from '../../grammar/index.ts';
import { formatDadf } from '../../lsp/format.ts';
import { repoRoot } from './client.ts';

/** The AST without positions: what the file means. */
function meaning(text: string): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !/range$|Range$|^text$/.test(k))
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip(parseDadf(text, 'x.dadf').ast);
}

function formatted(text: string): string {
  const result = formatDadf(text, 'x.dadf');
  assert.ok('text' in result, 'refused' in result ? result.refused : '');
  return result.text;
}

const comments = (text: string) => (text.match(/(#|\/\/)[^\n]*|\/\*[\s\S]*?\*\//g) ?? []).map((c) => c.trim());

function dadfFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? dadfFiles(join(dir, e.name)) : e.name.endsWith('.dadf') ? [join(dir, e.name)] : [],
  );
}

test('every pipeline in pipelines/ formats to the same meaning, keeps its comments, and formatting again changes nothing', () => {
  const files = dadfFiles(join(repoRoot, 'pipelines'));
  assert.ok(files.length >= 4);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const once = formatted(source);
    assert.deepEqual(meaning(once), meaning(source), file);
    assert.deepEqual(comments(once), comments(source), file);
    assert.equal(formatted(once), once, `${file} is not stable under formatting`);
    for (const line of once.split('\n')) assert.match(line, /^( {2})*\S|^$/, `${file}: indent of '${line}'`);
  }
});

test('the canonical layout: one entry per line in multi-entry blocks, one-property blocks on one line, values spaced', () => {
  const source = `pipeline a extends b,"c.dadf"{
input{size:64 normalize:tf}
flow { over:[ prior,self ] , subnet : [dwconv3x3,leaky_relu( 0.1 ),conv1x1] }
train{optimizer:adamw(lr:1e-4,betas:[0.9,0.95]) stage flow{epochs:3}}
transformer { memory { tokens: 16 } }
embed {}
}`;
  assert.equal(
    formatted(source),
    `pipeline a extends b, "c.dadf" {
  input {
    size: 64
    normalize: tf
  }
  flow {
    over: [prior, self]
    subnet: [dwconv3x3, leaky_relu(0.1), conv1x1]
  }
  train {
    optimizer: adamw(lr: 1e-4, betas: [0.9, 0.95])
    stage flow { epochs: 3 }
  }
  transformer {
    memory { tokens: 16 }
  }
  embed {}
}
`,
  );
});

test('comments stay where they were: above entries, at line ends, at the end of blocks and of the file', () => {
  const source = `// file header

pipeline p { # after the brace
  # above input
  input { size: 64 }   // end of line
  flow {
    steps: 2 /* inline block comment */
    # last in flow
  }
}
# trailer
`;
  const out = formatted(source);
  assert.deepEqual(comments(out), comments(source));
  assert.equal(
    out,
    `// file header

pipeline p {
  # after the brace
  # above input
  input { size: 64 } // end of line
  flow {
    steps: 2 /* inline block comment */
    # last in flow
  }
}
# trailer
`,
  );
  assert.equal(formatted(out), out);
});

test('refuses rather than drops or moves text: syntax errors, a comment inside a value or a block header', () => {
  const refusal = (text: string) => {
    const r = formatDadf(text, 'x.dadf');
    assert.ok('refused' in r, `formatted: ${'text' in r ? r.text : ''}`);
    return r.refused;
  };
  assert.match(refusal('pipeline p { input { size } }'), /fix the syntax error at line 1/);
  assert.match(refusal('pipeline p {\n  flow { over: [prior, # the backbone\n self] }\n}\n'), /comment inside the value of 'over' at line 2/);
  assert.match(refusal('pipeline p /* why */ { input { size: 1 } }'), /comment inside the header 'pipeline p'/);
});
