import { principalFromClaims, type AccessTokenClaims } from './access-token.verifier.js';

const USER = '3f2a8b1c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const PROJECT = '6f1c3a52-1d2e-4c8b-9a0f-3b5e7d9c1a2b';
const EXP = 1_900_000_000;

const endUser: AccessTokenClaims = { sub: USER, type: 'access', exp: EXP, project_id: PROJECT };
const developer: AccessTokenClaims = { sub: USER, type: 'access', exp: EXP };

describe('principalFromClaims', () => {
  describe('accepts', () => {
    it('an end-user access token, scoped to its project', () => {
      expect(principalFromClaims(endUser)).toEqual({ userId: USER, projectId: PROJECT });
    });

    it('a developer access token without project_id', () => {
      expect(principalFromClaims(developer)).toEqual({ userId: USER, projectId: null });
    });

    it('a developer access token with project_id null', () => {
      expect(principalFromClaims({ ...developer, project_id: null })).toEqual({ userId: USER, projectId: null });
    });

    it('a developer access token with project_id undefined', () => {
      expect(principalFromClaims({ ...developer, project_id: undefined })).toEqual({ userId: USER, projectId: null });
    });

    it('an exp of 0 (expiry is passport-jwt’s check, not this one)', () => {
      expect(principalFromClaims({ ...endUser, exp: 0 })).toEqual({ userId: USER, projectId: PROJECT });
    });

    it('a fractional exp', () => {
      expect(principalFromClaims({ ...endUser, exp: EXP + 0.5 })).toEqual({ userId: USER, projectId: PROJECT });
    });

    it('extra claims, ignoring them', () => {
      const claims = { ...endUser, iat: EXP - 900, iss: 'issuer', email: 'a@b.c', role: 'admin' } as AccessTokenClaims;
      expect(principalFromClaims(claims)).toEqual({ userId: USER, projectId: PROJECT });
    });

    it('the nil UUID and UUIDs of any version', () => {
      const nil = '00000000-0000-0000-0000-000000000000';
      const v7 = '01890a5d-ac96-774b-bcce-b302099a8057';
      expect(principalFromClaims({ ...endUser, sub: nil, project_id: v7 })).toEqual({ userId: nil, projectId: v7 });
    });
  });

  describe('normalises', () => {
    it('an upper-case sub and project_id to lower case', () => {
      expect(principalFromClaims({ ...endUser, sub: USER.toUpperCase(), project_id: PROJECT.toUpperCase() })).toEqual({
        userId: USER,
        projectId: PROJECT,
      });
    });

    it('a mixed-case developer sub to lower case', () => {
      const mixed = '3F2a8B1c-4D5e-4F60-8A7b-9C0d1E2f3A4b';
      expect(principalFromClaims({ ...developer, sub: mixed })).toEqual({ userId: USER, projectId: null });
    });
  });

  describe('refuses', () => {
    it.each<[string, AccessTokenClaims]>([
      ['a refresh token', { ...endUser, type: 'refresh' }],
      ['a developer refresh token', { ...developer, type: 'refresh' }],
      ['a token without type', { sub: USER, exp: EXP, project_id: PROJECT }],
      ['type null', { ...endUser, type: null }],
      ['type in another case', { ...endUser, type: 'Access' }],
      ['type with a space', { ...endUser, type: 'access ' }],
      ['type as an array', { ...endUser, type: ['access'] }],
      ['type true', { ...endUser, type: true }],
      ['an id token', { ...endUser, type: 'id' }],
      ['a token without exp', { sub: USER, type: 'access', project_id: PROJECT }],
      ['exp as a string', { ...endUser, exp: String(EXP) }],
      ['exp null', { ...endUser, exp: null }],
      ['exp as an object', { ...endUser, exp: { value: EXP } }],
      ['exp true', { ...endUser, exp: true }],
      ['a token without sub', { type: 'access', exp: EXP, project_id: PROJECT }],
      ['a developer token without sub', { type: 'access', exp: EXP }],
      ['sub as a number', { ...endUser, sub: 42 }],
      ['sub null', { ...endUser, sub: null }],
      ['sub empty', { ...endUser, sub: '' }],
      ['sub not a UUID', { ...endUser, sub: 'user-42' }],
      ['sub an e-mail address', { ...endUser, sub: 'alice@example.com' }],
      ['sub a UUID without dashes', { ...endUser, sub: USER.replace(/-/g, '') }],
      ['sub a UUID in braces', { ...endUser, sub: `{${USER}}` }],
      ['sub a UUID with a urn prefix', { ...endUser, sub: `urn:uuid:${USER}` }],
      ['sub a UUID with a trailing newline', { ...endUser, sub: `${USER}\n` }],
      ['sub a UUID with a leading space', { ...endUser, sub: ` ${USER}` }],
      ['sub a UUID followed by more text', { ...endUser, sub: `${USER}x` }],
      ['sub with a non-hex digit', { ...endUser, sub: USER.replace(/^3/, 'g') }],
      ['sub too short', { ...endUser, sub: USER.slice(0, -1) }],
      ['sub as an array', { ...endUser, sub: [USER] }],
      ['project_id as a number', { ...endUser, project_id: 7 }],
      ['project_id 0', { ...endUser, project_id: 0 }],
      ['project_id empty', { ...endUser, project_id: '' }],
      ['project_id false', { ...endUser, project_id: false }],
      ['project_id not a UUID', { ...endUser, project_id: 'my-project' }],
      ['project_id a UUID without dashes', { ...endUser, project_id: PROJECT.replace(/-/g, '') }],
      ['project_id with surrounding spaces', { ...endUser, project_id: ` ${PROJECT} ` }],
      ['project_id as an array', { ...endUser, project_id: [PROJECT] }],
      ['project_id as an object', { ...endUser, project_id: { id: PROJECT } }],
      ['project_id the string "null"', { ...endUser, project_id: 'null' }],
      ['no claims at all', {}],
    ])('%s', (_label, claims) => {
      expect(principalFromClaims(claims)).toBeUndefined();
    });
  });
});
