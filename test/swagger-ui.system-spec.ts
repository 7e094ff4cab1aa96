import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { freePort } from './support/ports.js';
import { startService, waitForOutput, type ServiceProcess } from './support/service-process.js';
import { TEST_JWT_SECRET } from './support/tokens.js';

const run = promisify(execFile);

/** helmet's default policy as Nest 12 serializes it, without `upgrade-insecure-requests`. */
const PLAIN_HTTP_POLICY =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';" +
  "img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline'";

interface OpenApiDocument {
  paths: Record<string, Record<string, { summary?: string }>>;
}

/**
 * The page as Debian's Chromium renders it: `--virtual-time-budget` lets Swagger UI fetch its bundle and the document
 * and render before the DOM is printed. `--no-sandbox`: CI runs as root, where Chromium's sandbox cannot start.
 */
async function renderedDom(url: string): Promise<{ dom: string; log: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-'));
  try {
    const { stdout, stderr } = await run(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=15000',
        '--dump-dom',
        url,
      ],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return { dom: stdout, log: stderr };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function operationSummaries(dom: string): string[] {
  const found = [...dom.matchAll(/class="opblock-summary-description">([^<]*)</g)].map((match) => match[1]);
  return [...new Set(found)].sort();
}

function documentedSummaries(document: OpenApiDocument): string[] {
  const summaries = Object.values(document.paths).flatMap((operations) =>
    Object.values(operations).map((operation) => operation.summary ?? ''),
  );
  return [...new Set(summaries)].sort();
}

describe('Swagger UI in a real browser (Chromium, headless)', () => {
  let cwd: string;
  let service: ServiceProcess | undefined;

  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'swagger-ui-'));
  });

  afterEach(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    service = undefined;
    rmSync(cwd, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<number> {
    const port = await freePort();
    service = startService(cwd, {
      PORT: String(port),
      HOST: '0.0.0.0',
      PGLITE_DATA_DIR: 'memory://',
      JWT_SECRET: TEST_JWT_SECRET,
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ...env,
    });
    await waitForOutput(service, /Listening on/);
    return port;
  }

  it('renders every operation at http://0.0.0.0:<port>/docs, an address that is not localhost', async () => {
    const port = await start();
    // The start-up line names a URL a person can open, not the address bound.
    expect(service?.output()).toContain(
      `Listening on 0.0.0.0:${port}; API documentation at http://localhost:${port}/docs`,
    );
    const base = `http://0.0.0.0:${port}`;
    const document = (await request(base).get('/openapi.json').expect(200)).body as OpenApiDocument;

    const { dom, log } = await renderedDom(`${base}/docs`);

    const expected = documentedSummaries(document);
    expect(expected).toContain('Create Customer Portal Session');
    expect(operationSummaries(dom)).toEqual(expected);
    expect(log).not.toMatch(/handshake failed|ERR_SSL/);
    // The description, rendered above the operations, says how to get a token.
    expect(dom).toContain('npm run -s cli -- token mint --user &lt;uuid&gt; --project &lt;uuid&gt;');
    const docs = await request(base).get('/docs').expect(200);
    expect(docs.headers['content-security-policy']).toBe(PLAIN_HTTP_POLICY);
  }, 90_000);

  it('keeps upgrade-insecure-requests when PUBLIC_BASE_URL says browsers reach the service over https', async () => {
    const port = await start({ PUBLIC_BASE_URL: 'https://billing.example.com' });
    for (const path of ['/docs', '/health']) {
      const response = await request(`http://127.0.0.1:${port}`).get(path).expect(200);
      expect(response.headers['content-security-policy']).toBe(`${PLAIN_HTTP_POLICY};upgrade-insecure-requests`);
    }
  }, 60_000);
});
