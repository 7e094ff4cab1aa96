import { browsableBaseUrl } from './browsable-url.js';

describe('browsableBaseUrl', () => {
  it.each([
    ['0.0.0.0', 'http://localhost:3000'],
    ['::', 'http://localhost:3000'],
    ['0:0:0:0:0:0:0:0', 'http://localhost:3000'],
    ['127.0.0.1', 'http://127.0.0.1:3000'],
    ['192.168.1.20', 'http://192.168.1.20:3000'],
    ['::1', 'http://[::1]:3000'],
    ['fd00::2', 'http://[fd00::2]:3000'],
    ['billing.internal', 'http://billing.internal:3000'],
  ])('opens a service listening on %p at %p', (host, url) => {
    expect(browsableBaseUrl(host, 3000)).toBe(url);
  });
});
