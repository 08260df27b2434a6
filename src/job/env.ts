/**
 * `${VAR}` expansion in URLs and header values, from an env record the caller passes in (never
 * process.env here). One pass, no recursion: a value that itself contains `${…}` is used literally, so
 * an environment variable cannot pull in another one. `$${` is the escape for a literal `${`
 * (as `$$` in docker compose); a `$` anywhere else is just a dollar sign.
 *
 * Expanded values are secrets: they are returned separately so callers can mask them, and no message
 * produced here ever contains one — messages name the variable, never its value.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface Expansion {
  /** The text with every reference replaced; only meaningful when `problems` is empty. */
  value: string;
  /** Names of the variables used, in order of first use. */
  names: string[];
  /** Their (non-empty) values, for masking. */
  secrets: string[];
  /** What went wrong, one sentence each, safe to show. */
  problems: string[];
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{/g;

export function expandEnv(text: string, env: Env): Expansion {
  const names: string[] = [];
  const secrets: string[] = [];
  const problems: string[] = [];
  const value = text.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      problems.push('`${` must start a reference such as ${TOKEN} (letters, digits, _); write $${ for a literal ${');
      return match;
    }
    if (!names.includes(name)) names.push(name);
    // Own properties only: an env of `{}` must not find `constructor` on Object.prototype.
    const found = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
    if (found === undefined) {
      pushOnce(problems, `\${${name}} is not set`);
      return '';
    }
    if (found === '') {
      pushOnce(problems, `\${${name}} is empty`);
      return '';
    }
    pushOnce(secrets, found);
    return found;
  });
  return { value, names, secrets, problems };
}

/** `${A}` or `${A}, ${B}`: how messages refer to the variables a value came from. */
export function describeReferences(names: readonly string[]): string {
  return names.map((name) => `\${${name}}`).join(', ');
}

function pushOnce(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}
