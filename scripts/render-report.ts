// Renders a report.html to a PNG screenshot with headless Chromium (Debian's `chromium`), to
// look at the layout. Not used by the unit tests.
//
//   node --import tsx scripts/render-report.ts runs/x/report/report.html [-o shot.png] [--size 1280,2400]
//   node --import tsx scripts/render-report.ts --sample [-o shot.png]    # writes a sample report first
//
// CHROMIUM=/path/to/chrome picks another browser binary.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function findChromium(): string {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    console.error('error: no Chromium found (tried ' + candidates.join(', ') + ').\n  hint: apt-get install -y chromium, or set CHROMIUM=/path/to/chrome');
    process.exit(1);
  }
  return found;
}

function screenshot(htmlFile: string, outPng: string, width = 1280, height = 2400): void {
  const profile = mkdtempSync(path.join(tmpdir(), 'dadf-chromium-'));
  try {
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${path.resolve(outPng)}`,
      `--window-size=${width},${height}`,
      pathToFileURL(path.resolve(htmlFile)).href,
    ];
    const result = spawnSync(findChromium(), args, { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0 || !existsSync(outPng)) {
      console.error(`error: chromium failed (exit ${result.status}).\n${result.stderr?.slice(-2000) ?? ''}`);
      process.exit(1);
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = 'report.png';
  let size: [number, number] = [1280, 2400];
  let html: string | undefined;
  let sample = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-o' || a === '--out') out = args[++i];
    else if (a === '--size') size = args[++i].split(',').map(Number) as [number, number];
    else if (a === '--sample') sample = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: render-report.ts REPORT.html | --sample  [-o OUT.png] [--size W,H]');
      return;
    } else html = a;
  }
  if (sample) {
    const { writeReport } = await import('../runtime/report/index.ts');
    const { sampleReportInput } = await import('../test/report/sample-input.ts');
    const dir = mkdtempSync(path.join(tmpdir(), 'dadf-report-sample-'));
    const input = sampleReportInput({ size: 128, category: 'screw', defects: ['scratch', 'missing', 'misplaced', 'color'], goodCount: 5, perDefect: 4 });
    html = (await writeReport(dir, input)).html;
    console.log(`sample report: ${html}`);
  }
  if (!html || !existsSync(html)) {
    console.error(`error: report not found: ${html ?? '(none given)'}\n  hint: pass the path of a report.html, or --sample`);
    process.exit(2);
  }
  if (!(size[0] > 0 && size[1] > 0)) {
    console.error('error: --size must be W,H in pixels, e.g. 1280,2400');
    process.exit(2);
  }
  screenshot(html, out, size[0], size[1]);
  console.log(`screenshot: ${path.resolve(out)} (${size[0]}×${size[1]})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
