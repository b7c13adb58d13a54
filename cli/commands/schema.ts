// dadfc schema: the JSON Schema of YAML pipeline files, for editors (yaml-language-server).
import type { Command } from 'commander';
import { pipelineFileSchema } from '../../compiler/index.ts';

export function register(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of pipeline YAML files (for editors: yaml-language-server, VS Code).')
    .action(() => {
      const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...pipelineFileSchema() };
      process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
    });
}
