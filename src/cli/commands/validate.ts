import { loadJobFile, summarizeJob } from '../../job/load.js';
import { COMMAND_OPTIONS, parse } from '../args.js';
import { validateHelp } from '../help.js';
import type { CliIO } from '../io.js';

export async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse('validate', argv, COMMAND_OPTIONS.validate, { min: 1, max: 1, names: 'the job file' });
  if (values.help) {
    io.stdout.write(validateHelp);
    return 0;
  }
  // A job file is checked where it is reviewed (an editor, CI without secrets): variables that are not set here
  // are not errors, they are named as needed at run time. `pdl run` requires them.
  const unset = new Set<string>();
  const env = withPlaceholders(io.env, unset);
  const job = await loadJobFile(positionals[0]!, { env });
  const needs = unset.size > 0 ? `; needs ${[...unset].map((name) => `\${${name}}`).join(', ')} at run time (not set here)` : '';
  io.stdout.write(`${summarizeJob(job)}${needs}\n`);
  return 0;
}

/** The environment, with a harmless stand-in value for every variable that is unset or empty. */
function withPlaceholders(env: Record<string, string | undefined>, unset: Set<string>): Record<string, string | undefined> {
  const placeholder = 'unset-at-validation';
  return new Proxy(env, {
    has: () => true,
    getOwnPropertyDescriptor: (target, name) => {
      const value = typeof name === 'string' ? target[name] : undefined;
      if (typeof name === 'string' && (value === undefined || value === '')) unset.add(name);
      return { value: value || placeholder, writable: false, enumerable: true, configurable: true };
    },
    get: (target, name) => (typeof name === 'string' ? target[name] || placeholder : undefined),
  });
}
