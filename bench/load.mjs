import autocannon from 'autocannon';

/**
 * The load generator, in its own process so it does not share an event loop with the servers under test. The parent
 * sends {url, connections, duration, requests} over IPC and receives autocannon's result.
 */
process.once('message', (options) => {
  autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    pipelining: 1,
    requests: options.requests,
  }).then(
    (result) => process.send({ result }, () => process.exit(0)),
    (error) => process.send({ error: String(error) }, () => process.exit(1)),
  );
});
