import { clientAddressBucket } from './client-address.js';

describe('clientAddressBucket', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:db8:0:0:8000::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
    ['', 'unknown'],
  ])('counts %p as %p', (address, bucket) => {
    expect(clientAddressBucket(address)).toBe(bucket);
  });

  it('puts every address of one /64 in the same bucket, and neighbouring /64s in different ones', () => {
    expect(clientAddressBucket('2001:db8:a:b::1')).toBe(clientAddressBucket('2001:db8:a:b:ffff:1:2:3'));
    expect(clientAddressBucket('2001:db8:a:b::1')).not.toBe(clientAddressBucket('2001:db8:a:c::1'));
  });
});
