import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApiApp } from '../apps/api/src/configure-app.js';
import { runCommand } from '../apps/cli/src/commands.js';
import { AppConfig, environmentSchema, loadConfig } from '#libs/config';
import { PrismaService } from '#libs/database';
import { SecretCipher, stripeSecretContext } from '#libs/projects';
import { fixtures } from './support/fixtures.js';
import { StripeStub } from './support/stripe-stub.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';
import { accessToken, endUserToken, TEST_JWT_SECRET } from './support/tokens.js';

const BASE = '/api/v1/payments/stripe/projects';
const PORTAL = '/api/v1/payments/stripe/customer-portal';
const UNREADABLE = {
  detail:
    "The project's stored Stripe secrets cannot be decrypted with the service's encryption key; an operator must " +
    'restore SECRETS_ENCRYPTION_KEY or list the former key in SECRETS_ENCRYPTION_PREVIOUS_KEYS',
};
const keys = {
  test: 'sk_test_51StoredSecretsTest000wwww',
  live: 'sk_live_51StoredSecretsLive000xxxx',
  webhook: 'whsec_StoredSecretsWebhook000yyyy',
  replacement: 'rk_test_51StoredSecretsNew0000zzzz',
};
const ALL_SECRETS = Object.values(keys);

const newKey = () => randomBytes(32).toString('base64');
/** The documented key id: the first 12 hex digits of the SHA-256 of the 32-byte key. */
const keyId = (key: string) => createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 12);

