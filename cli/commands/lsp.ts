// dadfc lsp: the language server for editors, over stdio. The server's modules are loaded
// only when this verb runs, so other verbs start as fast as before.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('lsp')
    .description('Run the language server (LSP over stdio) for .dadf and pipeline YAML files: diagnostics, completion, hover, go to definition, formatting.')
    .option('--stdio', 'talk over stdin/stdout (the default and only transport; accepted because editor clients pass it)')
    .option('--timings', "log each check's duration to the editor's output")
    .action(async (opts: { timings?: boolean }) => {
      const { startServer } = await import('../../lsp/server.ts');
      const connection = startServer(process.stdin, process.stdout, { timings: opts.timings === true });
      // Serve until the client sends `exit` (the connection then ends the process) or closes stdin.
      await new Promise<void>((resolve) => connection.onExit(() => resolve()));
    });
}
