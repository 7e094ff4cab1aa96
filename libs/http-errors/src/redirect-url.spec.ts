import { REDIRECT_URL_MAX_LENGTH, redirectUrlProblem } from './redirect-url.js';

const returnUrlProblem = (url: string) => redirectUrlProblem(url, 'return_url');

const NOT_ABSOLUTE = 'return_url must be an absolute URL starting with http:// or https://';
const FORBIDDEN = 'return_url must not contain whitespace, control characters or backslashes';
const CREDENTIALS = 'return_url must not contain a username or password';
const NO_HOST = 'return_url must include a host';
const BAD_HOST = 'return_url has an invalid host';
const BAD_PORT = 'return_url has an invalid port';
const NOT_A_URL = 'return_url is not a valid URL';

/** Test titles with every control or invisible character escaped. */
const named = (urls: string[]): [string, string][] => urls.map((url) => [JSON.stringify(url), url]);

describe('REDIRECT_URL_MAX_LENGTH', () => {
  it('is 2048', () => {
    expect(REDIRECT_URL_MAX_LENGTH).toBe(2048);
  });
});

describe('redirectUrlProblem', () => {
  describe('accepts', () => {
    const longest = `https://example.com/${'a'.repeat(REDIRECT_URL_MAX_LENGTH - 'https://example.com/'.length)}`;

    it.each(
      named([
        'https://example.com',
        'http://example.com',
        'https://example.com/',
        'HTTPS://example.com',
        'HTTP://EXAMPLE.COM/PATH',
        'hTtPs://Example.Com',
        'https://example.com:8443',
        'http://example.com:80',
        'https://example.com:1',
        'https://example.com:65535',
        'https://example.com/account/billing',
        'https://example.com/account/billing?tab=plan&from=portal',
        'https://example.com/account#billing',
        'https://example.com:8443/a/b?c=d#e',
        'https://example.com?',
        'https://example.com#',
        'https://example.com/?next=//evil.com',
        'https://example.com/#@evil.com',
        'https://app.example.com?@evil.com',
        'https://example.com/path@with-at',
        'https://example.com/%20encoded%2Fpath',
        'https://example.com/ünïcödé-path',
        'http://127.0.0.1',
        'http://127.0.0.1:3000/return',
        'http://[::1]',
        'http://[::1]:3000/return',
        'https://[2001:db8::1]/',
        'https://[::ffff:127.0.0.1]/',
        'http://localhost',
        'http://localhost:3000/billing',
        'https://example.com.',
        'https://example.com.:443/',
        'https://my-app.example.co.uk',
        'https://xn--exmple-cua.com',
        'https://a.b',
        `https://${'a'.repeat(63)}.com`,
      ]),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBeUndefined();
    });

    it(`a URL of exactly ${REDIRECT_URL_MAX_LENGTH} characters`, () => {
      expect(longest).toHaveLength(2048);
      expect(returnUrlProblem(longest)).toBeUndefined();
    });
  });

  describe('refuses what is not an absolute http(s) URL', () => {
    it.each(
      named([
        'javascript:alert(1)',
        'JAVASCRIPT:alert(1)',
        'javascript://example.com/%0Aalert(1)',
        'data:text/html,<script>alert(1)</script>',
        'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
        'vbscript:msgbox(1)',
        'file:///etc/passwd',
        'ftp://example.com',
        'ws://example.com',
        'wss://example.com',
        'mailto:x@y.z',
        'tel:+15555550100',
        'blob:https://example.com/uuid',
        'intent://example.com#Intent;scheme=https;end',
        'httpx://example.com',
        'https+evil://example.com',
        '/relative',
        '//evil.com',
        '///evil.com',
        '\\\\evil.com',
        'example.com/path',
        'example.com',
        'https:\\\\evil.com',
        'https:/\\evil.com',
        'https:\\/evil.com',
        'http:evil.com',
        'https:evil.com',
        'https:/evil.com',
        'https:%2F%2Fevil.com',
        'https//evil.com',
        'https:',
        '',
        ' https://example.com',
        '\thttps://example.com',
        '\nhttps://example.com',
        '\u0000https://example.com',
        '\ufeffhttps://example.com',
        'ht\ttps://example.com',
        'java\nscript:alert(1)',
      ]),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBe(NOT_ABSOLUTE);
    });
  });

  describe('refuses whitespace, control characters, invisible characters and backslashes', () => {
    it.each([
      ['a space in the host', 'https://exa mple.com'],
      ['a space in the path', 'https://example.com/a b'],
      ['a trailing space', 'https://example.com '],
      ['a tab', 'https://example.com/\tpath'],
      ['a tab in the host', 'https://evil.com\t.good.com'],
      ['a newline', 'https://example.com/\npath'],
      ['a carriage return', 'https://example.com\r/path'],
      ['CRLF (header injection)', 'https://example.com/%0d%0a\r\nSet-Cookie: a=b'],
      ['a vertical tab', 'https://example.com\u000b'],
      ['a form feed', 'https://example.com\u000c'],
      ['a non-breaking space', 'https://example.com\u00a0/'],
      ['an ideographic space', 'https://example.com\u3000/'],
      ['a line separator', 'https://\u2028evil.com'],
      ['a byte order mark', 'https://example.com\ufeff'],
      ['NUL', 'https://example.com\u0000.evil.com'],
      ['NUL at the end', 'https://example.com/\u0000'],
      ['DEL', 'https://example.com/\u007f'],
      ['escape', 'https://example.com/\u001b[31m'],
      ['a C1 control (NEL)', 'https://example.com/\u0085'],
      ['a C1 control (CSI)', 'https://example.com/\u009b'],
      ['a zero-width space', 'https://example.com/\u200b'],
      ['a zero-width joiner in the host', 'https://exam\u200dple.com'],
      ['a right-to-left override', 'https://example.com/\u202emoc.live'],
      ['a left-to-right isolate', 'https://example.com/\u2066x'],
      ['a word joiner', 'https://example.com/\u2060'],
      ['a soft hyphen in the host', 'https://exam\u00adple.com'],
      ['a lone high surrogate', 'https://example.com/\ud800'],
      ['a lone low surrogate', 'https://example.com/\udc00'],
      ['a backslash before @', 'https://evil.com\\@good.com'],
      ['a backslash in the path', 'https://example.com\\path'],
      ['a backslash at the end', 'https://example.com/\\'],
      ['backslashes after the scheme', 'https://\\\\evil.com'],
      ['a backslash in the query', 'https://example.com/?a=\\'],
    ])('%s', (_label, url) => {
      expect(returnUrlProblem(url)).toBe(FORBIDDEN);
    });

    it('still accepts an astral character (a valid surrogate pair) in the path', () => {
      expect(returnUrlProblem('https://example.com/\u{1f511}')).toBeUndefined();
    });
  });

  describe('refuses credentials (the user@host trick)', () => {
    it.each(
      named([
        'https://user:pass@example.com',
        'https://user@example.com',
        'https://good.com@evil.com',
        'https://good.com:443@evil.com',
        'https://@evil.com',
        'https://:@evil.com',
        'https://good.com%40@evil.com',
        'https://good.com%2F@evil.com',
        'https://[::1]@evil.com',
        'https://a@b@evil.com',
        'http://user:pass@localhost:3000/',
      ]),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBe(CREDENTIALS);
    });
  });

  describe('refuses a missing host', () => {
    it.each(
      named([
        'http://',
        'https://',
        'http://:80',
        'https://:443/path',
        'https:///evil.com',
        'https:////evil.com',
        'http:///',
        'https://?q=evil.com',
        'https://#evil.com',
      ]),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBe(NO_HOST);
    });
  });

  describe('refuses an invalid host', () => {
    it.each([
      ['an underscore', 'https://exa_mple.com'],
      ['a leading hyphen', 'https://-bad.com'],
      ['a label ending with a hyphen', 'https://bad-.com'],
      ['an empty label', 'https://example..com'],
      ['a leading dot', 'https://.example.com'],
      ['only a dot', 'https://./'],
      ['a 64-character label', `https://${'a'.repeat(64)}.com`],
      ['a percent-encoded dot', 'https://evil%2Ecom'],
      ['a percent-encoded letter', 'https://%65vil.com'],
      ['a percent-encoded NUL', 'https://ex%00ample.com'],
      ['an ideographic full stop (browsers read a dot)', 'https://example.com\u3002evil.com'],
      ['a fullwidth full stop', 'https://example\uff0ecom'],
      ['a non-ASCII letter (IDN)', 'https://ex\u00e4mple.com'],
      ['a Cyrillic lookalike', 'https://\u0435xample.com'],
      ['a Greek lookalike', 'https://\u03bfpenai.com'],
      ['fullwidth letters', 'https://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com'],
      ['an emoji', 'https://\u{1f511}.com'],
      ['brackets around a name', 'https://[evil.com]'],
      ['an unclosed IPv6 bracket', 'https://[::1'],
      ['an IPv6 address without brackets', 'https://::1'],
      ['an IPv6 zone id', 'https://[fe80::1%25eth0]/'],
      ['two ports', 'https://example.com:80:80'],
      ['a signed port', 'https://example.com:+80'],
      ['a negative port', 'https://example.com:-1'],
      ['a port in exponent notation', 'https://example.com:1e3'],
      ['a hex port', 'https://example.com:0x50'],
      ['a quote', "https://exam'ple.com"],
      ['angle brackets', 'https://<script>.com'],
      ['a semicolon', 'https://evil.com;good.com'],
      ['a comma', 'https://evil.com,good.com'],
      ['a dollar sign', 'https://ev$il.com'],
      ['an asterisk', 'https://*.example.com'],
    ])('%s', (_label, url) => {
      expect(returnUrlProblem(url)).toBe(BAD_HOST);
    });
  });

  describe('refuses an invalid port', () => {
    it.each(
      named([
        'http://example.com:99999',
        'http://example.com:65536',
        'http://example.com:',
        'http://example.com:/path',
        'https://[::1]:',
        'https://[::1]:70000/',
        'http://localhost:123456789012345678901234567890',
      ]),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBe(BAD_PORT);
    });
  });

  describe('refuses what looks right but does not parse', () => {
    it.each(
      named(['https://999.999.999.999', 'https://256.0.0.1/', 'https://[1.2.3.4]', 'https://[::1::2]', 'https://[:]']),
    )('%s', (_title, url) => {
      expect(returnUrlProblem(url)).toBe(NOT_A_URL);
    });
  });

  describe('every accepted URL keeps the host it appears to have', () => {
    it.each([
      ['https://example.com/#@evil.com', 'example.com'],
      ['https://app.example.com?@evil.com', 'app.example.com'],
      ['https://example.com/?next=//evil.com', 'example.com'],
      ['HTTPS://EXAMPLE.COM', 'example.com'],
      ['http://[::1]:3000/return', '[::1]'],
      ['https://example.com.', 'example.com.'],
    ])('%p goes to %p', (url, hostname) => {
      expect(returnUrlProblem(url)).toBeUndefined();
      expect(new URL(url).hostname).toBe(hostname);
    });
  });

  it('never echoes the URL in its reason', () => {
    for (const url of [
      'javascript:alert(1)',
      'https://user:secret@example.com',
      'https://exa_mple.com',
      'http://example.com:99999',
    ]) {
      const reason = returnUrlProblem(url);
      expect(reason).toEqual(expect.stringMatching(/^return_url /));
      expect(reason).not.toContain('alert');
      expect(reason).not.toContain('secret');
      expect(reason).not.toContain('exa_mple');
      expect(reason).not.toContain('99999');
    }
  });

  it('names the field it judges', () => {
    expect(redirectUrlProblem('ftp://example.com', 'success_url')).toBe(
      'success_url must be an absolute URL starting with http:// or https://',
    );
    expect(redirectUrlProblem('https://user@example.com', 'cancel_url')).toBe(
      'cancel_url must not contain a username or password',
    );
  });

  it.each([
    'https://myapp.example.com/success?session_id={CHECKOUT_SESSION_ID}',
    'https://myapp.example.com/done/{CHECKOUT_SESSION_ID}',
    'http://localhost:3000/success?session_id={CHECKOUT_SESSION_ID}&plan=pro#top',
  ])("accepts Stripe's {CHECKOUT_SESSION_ID} placeholder in %s", (url) => {
    expect(redirectUrlProblem(url, 'success_url')).toBeUndefined();
  });
});
