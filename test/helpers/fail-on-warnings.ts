/**
 * Preloaded into every test process (`npm test` passes `--import`): a Node warning (deprecation, a listener leak,
 * an unhandled-rejection notice) fails the test file instead of scrolling by.
 */
process.on('warning', (warning) => {
  // Test files exercising hostile input may print nothing else; this one is for pdl's own mistakes.
  process.exitCode = 1;
  process.stderr.write(`Node warning in a test process: ${warning.name}: ${warning.message}\n`);
  throw warning;
});
