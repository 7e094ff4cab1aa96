import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { PrismaService } from '#libs/database';
import { startTestApp, type TestApp } from './support/test-app.js';
import { accessToken, endUserToken, WRONG_JWT_SECRET } from './support/tokens.js';
import { fixtures, type Fixtures } from './support/fixtures.js';

const PROJECTS = '/api/v1/projects';
const PAYMENT_PROJECTS = '/api/v1/payments/projects';
const NOT_FOUND = { detail: 'Project not found' };
const INVALID_CREDENTIALS = { detail: 'Could not validate credentials' };
const DEVELOPER_REQUIRED = {
  detail: 'This endpoint requires a developer access token (a token without project_id)',
};
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Method = 'get' | 'post' | 'put' | 'delete';

interface ProjectBody {
  id: string;
  name: string;
  description: string | null;
  owner_id: string;
  created_at: string;
  updated_at: string;
}

describe('developer projects API', () => {
  let testApp: TestApp;
  let prisma: PrismaService;
  let stripeSetup: Fixtures;

  const server = () => testApp.app.getHttpServer();
  const developerToken = (developerId: string) => accessToken({ sub: developerId });
  const call = (method: Method, path: string, token?: string) => {
    const test = request(server())[method](path);
    return token === undefined ? test : test.set('Authorization', `Bearer ${token}`);
  };
  const as = (developerId: string) => ({
    get: (path: string) => call('get', path, developerToken(developerId)),
    post: (path: string) => call('post', path, developerToken(developerId)),
    put: (path: string) => call('put', path, developerToken(developerId)),
    delete: (path: string) => call('delete', path, developerToken(developerId)),
  });
  const createProject = async (owner: string, body: object = { name: 'My SaaS App' }): Promise<ProjectBody> => {
    const response = await as(owner).post(`${PROJECTS}/`).send(body).expect(201);
    return response.body as ProjectBody;
  };
  // created_at has millisecond precision: a pause keeps "newest first" independent of the id tie-break.
  const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

  beforeAll(async () => {
    testApp = await startTestApp();
    prisma = testApp.app.get(PrismaService);
    stripeSetup = fixtures(testApp.app);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  describe('lifecycle', () => {
    it('creates, reads, lists, replaces and deletes a project', async () => {
      const developer = randomUUID();

      const created = await as(developer)
        .post(`${PROJECTS}/`)
        .send({ name: 'My SaaS App', description: 'AI-powered image generation platform' })
        .expect(201);
      const project = created.body as ProjectBody;
      expect(project).toEqual({
        id: expect.stringMatching(UUID),
        name: 'My SaaS App',
        description: 'AI-powered image generation platform',
        owner_id: developer,
        created_at: expect.stringMatching(ISO_DATE_TIME),
        updated_at: expect.stringMatching(ISO_DATE_TIME),
      });
      const stored = await prisma.project.findUniqueOrThrow({ where: { id: project.id } });
      expect(stored).toMatchObject({ name: 'My SaaS App', ownerId: developer });
      expect(project.created_at).toBe(stored.createdAt.toISOString());

      const read = await as(developer).get(`${PROJECTS}/${project.id}`).expect(200);
      expect(read.body).toEqual(project);

      const listed = await as(developer).get(`${PROJECTS}/`).expect(200);
      expect(listed.body).toEqual({ projects: [project], total: 1, page: 1, page_size: 50 });

      await nextMillisecond();
      const replaced = await as(developer).put(`${PROJECTS}/${project.id}`).send({ name: 'Renamed' }).expect(200);
      expect(replaced.body).toEqual({
        ...project,
        name: 'Renamed',
        description: null,
        updated_at: expect.stringMatching(ISO_DATE_TIME),
      });
      expect(Date.parse(replaced.body.updated_at)).toBeGreaterThan(Date.parse(project.updated_at));
      expect((await as(developer).get(`${PROJECTS}/${project.id}`).expect(200)).body).toEqual(replaced.body);

      const deleted = await as(developer).delete(`${PROJECTS}/${project.id}`).expect(204);
      expect(deleted.text).toBe('');
      expect((await as(developer).get(`${PROJECTS}/${project.id}`).expect(404)).body).toEqual(NOT_FOUND);
      expect((await as(developer).delete(`${PROJECTS}/${project.id}`).expect(404)).body).toEqual(NOT_FOUND);
      expect((await as(developer).get(PROJECTS).expect(200)).body).toEqual({
        projects: [],
        total: 0,
        page: 1,
        page_size: 50,
      });
      expect(await prisma.project.count({ where: { id: project.id } })).toBe(0);
    });

    it('answers the collection with and without the trailing slash', async () => {
      const developer = randomUUID();
      const withoutSlash = await as(developer).post(PROJECTS).send({ name: 'one' }).expect(201);
      await nextMillisecond();
      const withSlash = await as(developer).post(`${PROJECTS}/`).send({ name: 'two' }).expect(201);

      const expected = { projects: [withSlash.body, withoutSlash.body], total: 2, page: 1, page_size: 50 };
      expect((await as(developer).get(PROJECTS).expect(200)).body).toEqual(expected);
      expect((await as(developer).get(`${PROJECTS}/`).expect(200)).body).toEqual(expected);
    });

    it('stores a null or absent description as null', async () => {
      const developer = randomUUID();
      expect((await createProject(developer, { name: 'absent' })).description).toBeNull();
      expect((await createProject(developer, { name: 'null', description: null })).description).toBeNull();
    });

    it('replaces the description with the one sent, and with null when it is sent as null', async () => {
      const developer = randomUUID();
      const project = await createProject(developer, { name: 'a', description: 'first' });

      const second = await as(developer)
        .put(`${PROJECTS}/${project.id}`)
        .send({ name: 'a', description: 'second' })
        .expect(200);
      expect(second.body).toMatchObject({ name: 'a', description: 'second' });
      const cleared = await as(developer)
        .put(`${PROJECTS}/${project.id}`)
        .send({ name: 'b', description: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ name: 'b', description: null });
    });

    it('takes the owner from the token, never from the body, and ignores unknown fields', async () => {
      const developer = randomUUID();
      const someoneElse = randomUUID();
      const chosenId = randomUUID();
      const project = await createProject(developer, {
        name: 'mine',
        owner_id: someoneElse,
        id: chosenId,
        created_at: '2000-01-01T00:00:00.000Z',
      });

      expect(project.owner_id).toBe(developer);
      expect(project.id).not.toBe(chosenId);
      expect(project.created_at).not.toBe('2000-01-01T00:00:00.000Z');
      const replaced = await as(developer)
        .put(`${PROJECTS}/${project.id}`)
        .send({ name: 'still mine', owner_id: someoneElse })
        .expect(200);
      expect(replaced.body.owner_id).toBe(developer);
      expect((await as(someoneElse).get(PROJECTS).expect(200)).body.total).toBe(0);
    });

    it('accepts a project_id in upper case or without dashes', async () => {
      const developer = randomUUID();
      const project = await createProject(developer);

      expect((await as(developer).get(`${PROJECTS}/${project.id.toUpperCase()}`).expect(200)).body).toEqual(project);
      const compact = project.id.replace(/-/g, '');
      expect((await as(developer).get(`${PROJECTS}/${compact}`).expect(200)).body).toEqual(project);
    });

    it('accepts a name of exactly 200 characters and a description of exactly 2000', async () => {
      const developer = randomUUID();
      const body = { name: 'n'.repeat(200), description: 'd'.repeat(2000) };
      const project = await createProject(developer, body);
      expect(project).toMatchObject(body);
      await as(developer).put(`${PROJECTS}/${project.id}`).send(body).expect(200);
    });
  });

  describe('pagination', () => {
    const developer = randomUUID();
    const created: ProjectBody[] = [];

    beforeAll(async () => {
      for (const name of ['first', 'second', 'third']) {
        created.push(await createProject(developer, { name }));
        await nextMillisecond();
      }
    });

    it('lists newest first with the defaults page 1 and page_size 50', async () => {
      const response = await as(developer).get(PROJECTS).expect(200);
      expect(response.body).toEqual({ projects: [...created].reverse(), total: 3, page: 1, page_size: 50 });
    });

    it.each([
      ['?page=1&page_size=2', ['third', 'second'], 1, 2],
      ['?page=2&page_size=2', ['first'], 2, 2],
      ['?page=3&page_size=2', [], 3, 2],
      ['?page_size=1', ['third'], 1, 1],
      ['?page=3&page_size=1', ['first'], 3, 1],
      ['?page=1&page=2&page_size=2', ['first'], 2, 2],
      ['?page=9007199254740991&page_size=100', [], 9007199254740991, 100],
    ])('answers %s', async (query, names, page, pageSize) => {
      const response = await as(developer).get(`${PROJECTS}/${query}`).expect(200);
      expect(response.body).toEqual({
        projects: names.map((name) => created.find((project) => project.name === name)),
        total: 3,
        page,
        page_size: pageSize,
      });
    });

    const intParsing = 'Input should be a valid integer, unable to parse string as an integer';
    it.each([
      ['?page=0', 'page', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['?page=-1', 'page', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['?page=abc', 'page', 'int_parsing', intParsing],
      ['?page=', 'page', 'int_parsing', intParsing],
      ['?page=1.5', 'page', 'int_parsing', intParsing],
      ['?page_size=0', 'page_size', 'greater_than_equal', 'Input should be greater than or equal to 1'],
      ['?page_size=101', 'page_size', 'less_than_equal', 'Input should be less than or equal to 100'],
      ['?page_size=ten', 'page_size', 'int_parsing', intParsing],
      ['?page=2&page_size=2e1', 'page_size', 'int_parsing', intParsing],
    ])('refuses %s', async (query, name, type, msg) => {
      const response = await as(developer).get(`${PROJECTS}/${query}`).expect(422);
      expect(response.body).toEqual({ detail: [{ loc: ['query', name], msg, type }] });
    });
  });

  describe('ownership', () => {
    const alice = randomUUID();
    const bob = randomUUID();
    let alicesProject: ProjectBody;
    let bobsProject: ProjectBody;

    beforeAll(async () => {
      alicesProject = await createProject(alice, { name: 'Alice app', description: 'hers' });
      bobsProject = await createProject(bob, { name: 'Bob app' });
      await stripeSetup.setModeCredentials(alicesProject.id, 'test', { secretKey: 'sk_test_AAAAAAAAAAAAAAAAAAAAaaaa' });
    });

    it.each([
      ['get', undefined],
      ['put', { name: 'Taken over' }],
      ['delete', undefined],
    ] as const)('answers 404 to %s on another developer project', async (method, body) => {
      const response = await call(method, `${PROJECTS}/${alicesProject.id}`, developerToken(bob))
        .send(body)
        .expect(404);
      expect(response.body).toEqual(NOT_FOUND);
    });

    it.each([
      ['get', undefined],
      ['put', { name: 'Ghost' }],
      ['delete', undefined],
    ] as const)('answers the same 404 to %s on a project that does not exist', async (method, body) => {
      const response = await call(method, `${PROJECTS}/${randomUUID()}`, developerToken(bob)).send(body).expect(404);
      expect(response.body).toEqual(NOT_FOUND);
    });

    it('leaves the owner project unchanged after another developer tried to change and delete it', async () => {
      await as(bob).put(`${PROJECTS}/${alicesProject.id}`).send({ name: 'Taken over' }).expect(404);
      await as(bob).delete(`${PROJECTS}/${alicesProject.id}`).expect(404);

      expect((await as(alice).get(`${PROJECTS}/${alicesProject.id}`).expect(200)).body).toEqual(alicesProject);
      expect(await prisma.stripeConfig.count({ where: { projectId: alicesProject.id } })).toBe(1);
    });

    it('lists only the caller own projects', async () => {
      expect((await as(bob).get(PROJECTS).expect(200)).body).toEqual({
        projects: [bobsProject],
        total: 1,
        page: 1,
        page_size: 50,
      });
      expect((await as(alice).get(PROJECTS).expect(200)).body).toEqual({
        projects: [alicesProject],
        total: 1,
        page: 1,
        page_size: 50,
      });
    });

    it('lists only the caller own projects in the payments project list', async () => {
      const forBob = await as(bob).get(PAYMENT_PROJECTS).expect(200);
      expect(forBob.body.projects.map((project: { id: string }) => project.id)).toEqual([bobsProject.id]);
      expect(forBob.body.total).toBe(1);
      const forAlice = await as(alice).get(PAYMENT_PROJECTS).expect(200);
      expect(forAlice.body.projects.map((project: { id: string }) => project.id)).toEqual([alicesProject.id]);
    });
  });

  describe('authentication and scope', () => {
    const someProject = randomUUID();
    const endpoints: [string, Method, string, object | undefined][] = [
      ['POST /projects', 'post', PROJECTS, { name: 'x' }],
      ['GET /projects', 'get', PROJECTS, undefined],
      ['GET /projects/{project_id}', 'get', `${PROJECTS}/${someProject}`, undefined],
      ['PUT /projects/{project_id}', 'put', `${PROJECTS}/${someProject}`, { name: 'x' }],
      ['DELETE /projects/{project_id}', 'delete', `${PROJECTS}/${someProject}`, undefined],
      ['GET /payments/projects', 'get', PAYMENT_PROJECTS, undefined],
    ];

    it.each(endpoints)('answers 401 to %s without a token', async (_name, method, path, body) => {
      const response = await call(method, path).send(body).expect(401);
      expect(response.body).toEqual(INVALID_CREDENTIALS);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it.each(endpoints)('answers 401 to %s with a badly signed token', async (_name, method, path, body) => {
      const token = accessToken({ sub: randomUUID(), secret: WRONG_JWT_SECRET });
      const response = await call(method, path, token).send(body).expect(401);
      expect(response.body).toEqual(INVALID_CREDENTIALS);
    });

    it.each(endpoints)('answers 403 to %s with an end-user token', async (_name, method, path, body) => {
      const response = await call(method, path, endUserToken(randomUUID(), someProject)).send(body).expect(403);
      expect(response.body).toEqual(DEVELOPER_REQUIRED);
    });

    it('checks the token before the path and the body', async () => {
      const endUser = endUserToken(randomUUID(), someProject);
      expect((await call('put', `${PROJECTS}/not-a-uuid`, endUser).send({}).expect(403)).body).toEqual(
        DEVELOPER_REQUIRED,
      );
      expect((await call('post', PROJECTS).send({}).expect(401)).body).toEqual(INVALID_CREDENTIALS);
    });

    it('creates nothing for an end-user token', async () => {
      const endUser = randomUUID();
      await call('post', PROJECTS, endUserToken(endUser, someProject)).send({ name: 'x' }).expect(403);
      expect(await prisma.project.count({ where: { ownerId: endUser } })).toBe(0);
    });
  });

  describe('validation (422)', () => {
    const developer = randomUUID();
    let project: ProjectBody;

    beforeAll(async () => {
      project = await createProject(developer, { name: 'Original', description: 'kept' });
    });

    it.each([
      ['get', undefined],
      ['put', { name: 'x' }],
      ['delete', undefined],
    ] as const)('refuses a malformed project_id on %s', async (method, body) => {
      for (const bad of ['not-a-uuid', '123', `${project.id}0`, project.id.slice(0, -1)]) {
        const response = await call(method, `${PROJECTS}/${bad}`, developerToken(developer)).send(body).expect(422);
        expect(response.body).toEqual({
          detail: [{ loc: ['path', 'project_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }],
        });
      }
    });

    const badBodies: [string, object, (string | number)[], string, string][] = [
      ['a missing name', {}, ['body', 'name'], 'missing', 'Field required'],
      ['a missing name with a description', { description: 'd' }, ['body', 'name'], 'missing', 'Field required'],
      ['a numeric name', { name: 42 }, ['body', 'name'], 'string_type', 'Input should be a valid string'],
      ['a null name', { name: null }, ['body', 'name'], 'string_type', 'Input should be a valid string'],
      ['a list name', { name: ['a'] }, ['body', 'name'], 'string_type', 'Input should be a valid string'],
      ['an empty name', { name: '' }, ['body', 'name'], 'string_too_short', 'String should have at least 1 character'],
      [
        'a name over 200 characters',
        { name: 'n'.repeat(201) },
        ['body', 'name'],
        'string_too_long',
        'String should have at most 200 characters',
      ],
      [
        'a numeric description',
        { name: 'ok', description: 5 },
        ['body', 'description'],
        'string_type',
        'Input should be a valid string',
      ],
      [
        'a description over 2000 characters',
        { name: 'ok', description: 'd'.repeat(2001) },
        ['body', 'description'],
        'string_too_long',
        'String should have at most 2000 characters',
      ],
    ];

    it.each(badBodies)('refuses to create a project with %s', async (_name, body, loc, type, msg) => {
      const response = await as(developer).post(PROJECTS).send(body).expect(422);
      expect(response.body).toEqual({ detail: [{ loc, msg, type }] });
      expect(await prisma.project.count({ where: { ownerId: developer } })).toBe(1);
    });

    it.each(badBodies)('refuses to update a project with %s', async (_name, body, loc, type, msg) => {
      const response = await as(developer).put(`${PROJECTS}/${project.id}`).send(body).expect(422);
      expect(response.body).toEqual({ detail: [{ loc, msg, type }] });
      expect((await as(developer).get(`${PROJECTS}/${project.id}`).expect(200)).body).toEqual(project);
    });

    it('reports both fields when both are wrong', async () => {
      const response = await as(developer).post(PROJECTS).send({ name: '', description: 7 }).expect(422);
      expect(response.body).toEqual({
        detail: [
          { loc: ['body', 'name'], msg: 'String should have at least 1 character', type: 'string_too_short' },
          { loc: ['body', 'description'], msg: 'Input should be a valid string', type: 'string_type' },
        ],
      });
    });

    it.each(['[]', '"My app"', '42', 'null', 'true'])('refuses the non-object body %s', async (raw) => {
      for (const pending of [as(developer).post(PROJECTS), as(developer).put(`${PROJECTS}/${project.id}`)]) {
        const response = await pending.set('Content-Type', 'application/json').send(raw).expect(422);
        expect(response.body).toEqual({
          detail: [
            {
              loc: ['body'],
              msg: 'Input should be a valid dictionary or object to extract fields from',
              type: 'model_attributes_type',
            },
          ],
        });
      }
    });

    it('refuses a missing body', async () => {
      for (const pending of [as(developer).post(PROJECTS), as(developer).put(`${PROJECTS}/${project.id}`)]) {
        const response = await pending.expect(422);
        expect(response.body).toEqual({ detail: [{ loc: ['body'], msg: 'Field required', type: 'missing' }] });
      }
    });

    it('refuses malformed JSON', async () => {
      const response = await as(developer)
        .post(PROJECTS)
        .set('Content-Type', 'application/json')
        .send('{"name": ')
        .expect(422);
      expect(response.body).toEqual({ detail: [{ loc: ['body', 9], msg: 'JSON decode error', type: 'json_invalid' }] });
    });
  });

  describe('deletion', () => {
    it('removes the Stripe configuration, customer mappings and change history with the project', async () => {
      const developer = randomUUID();
      const doomed = await createProject(developer, { name: 'doomed' });
      const survivor = await createProject(developer, { name: 'survivor' });
      for (const project of [doomed, survivor]) {
        await stripeSetup.setModeCredentials(project.id, 'test', { secretKey: 'sk_test_AAAAAAAAAAAAAAAAAAAAaaaa' });
        await stripeSetup.setModeCredentials(project.id, 'live', { secretKey: 'sk_live_AAAAAAAAAAAAAAAAAAAAllll' });
        await stripeSetup.linkCustomer(project.id, randomUUID(), 'test', `cus_test_${project.name}`);
        await stripeSetup.linkCustomer(project.id, randomUUID(), 'live', `cus_live_${project.name}`);
      }
      const rowsOf = async (projectId: string) => ({
        projects: await prisma.project.count({ where: { id: projectId } }),
        configs: await prisma.stripeConfig.count({ where: { projectId } }),
        customers: await prisma.stripeCustomer.count({ where: { projectId } }),
        changes: await prisma.stripeConfigChange.count({ where: { projectId } }),
      });
      // Two history entries: one per stored mode.
      expect(await rowsOf(doomed.id)).toEqual({ projects: 1, configs: 1, customers: 2, changes: 2 });

      const response = await as(developer).delete(`${PROJECTS}/${doomed.id}`).expect(204);

      expect(response.text).toBe('');
      expect(await rowsOf(doomed.id)).toEqual({ projects: 0, configs: 0, customers: 0, changes: 0 });
      expect(await rowsOf(survivor.id)).toEqual({ projects: 1, configs: 1, customers: 2, changes: 2 });
      expect((await as(developer).get(`${PROJECTS}/${doomed.id}`).expect(404)).body).toEqual(NOT_FOUND);
      expect((await as(developer).get(PROJECTS).expect(200)).body.projects).toEqual([survivor]);
      const payments = await as(developer).get(PAYMENT_PROJECTS).expect(200);
      expect(payments.body.projects.map((project: { id: string }) => project.id)).toEqual([survivor.id]);
    });
  });

  describe('GET /api/v1/payments/projects', () => {
    const developer = randomUUID();
    let configured: ProjectBody;
    let bare: ProjectBody;

    const unconfigured = (project: ProjectBody) => ({
      id: project.id,
      name: project.name,
      description: project.description,
      has_payment_config: false,
      has_test_credentials: false,
      has_live_credentials: false,
      test_configured_at: null,
      live_configured_at: null,
      is_active: true,
      created_at: project.created_at,
    });
    const configuredAt = async (projectId: string) => {
      const config = await prisma.stripeConfig.findUniqueOrThrow({ where: { projectId } });
      return {
        test: config.testConfiguredAt?.toISOString() ?? null,
        live: config.liveConfiguredAt?.toISOString() ?? null,
      };
    };

    beforeAll(async () => {
      configured = await createProject(developer, { name: 'My SaaS App', description: 'AI images' });
      await nextMillisecond();
      bare = await createProject(developer, { name: 'Beta Project' });
    });

    it('answers an empty list to a developer without projects', async () => {
      const response = await as(randomUUID()).get(PAYMENT_PROJECTS).expect(200);
      expect(response.body).toEqual({ projects: [], total: 0 });
    });

    it('follows the configuration of each project: none, test, test and live, deactivated', async () => {
      const list = async () => (await as(developer).get(PAYMENT_PROJECTS).expect(200)).body;

      expect(await list()).toEqual({ projects: [unconfigured(bare), unconfigured(configured)], total: 2 });

      await stripeSetup.setModeCredentials(configured.id, 'test', { secretKey: 'sk_test_AAAAAAAAAAAAAAAAAAAAaaaa' });
      const afterTest = await configuredAt(configured.id);
      expect(afterTest.test).toMatch(ISO_DATE_TIME);
      expect(await list()).toEqual({
        projects: [
          unconfigured(bare),
          {
            ...unconfigured(configured),
            has_payment_config: true,
            has_test_credentials: true,
            test_configured_at: afterTest.test,
            is_active: true,
          },
        ],
        total: 2,
      });

      await stripeSetup.setModeCredentials(configured.id, 'live', { secretKey: 'sk_live_AAAAAAAAAAAAAAAAAAAAllll' });
      const afterLive = await configuredAt(configured.id);
      expect(afterLive.live).toMatch(ISO_DATE_TIME);
      const fullyConfigured = {
        ...unconfigured(configured),
        has_payment_config: true,
        has_test_credentials: true,
        has_live_credentials: true,
        test_configured_at: afterTest.test,
        live_configured_at: afterLive.live,
        is_active: true,
      };
      const withLive = await as(developer).get(PAYMENT_PROJECTS).expect(200);
      expect(withLive.body).toEqual({ projects: [unconfigured(bare), fullyConfigured], total: 2 });
      expect(withLive.text).not.toMatch(/sk_(test|live)_|AAAA/);

      await prisma.stripeConfig.update({ where: { projectId: configured.id }, data: { isActive: false } });
      expect(await list()).toEqual({
        projects: [unconfigured(bare), { ...fullyConfigured, is_active: false }],
        total: 2,
      });
    });

    it('counts a live-only configuration as live credentials only', async () => {
      const owner = randomUUID();
      const project = await createProject(owner, { name: 'live only' });
      await stripeSetup.setModeCredentials(project.id, 'live', { secretKey: 'sk_live_AAAAAAAAAAAAAAAAAAAAllll' });
      const { live } = await configuredAt(project.id);

      const response = await as(owner).get(PAYMENT_PROJECTS).expect(200);
      expect(response.body).toEqual({
        projects: [
          {
            ...unconfigured(project),
            has_payment_config: true,
            has_live_credentials: true,
            live_configured_at: live,
            is_active: true,
          },
        ],
        total: 1,
      });
    });
  });

  describe('OpenAPI document', () => {
    const errorRef = { $ref: '#/components/schemas/ErrorDetail' };
    const validationRef = { $ref: '#/components/schemas/HTTPValidationError' };
    const schemaOf = (response: { content?: Record<string, { schema?: unknown }> }) =>
      response.content?.['application/json']?.schema;

    it('documents each operation with its id, tag, security and every status with a schema', async () => {
      const { body: document } = await request(server()).get('/openapi.json').expect(200);
      const expected: [string, Method, string, string, Record<string, unknown>][] = [
        [
          PROJECTS,
          'post',
          'createProject',
          'Projects',
          { 201: { $ref: '#/components/schemas/ProjectResponse' }, 422: validationRef },
        ],
        [
          PROJECTS,
          'get',
          'listProjects',
          'Projects',
          { 200: { $ref: '#/components/schemas/ProjectListResponse' }, 422: validationRef },
        ],
        [
          `${PROJECTS}/{project_id}`,
          'get',
          'getProject',
          'Projects',
          { 200: { $ref: '#/components/schemas/ProjectResponse' }, 404: errorRef, 422: validationRef },
        ],
        [
          `${PROJECTS}/{project_id}`,
          'put',
          'updateProject',
          'Projects',
          { 200: { $ref: '#/components/schemas/ProjectResponse' }, 404: errorRef, 422: validationRef },
        ],
        [
          `${PROJECTS}/{project_id}`,
          'delete',
          'deleteProject',
          'Projects',
          { 204: undefined, 404: errorRef, 422: validationRef },
        ],
        [
          PAYMENT_PROJECTS,
          'get',
          'listProjectsPaymentConfig',
          'Payments',
          { 200: { $ref: '#/components/schemas/ProjectPaymentConfigListResponse' } },
        ],
      ];
      for (const [path, method, operationId, tag, statuses] of expected) {
        const operation = document.paths[path]?.[method];
        expect({ path, method, operationId: operation?.operationId }).toEqual({ path, method, operationId });
        expect(operation.tags).toEqual([tag]);
        expect(operation.security).toEqual([{ HTTPBearer: [] }]);
        // Every operation may meet an unreachable database; those with a body also the body parser's 413 and 415.
        const withBody = method === 'post' || method === 'put';
        const documented = {
          ...statuses,
          401: errorRef,
          403: errorRef,
          503: errorRef,
          ...(withBody && { 413: errorRef, 415: errorRef }),
        };
        expect(Object.keys(operation.responses).sort()).toEqual(Object.keys(documented).sort());
        for (const [status, schema] of Object.entries(documented)) {
          expect({ status, schema: schemaOf(operation.responses[status]) }).toEqual({ status, schema });
        }
      }
      expect(document.paths[`${PROJECTS}/{project_id}`].get.parameters).toEqual([
        expect.objectContaining({
          name: 'project_id',
          in: 'path',
          required: true,
          schema: expect.objectContaining({ type: 'string', format: 'uuid' }),
        }),
      ]);
      expect(document.paths[PROJECTS].get.parameters).toEqual([
        expect.objectContaining({
          name: 'page',
          in: 'query',
          required: false,
          schema: expect.objectContaining({ type: 'integer', minimum: 1, default: 1 }),
        }),
        expect.objectContaining({
          name: 'page_size',
          in: 'query',
          required: false,
          schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100, default: 50 }),
        }),
      ]);
    });

    it('documents the request and response schemas as the reference does, nullable fields included', async () => {
      const { body: document } = await request(server()).get('/openapi.json').expect(200);
      const schemas = document.components.schemas;

      for (const name of ['CreateProjectRequest', 'UpdateProjectRequest']) {
        expect(schemas[name].required).toEqual(['name']);
        expect(schemas[name].properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 200 });
        expect(schemas[name].properties.description).toMatchObject({
          type: 'string',
          nullable: true,
          maxLength: 2000,
        });
      }
      expect(schemas.ProjectResponse.properties.description).toMatchObject({ type: 'string', nullable: true });
      expect(schemas.ProjectListResponse.required.sort()).toEqual(['page', 'page_size', 'projects', 'total']);
      expect(schemas.ProjectPaymentConfigListResponse.required.sort()).toEqual(['projects', 'total']);
      const config = schemas.ProjectPaymentConfigResponse;
      expect(Object.keys(config.properties).sort()).toEqual(
        [
          'id',
          'name',
          'description',
          'has_payment_config',
          'has_test_credentials',
          'has_live_credentials',
          'test_configured_at',
          'live_configured_at',
          'is_active',
          'created_at',
        ].sort(),
      );
      for (const nullable of ['description', 'test_configured_at', 'live_configured_at']) {
        expect(config.properties[nullable].nullable).toBe(true);
      }
      expect(config.properties.created_at).toMatchObject({ type: 'string', format: 'date-time' });
    });
  });
});
