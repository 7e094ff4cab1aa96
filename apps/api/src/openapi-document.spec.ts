import { readFileSync } from 'node:fs';
import { generateOpenApiDocument, serializeOpenApiDocument } from './openapi-document.js';

describe('committed openapi.json', () => {
  it('is exactly what the code generates (run `npm run openapi:generate` after changing the API)', async () => {
    const committed = readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8');
    expect(serializeOpenApiDocument(await generateOpenApiDocument())).toBe(committed);
  });
});
