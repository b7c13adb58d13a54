// Hostile inputs made by the tests (never committed as blobs).

/** A YAML "billion laughs": ten levels of nine aliases each, about 600 bytes. */
export function aliasBomb(): string {
  const lines = ['pipeline: bomb', 'x:', '  a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let level = 1; level < 10; level++) {
    const name = String.fromCharCode(97 + level);
    const prev = String.fromCharCode(96 + level);
    lines.push(`  ${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return lines.join('\n') + '\n';
}
