import autocannon from 'autocannon';

/**
 * The load generator, in its own process so it does not share an event loop with the servers under test. The parent
 * sends {url, connections, duration, requests} over IPC and receives autocannon's result.
 *
 * Every connection walks the requests (one per tenant) in order, starting at its own offset: autocannon would start
 * them all at the first, so the connections would move in lock-step and hit one tenant at a time (32 at once on a
 * single project), which is not how independent users behave.
 */
process.once('message', (options) => {
  const { requests } = options;
  let nextOffset = 0;
  autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    pipelining: 1,
    requests: [
      {
        setupRequest: (request, context) => {
          context.index ??= nextOffset++;
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
