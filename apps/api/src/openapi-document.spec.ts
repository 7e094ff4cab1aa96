import { readFileSync } from 'node:fs';
import { generateOpenApiDocument, serializeOpenApiDocument } from './openapi-document.js';

describe('committed openapi.json', () => {
  it('is exactly what the code generates (run `npm run openapi:generate` after changing the API)', async () => {
    const committed = readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8');
    expect(serializeOpenApiDocument(await generateOpenApiDocument())).toBe(committed);
  });
});

describe('how to get a token', () => {
  // Swagger UI shows the document's description on /docs and the scheme's in its Authorize dialog.
  it('is told in the description and in the bearer scheme, for both kinds of token', async () => {
    const document = await generateOpenApiDocument();
    const developer = '`npm run -s cli -- token mint --user <uuid>` mints a developer token (no project)';
    const endUser = '`npm run -s cli -- token mint --user <uuid> --project <uuid>` an end-user token of that project';
    const bearer = document.components?.securitySchemes?.HTTPBearer as { description?: string };
    for (const text of [document.info.description, bearer.description]) {
      expect(text).toContain(developer);
      expect(text).toContain(endUser);
    }
  });
});