// One database for the whole file (several starts on it): PostgreSQL when DATABASE_URL is set, else embedded PGlite
// in a folder. The start-up tests run first; the run-time tests then use the re-encrypted database.
describe('stored Stripe secrets the configured keys cannot decrypt', () => {
  const stripe = new StripeStub();
  let database: TestDatabase;
  let stripeUrl: string;

  /** The API on the file's database, started as main.ts starts it; a failed start is closed again. */
  const start = async (
    env: Record<string, string>,
    options: { logDestination?: { write(line: string): void } } = {},
  ): Promise<NestFastifyApplication> => {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      STRIPE_API_BASE_URL: stripeUrl,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      ...database.env,
      ...env,
    });
    const app = await createApiApp(config, options.logDestination ? options : { logger: false });
    try {
      await app.listen(0, '127.0.0.1');
    } catch (error) {
      await app.close();
      throw error;
    }
    return app;
  };

  beforeAll(async () => {
    stripeUrl = await stripe.start();
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase('secrets');
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'stored-secrets-'));
      database = { env: { PGLITE_DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
    }
  });

  afterAll(async () => {
    await database?.drop();
    await stripe.stop();
  });

  const formerKey = newKey();
  const replacementKey = newKey();

  describe('at start-up', () => {
    const developer = randomUUID();
    const endUser = randomUUID();
    const projects = [randomUUID(), randomUUID()];
    const configOf = (app: NestFastifyApplication, project: string) =>
      request(app.getHttpServer())
        .get(`${BASE}/${project}/config`)
        .set('Authorization', `Bearer ${accessToken({ sub: developer })}`);

    beforeAll(async () => {
      stripe.addAccount(keys.test, ['cus_startUp']);
      const app = await start({ SECRETS_ENCRYPTION_KEY: formerKey });
      try {
        for (const project of projects) {
          await fixtures(app).createProject({ id: project, name: 'Start-up', ownerId: developer });
        }
        await request(app.getHttpServer())
          .put(`${BASE}/${projects[0]}/config`)
          .set('Authorization', `Bearer ${accessToken({ sub: developer })}`)
          .send({ test_secret_key: keys.test, test_webhook_secret: keys.webhook })
          .expect(200);
        await fixtures(app).setModeCredentials(projects[1], 'live', { secretKey: keys.live });
        await fixtures(app).linkCustomer(projects[0], endUser, 'test', 'cus_startUp');
      } finally {
        await app.close();
      }
    });

    it('refuses to start with a replaced key alone, naming the keys and the fix', async () => {
      await expect(start({ SECRETS_ENCRYPTION_KEY: replacementKey })).rejects.toMatchObject({
        name: 'StoredSecretsKeyMismatch',
        message:
          `Refusing to start: 3 stored Stripe secrets (2 projects) were encrypted with key ${keyId(formerKey)}, ` +
          `which neither SECRETS_ENCRYPTION_KEY (key ${keyId(replacementKey)}) nor SECRETS_ENCRYPTION_PREVIOUS_KEYS ` +
          'holds. Restore the former SECRETS_ENCRYPTION_KEY, or keep the new one and set ' +
          'SECRETS_ENCRYPTION_PREVIOUS_KEYS to the former key (then run `secrets reencrypt` to move the secrets to the ' +
          'new key). A key id is the first 12 hex digits of the SHA-256 of the 32-byte key.',
      });
    });

    it('starts with the former key among the previous keys; secrets reencrypt then lets the new key stand alone', async () => {
      const rotating = await start({
        SECRETS_ENCRYPTION_KEY: replacementKey,
        SECRETS_ENCRYPTION_PREVIOUS_KEYS: `${newKey()},${formerKey}`,
      });
      try {
        const config = await configOf(rotating, projects[0]).expect(200);
        expect(config.body).toMatchObject({
          test_secret_key_masked: 'sk_test_...wwww',
          test_webhook_secret_masked: 'whsec_...yyyy',
        });
        await request(rotating.getHttpServer())
          .post(PORTAL)
          .set('Authorization', `Bearer ${endUserToken(endUser, projects[0])}`)
          .send({ return_url: 'https://app.example.com/billing' })
          .expect(200);
        const reencrypted = await runCommand(rotating, { name: 'secrets reencrypt', json: true });
        expect(reencrypted.json).toEqual({ reencrypted: 3, configurations: 2 });
      } finally {
        await rotating.close();
      }

      const rotated = await start({ SECRETS_ENCRYPTION_KEY: replacementKey });
      try {
        expect((await configOf(rotated, projects[1]).expect(200)).body.live_secret_key_masked).toBe('sk_live_...xxxx');
        expect((await configOf(rotated, projects[0]).expect(200)).body.test_secret_key_masked).toBe('sk_test_...wwww');
      } finally {
        await rotated.close();
      }
    });
  });

  describe('at run time (a replica with another key wrote them, or the start could not check)', () => {
    let app: NestFastifyApplication;
    let developer: string;
    let project: string;
    let endUser: string;
    /** What another service instance with another SECRETS_ENCRYPTION_KEY would write. */
    const foreignCipher = new SecretCipher(
      new AppConfig(environmentSchema.parse({ SECRETS_ENCRYPTION_KEY: newKey() })),
    );
    const logs = { text: '', destination: { write: (line: string) => void (logs.text += line) } };

    const server = () => app.getHttpServer();
    const asDeveloper = () => `Bearer ${accessToken({ sub: developer })}`;
    const getConfig = () => request(server()).get(`${BASE}/${project}/config`).set('Authorization', asDeveloper());
    const putConfig = (body: object) =>
      request(server()).put(`${BASE}/${project}/config`).set('Authorization', asDeveloper()).send(body);
    const history = async () =>
      (await request(server()).get(`${BASE}/${project}/config/history`).set('Authorization', asDeveloper()).expect(200))
        .body as { total: number; changes: { fields: string[] }[] };
    const storedRow = () => app.get(PrismaService).stripeConfig.findUniqueOrThrow({ where: { projectId: project } });
    const plantForeign = async (column: 'testSecretKey' | 'testWebhookSecret', plaintext: string) => {
      const ciphertext = foreignCipher.encrypt(plaintext, stripeSecretContext(project, column));
      await app
        .get(PrismaService)
        .stripeConfig.update({ where: { projectId: project }, data: { [column]: ciphertext } });
    };
    const expectUnreadable = (response: request.Response) => {
      expect(response.status).toBe(503);
      expect(response.body).toEqual(UNREADABLE);
      // Not transient: retrying does not help until an operator acts.
      expect(response.headers['retry-after']).toBeUndefined();
      for (const secret of ALL_SECRETS) expect(response.text).not.toContain(secret);
    };

    beforeAll(async () => {
      // The key the start-up tests ended with: the database holds secrets under it.
      app = await start(
        { SECRETS_ENCRYPTION_KEY: replacementKey, LOG_LEVEL: 'log' },
        { logDestination: logs.destination },
      );
      stripe.addAccount(keys.test, ['cus_storedSecrets']);
      stripe.addAccount(keys.replacement, ['cus_storedSecrets']);
    });

    afterAll(async () => {
      await app?.close();
    });

    beforeEach(async () => {
      stripe.reset();
      developer = randomUUID();
      project = randomUUID();
      endUser = randomUUID();
      await fixtures(app).createProject({ id: project, name: 'Secrets', ownerId: developer });
      await putConfig({ test_secret_key: keys.test, test_webhook_secret: keys.webhook }).expect(200);
      await fixtures(app).linkCustomer(project, endUser, 'test', 'cus_storedSecrets');
      await plantForeign('testSecretKey', keys.test);
    });

    it('answers GET config, the portal and customer links with a documented 503, never a 500', async () => {
      expectUnreadable(await getConfig());
      expectUnreadable(
        await request(server())
          .post(PORTAL)
          .set('Authorization', `Bearer ${endUserToken(endUser, project)}`)
          .send({ return_url: 'https://app.example.com/billing' }),
      );
      expectUnreadable(
        await request(server())
          .put(`${BASE}/${project}/customers/${randomUUID()}`)
          .set('Authorization', asDeveloper())
          .send({ stripe_customer_id: 'cus_storedSecrets' }),
      );
      expect(stripe.requests).toHaveLength(0);
      // Reads that need no secret still answer.
      expect((await history()).total).toBe(1);
      // The operator learns which secret and why, never its value.
      expect(logs.text).toContain(
        `Stored testSecretKey of project ${project}: Cannot decrypt stored secret: encryption key ${foreignCipher.currentKeyId} is not configured`,
      );
      for (const secret of ALL_SECRETS) expect(logs.text).not.toContain(secret);
    });

    it('refuses a PUT that keeps the unreadable secret, and commits nothing of it', async () => {
      const before = await storedRow();
      expectUnreadable(
        await putConfig({ test_publishable_key: 'pk_test_51StoredSecretsPub', live_secret_key: keys.live }),
      );
      expect(await storedRow()).toEqual(before);
      expect((await history()).total).toBe(1);
    });

    it('lets a PUT that replaces the unreadable secret repair it, and answers for the committed change', async () => {
      const response = await putConfig({ test_secret_key: keys.replacement }).expect(200);
      expect(response.body).toMatchObject({
        test_secret_key_masked: 'rk_test_...zzzz',
        test_webhook_secret_masked: 'whsec_...yyyy',
      });
      expect((await history()).changes[0].fields).toEqual(['test_secret_key']);
      expect((await getConfig().expect(200)).body).toEqual(response.body);
      await request(server())
        .post(PORTAL)
        .set('Authorization', `Bearer ${endUserToken(endUser, project)}`)
        .send({ return_url: 'https://app.example.com/billing' })
        .expect(200);
      expect(stripe.requests.map((sent) => sent.apiKey)).toEqual([keys.replacement]);
    });

    it('refuses a PUT that replaces one secret but keeps another unreadable one, committing nothing', async () => {
      await putConfig({ test_secret_key: keys.replacement }).expect(200);
      await plantForeign('testWebhookSecret', keys.webhook);
      const before = await storedRow();
      expectUnreadable(await putConfig({ test_secret_key: keys.test }));
      expect(await storedRow()).toEqual(before);
      expect((await history()).total).toBe(2);
    });
  });
});
