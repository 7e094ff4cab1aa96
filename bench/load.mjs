import autocannon from 'autocannon';

/**
 * The load generator, in its own process so it does not share an event loop with the servers under test. The parent
 * sends {url, connections, duration, requests} over IPC and receives autocannon's result.
 *
 * Every connection walks the requests in order, starting at its own offset: autocannon would start them all at the
 * first, so the connections would move in lock-step and send one user's requests at once, which is not how
 * independent users behave. Request i is user i % `users`'s, so the offsets are spread evenly over the users: 32
 * connections keep 31 users apart (with 1,000), and one user's checkouts do not wait for each other's lease.
 */
process.once('message', (options) => {
  const { requests, connections, users } = options;
  let nextConnection = 0;
  autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    pipelining: 1,
    requests: [
      {
        setupRequest: (request, context) => {
          context.index ??= Math.floor((nextConnection++ * users) / connections);
          const { method, path, headers, body } = requests[context.index++ % requests.length];
          return { ...request, method, path, headers, body };
        },
      },
    ],
  }).then(
    (result) => process.send({ result }, () => process.exit(0)),
    (error) => process.send({ error: String(error) }, () => process.exit(1)),
  );
});
