import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A loopback TCP relay to a real server that a test can stall: while paused, what clients send is held (the server
 * neither sees nor answers it, like a Redis under CLIENT PAUSE), and delivered in order on resume. Only this relay's
 * clients stall; others sharing the server are not disturbed.
 */
export class StallableRelay {
  private readonly server = createServer((client) => this.relay(client));
  private readonly sockets = new Set<Socket>();
  private readonly held: { upstream: Socket; chunk: Buffer }[] = [];
  private paused = false;
  /** Everything clients sent while paused: nothing reaches a stalled server without showing here. */
  private heldSoFar = '';

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const { upstream, chunk } of this.held.splice(0)) upstream.write(chunk);
  }

  /** What clients sent while paused, since the relay started (held, or delivered on resume). */
  heldText(): string {
    return this.heldSoFar;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (!this.paused) {
        upstream.write(chunk);
        return;
      }
      this.held.push({ upstream, chunk });
      this.heldSoFar += chunk.toString('latin1');
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
