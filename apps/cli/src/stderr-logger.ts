import type { LoggerService } from '@nestjs/common';

/** Nest's warnings and errors go to stderr, one line each, so stdout carries only the command's output. */
export class StderrLogger implements LoggerService {
  constructor(private readonly writeStderr: (line: string) => void = (line) => process.stderr.write(line)) {}

  log(): void {}

  warn(message: unknown, ...context: unknown[]): void {
    this.write(message, context);
  }

  error(message: unknown, ...context: unknown[]): void {
    // A failed start is reported once, by runCli, instead of as Nest's stack trace.
    if (context.at(-1) === 'ExceptionHandler') return;
    this.write(message, context);
  }

  private write(message: unknown, context: unknown[]): void {
    const text = message instanceof Error ? message.message : String(message);
    const source = context.at(-1);
    this.writeStderr(`${typeof source === 'string' ? `${source}: ` : ''}${text.replace(/\s*\n\s*/g, ' ')}\n`);
  }
}
