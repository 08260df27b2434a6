/**
 * `npm run schema`: regenerate schemas/job.schema.json from the zod schema, the single source of truth.
 * test/job/schema-drift.test.ts fails when the committed file and the schema disagree.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { jobSchemaText } from '../src/job/schema.js';

const target = fileURLToPath(new URL('../../schemas/job.schema.json', import.meta.url));
await writeFile(target, jobSchemaText());
process.stdout.write(`wrote ${target}\n`);
