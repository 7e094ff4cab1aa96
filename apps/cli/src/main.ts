import { runCli } from './run-cli.js';

const exitCode = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
// Exit once stdout is flushed rather than waiting on whatever handles a driver may leave behind.
process.stdout.write('', () => process.exit(exitCode));
