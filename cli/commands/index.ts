// Every verb of dadfc, each defined in its own file; add a verb by adding one line here.
import type { Command } from 'commander';
import { register as check } from './check.ts';

const registrations: Array<(program: Command) => void> = [check];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
