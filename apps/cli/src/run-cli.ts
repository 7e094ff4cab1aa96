import 'reflect-metadata';
import { ConfigurationError } from '../../../libs/config/src/app-config.js';
import { loadConfig } from '../../../libs/config/src/load-config.js';
import { parseCommand, USAGE, UsageError } from './cli-arguments.js';

/** Where the CLI writes: the process's streams in main.ts, buffers in the in-process tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * One CLI run: parses `argv`, configures itself from `env` (never from process.env), runs the command and writes its
 * output to `io`. Resolves to the exit code: 0 success, 1 failure, 2 usage error, each failure as one line on stderr.
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  try {
    await run(argv, env, io);
    return 0;
  } catch (error) {
    io.stderr(`${error instanceof UsageError ? error.message : failureMessage(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<void> {
  const command = parseCommand(argv);
  if (command.name === 'help') {
    io.stdout(`${USAGE}\n`);
    return;
  }
  const config = loadConfig(env, { warn: (message) => io.stderr(`${message}\n`) });
  // NestJS and the database layer load only for a valid command (about 2 s): usage errors and help answer at once.
  // One after another: Jest's VM modules (the in-process tests) fail to link graphs that overlap when imported at once.
  const { NestFactory } = await import('@nestjs/core');
  const { CliModule } = await import('./cli.module.js');
  const { runCommand } = await import('./commands.js');
  const { StderrLogger } = await import('./stderr-logger.js');
  const app = await NestFactory.createApplicationContext(CliModule.forCommand(command.name, config), {
    logger: new StderrLogger((line) => io.stderr(line)),
    abortOnError: false,
  });
  try {
    const outcome = await runCommand(app, command);
    io.stdout(`${command.json ? JSON.stringify(outcome.json) : outcome.text}\n`);
  } finally {
    // Closes Prisma and PGlite and releases the data directory lock, even when the command failed.
    await app.close();
  }
}

/** One line for stderr; Prisma and configuration errors span several. */
function failureMessage(error: unknown): string {
  if (error instanceof ConfigurationError) return `Invalid configuration: ${error.problems.join('; ')}`;
  if (isHttpException(error)) {
    const response = error.getResponse();
    return typeof response === 'object' && 'detail' in response ? String(response.detail) : error.message;
  }
  if (error instanceof AggregateError && !error.message) return failureMessage(error.errors[0]);
  if (!(error instanceof Error)) return String(error);
  const lines = error.message
    .split('\n')
    .map((line) => line.trim())
    // Prisma prefixes the reason with the call that failed, which tells an operator nothing.
    .filter((line) => line && !/^Invalid `.*` invocation/.test(line));
  return lines.join(' ') || ((error as NodeJS.ErrnoException).code ?? error.name);
}

/** Nest's HttpException, recognised without loading NestJS for a usage error. */
function isHttpException(error: unknown): error is Error & { getResponse(): string | object } {
  return error instanceof Error && typeof (error as { getResponse?: unknown }).getResponse === 'function';
}
