import 'reflect-metadata';
import { ConfigurationError } from '../../../libs/config/src/app-config.js';
import { loadConfig } from '../../../libs/config/src/load-config.js';
import { parseCommand, USAGE, UsageError } from './cli-arguments.js';

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command.name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfig(process.env, { warn: (message) => process.stderr.write(`${message}\n`) });
  // NestJS and the database layer load only for a valid command (about 2 s): usage errors and help answer at once.
  const [{ NestFactory }, { CliModule }, { runCommand }, { StderrLogger }] = await Promise.all([
    import('@nestjs/core'),
    import('./cli.module.js'),
    import('./commands.js'),
    import('./stderr-logger.js'),
  ]);
  const app = await NestFactory.createApplicationContext(CliModule.forCommand(command.name, config), {
    logger: new StderrLogger(),
    abortOnError: false,
  });
  try {
    const outcome = await runCommand(app, command);
    process.stdout.write(`${command.json ? JSON.stringify(outcome.json) : outcome.text}\n`);
    return 0;
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

const exitCode = await main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof UsageError ? error.message : failureMessage(error)}\n`);
  return error instanceof UsageError ? 2 : 1;
});
// Exit once stdout is flushed rather than waiting on whatever handles a driver may leave behind.
process.stdout.write('', () => process.exit(exitCode));
