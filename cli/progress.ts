// How progress looks: bars on a terminal (cli-progress), one line per epoch/phase when output
// is not a TTY (CI logs), JSON lines with --json, nothing but warnings with --quiet.
import cliProgress from 'cli-progress';
import type { Progress, ProgressEvent } from '../runtime/progress.ts';
import { yellow } from './output.ts';

export interface ProgressMode {
  json?: boolean;
  quiet?: boolean;
}

const fmtSeconds = (s: number) => (s >= 90 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`);

export function createProgress(mode: ProgressMode = {}): Progress & { stop(): void } {
  if (mode.json) {
    const sink = ((e: ProgressEvent) => {
      if (e.kind !== 'tick') process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n');
    }) as Progress & { stop(): void };
    sink.stop = () => {};
    return sink;
  }
  const tty = process.stderr.isTTY === true && !mode.quiet;
  let bar: cliProgress.SingleBar | undefined;
  const labels = new Map<string, string>();
  const stopBar = () => {
    bar?.stop();
    bar = undefined;
  };
  const sink = ((e: ProgressEvent) => {
    switch (e.kind) {
      case 'phase':
        labels.set(e.id, e.label);
        if (tty) {
          stopBar();
          bar = new cliProgress.SingleBar(
            {
              format: `${e.label.padEnd(28)} {bar} {value}/{total} ${e.unit} | {rate} | ETA {eta_formatted} {info}`,
              hideCursor: true,
              clearOnComplete: true,
              stream: process.stderr,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(e.total, 0, { info: '', rate: '' });
        }
        break;
      case 'tick':
        if (bar) {
          const info = e.info
            ? Object.entries(e.info)
                .map(([k, v]) => `${k} ${v}`)
                .join(' ')
            : '';
          bar.update(e.done, { info });
        }
        break;
      case 'phase-end':
        stopBar();
        if (!mode.quiet && !labels.get(e.id)?.includes('epoch')) {
          process.stderr.write(`${labels.get(e.id) ?? e.id}: ${fmtSeconds(e.seconds)}\n`);
        }
        break;
      case 'epoch':
        if (!mode.quiet) {
          const val = e.valLoss === null ? '' : `  val ${e.valLoss.toPrecision(5)}`;
          process.stderr.write(
            `${e.stage.padEnd(11)} epoch ${String(e.epoch).padStart(3)}/${e.epochs}  loss ${e.loss.toPrecision(5)}${val}  ${e.imagesPerSec.toFixed(1)} img/s  ETA ${fmtSeconds(e.etaSeconds)}\n`,
          );
        }
        break;
      case 'log':
        if (e.level === 'warn') process.stderr.write(`${yellow('warning')}: ${e.message}\n`);
        else if (!mode.quiet) process.stderr.write(`${e.message}\n`);
        break;
    }
  }) as Progress & { stop(): void };
  sink.stop = stopBar;
  return sink;
}
