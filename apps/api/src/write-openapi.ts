import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { generateOpenApiDocument, serializeOpenApiDocument } from './openapi-document.js';

// `npm run openapi:generate`: rewrites the committed openapi.json from the code.
const target = process.argv[2] ?? 'openapi.json';
writeFileSync(target, serializeOpenApiDocument(await generateOpenApiDocument()));
console.error(`wrote ${target}`);
