import { readFileSync } from 'node:fs';
import { environmentSchema } from './index.js';

// The README's configuration table is the users' reference: it must list exactly the variables the schema reads.
describe('README configuration table', () => {
  it('lists every variable of the configuration schema, and no other', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Running on PostgreSQL'));
    const documented = [...section.matchAll(/^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|/gm)].map((match) => match[1]);
    expect(documented.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual(Object.keys(environmentSchema.shape).sort());
  });
});
