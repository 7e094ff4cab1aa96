import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app.js';
import { TEST_JWT_SECRET } from './support/tokens.js';

const PATH = '/api/v1/payments/stripe/customer-portal';
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

/**
 * A developer token (no project_id): an accepted one is answered 403 by an end-user endpoint's scope check and 200 by a
 * developer endpoint, a rejected one 401 by both. The two kinds of endpoint authenticate through different code
 * (EndUserAccessGuard's verifier, passport's JwtStrategy), so both are asked.
 */
function developerToken(key: jwt.Secret, options: jwt.SignOptions, claims: Record<string, unknown> = {}): string {
  return jwt.sign({ type: 'access', ...claims }, key, { subject: randomUUID(), expiresIn: 600, ...options });
}

async function outcome(testApp: TestApp, token: string): Promise<'accepted' | 'refused' | string> {
  const server = testApp.app.getHttpServer();
  const endUserEndpoint = await request(server)
    .post(PATH)
    .set('Authorization', `Bearer ${token}`)
    .send({ return_url: 'https://example.com' });
  const developerEndpoint = await request(server).get('/api/v1/projects').set('Authorization', `Bearer ${token}`);
  const statuses = `${endUserEndpoint.status}/${developerEndpoint.status}`;
  if (statuses === '401/401') {
    expect(endUserEndpoint.body).toEqual({ detail: 'Could not validate credentials' });
    expect(developerEndpoint.body).toEqual({ detail: 'Could not validate credentials' });
    return 'refused';
  }
  return statuses === '403/200' ? 'accepted' : statuses;
}

describe('bearer tokens with JWT_PUBLIC_KEY (RS256), JWT_ISSUER and JWT_AUDIENCE', () => {
  let testApp: TestApp;
  const claims = { issuer: 'https://auth.example.com', audience: 'billing-api' };

  beforeAll(async () => {
    testApp = await startTestApp({
      JWT_PUBLIC_KEY: pem(rsa.publicKey),
      JWT_ISSUER: claims.issuer,
      JWT_AUDIENCE: claims.audience,
    });
  });

  afterAll(() => testApp?.close());

  it('accepts RS256 tokens from the configured key, issuer and audience, and HS256 tokens from JWT_SECRET', async () => {
    expect(await outcome(testApp, developerToken(rsa.privateKey, { algorithm: 'RS256', ...claims }))).toBe('accepted');
    expect(await outcome(testApp, developerToken(TEST_JWT_SECRET, { algorithm: 'HS256', ...claims }))).toBe('accepted');
  });

  it.each([
    ['another RSA key', () => developerToken(otherRsa.privateKey, { algorithm: 'RS256', ...claims })],
    [
      'a wrong issuer',
      () => developerToken(rsa.privateKey, { algorithm: 'RS256', ...claims, issuer: 'https://evil.example' }),
    ],
    ['no issuer', () => developerToken(rsa.privateKey, { algorithm: 'RS256', audience: claims.audience })],
    [
      'a wrong audience',
      () => developerToken(rsa.privateKey, { algorithm: 'RS256', ...claims, audience: 'other-api' }),
    ],
    ['no audience', () => developerToken(rsa.privateKey, { algorithm: 'RS256', issuer: claims.issuer })],
    [
      'an algorithm that is not configured (RS512)',
      () => developerToken(rsa.privateKey, { algorithm: 'RS512', ...claims }),
    ],
    ['an ES256 token when the key is RSA', () => developerToken(ec.privateKey, { algorithm: 'ES256', ...claims })],
    // Algorithm confusion: an HS256 token "signed" with the public key as its secret.
    ['HS256 signed with the public key', () => developerToken(pem(rsa.publicKey), { algorithm: 'HS256', ...claims })],
  ])('refuses %s', async (_name, token) => {
    expect(await outcome(testApp, token())).toBe('refused');
  });
});

describe('bearer tokens with an EC JWT_PUBLIC_KEY only (ES256)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ JWT_PUBLIC_KEY: pem(ec.publicKey), JWT_SECRET: '' });
  });

  afterAll(() => testApp?.close());

  it('accepts ES256 tokens from the configured key', async () => {
    expect(await outcome(testApp, developerToken(ec.privateKey, { algorithm: 'ES256' }))).toBe('accepted');
  });

  it.each([
    ['HS256 tokens (no JWT_SECRET configured)', () => developerToken(TEST_JWT_SECRET, { algorithm: 'HS256' })],
    ['HS256 signed with the public key', () => developerToken(pem(ec.publicKey), { algorithm: 'HS256' })],
    ['RS256 tokens', () => developerToken(rsa.privateKey, { algorithm: 'RS256' })],
  ])('refuses %s', async (_name, token) => {
    expect(await outcome(testApp, token())).toBe('refused');
  });
});
