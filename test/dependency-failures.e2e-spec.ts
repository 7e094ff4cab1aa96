import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ProjectsRepository } from '../libs/projects/src/index.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { endUserToken } from './support/tokens.js';

const PATH = '/api/v1/payments/stripe/customer-portal';
const CLOSED_PORT_URL = 'http://127.0.0.1:9';

describe('when Stripe cannot be reached', () => {
  let testApp: TestApp;
  const project = randomUUID();
  const user = randomUUID();

  beforeAll(async () => {
    testApp = await startTestApp({ STRIPE_API_BASE_URL: CLOSED_PORT_URL, STRIPE_MAX_NETWORK_RETRIES: '1' });
    const projects = testApp.app.get(ProjectsRepository);
    await projects.createProject({ id: project, name: 'p', ownerId: randomUUID() });
    await projects.setModeCredentials(project, 'test', { secretKey: 'sk_test_unreachable0000' });
    await projects.linkCustomer(project, user, 'test', 'cus_unreachable');
  });

  afterAll(() => testApp?.close());

  it('answers 503 with Retry-After, after the SDK retries', async () => {
    const response = await request(testApp.app.getHttpServer())
      .post(PATH)
      .set('Authorization', `Bearer ${endUserToken(user, project)}`)
      .send({ return_url: 'https://example.com/billing' })
      .expect(503);
    expect(response.body).toEqual({ detail: 'Stripe could not be reached; try again shortly' });
    expect(response.headers['retry-after']).toBe('2');
  });
});

describe('when PostgreSQL cannot be reached', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:9/none', MIGRATE_ON_START: 'false' });
  });

  afterAll(() => testApp?.close());

  it('answers 503 with Retry-After and a clear detail, never a 500', async () => {
    const response = await request(testApp.app.getHttpServer())
      .post(PATH)
      .set('Authorization', `Bearer ${endUserToken(randomUUID(), randomUUID())}`)
      .send({ return_url: 'https://example.com/billing' })
      .expect(503);
    expect(response.body).toEqual({ detail: 'The database is temporarily unavailable; try again shortly' });
    expect(response.headers['retry-after']).toBe('5');
  });
});
