import { jobJsonSchema } from '../../job/schema.js';
import { COMMAND_OPTIONS, parse } from '../args.js';
import { schemaHelp } from '../help.js';
import type { CliIO } from '../io.js';

export async function schemaCommand(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse('schema', argv, COMMAND_OPTIONS.schema, { min: 0, max: 0, names: '' });
  io.stdout.write(values.help ? schemaHelp : `${JSON.stringify(jobJsonSchema(), null, 2)}\n`);
  return 0;
}
