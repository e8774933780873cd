// One netreflex function under the Functions Framework, for the local stack (local/functions-host.ts).
//
// It does what the framework's own entry point does (@google-cloud/functions-framework
// build/src/main.js, 5.0.x: parseOptions → getUserFunction → getServer → ErrorHandler → listen),
// with three differences a local stack needs and Cloud Run does not:
// - it listens on 127.0.0.1 only (the framework listens on every interface, and nothing
//   authenticates a call to it locally);
// - it tells its parent over the IPC channel once *it* is listening, or why it could not
//   (EADDRINUSE with the port), so a port that another process holds is never taken for this
//   function being up;
// - it exits when its parent goes (the IPC channel closes, whatever killed the parent), so a dead
//   `netreflex up` never leaves functions holding their ports;
// - a SIGINT (Ctrl-C in a terminal reaches the whole process group) is left to the parent, which
//   stops the functions itself, in order: a function that ended on its own first would read as one
//   that died.
// Plain JavaScript, so the built bundle runs without the TypeScript loader, as it deploys.
// Hand-written because the framework has no option for the address it listens on.
import { createRequire } from 'node:module';
import path from 'node:path';

const HOST = '127.0.0.1';
const require = createRequire(import.meta.url);
const ff = path.dirname(require.resolve('@google-cloud/functions-framework'));
const { parseOptions, OptionsError } = require(path.join(ff, 'options.js'));
const { getUserFunction } = require(path.join(ff, 'loader.js'));
const { getServer } = require(path.join(ff, 'server.js'));
const { ErrorHandler } = require(path.join(ff, 'invoker.js'));

/** Tells the parent (if it still listens) and resolves once the message is handed over. */
function tell(message) {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, () => resolve());
  });
}

// Ctrl-C: `netreflex up` stops this function with SIGTERM (or, gone, through 'disconnect' below).
const leaveSigintToParent = () => console.error('netreflex: Ctrl-C; the local stack stops this function.');
process.on('SIGINT', leaveSigintToParent);

process.on('disconnect', () => {
  console.error('netreflex: the local stack that started this function is gone; stopping.');
  process.exit(0);
});

let options;
try {
  options = parseOptions();
} catch (err) {
  if (!(err instanceof OptionsError)) throw err;
  console.error(err.message);
  await tell({ kind: 'failed', message: err.message });
  process.exit(1);
}
const loaded = await getUserFunction(options.sourceLocation, options.target, options.signatureType);
if (!loaded) {
  console.error('Could not load the function, shutting down.');
  await tell({ kind: 'failed', message: `could not load function ${options.target} from ${options.sourceLocation}` });
  process.exit(1);
}
options.signatureType = loaded.signatureType;
const server = getServer(loaded.userFunction, options);
const errorHandler = new ErrorHandler(server);
server.once('error', async (err) => {
  const code = err && typeof err === 'object' && 'code' in err ? err.code : undefined;
  console.error(`function ${options.target} cannot listen on ${HOST}:${options.port}: ${err.message}`);
  await tell({ kind: 'failed', code, port: Number(options.port), message: err.message });
  process.exit(1);
});
server
  .listen(Number(options.port), HOST, () => {
    errorHandler.register();
    // The framework's handler exits on SIGINT as on SIGTERM; only SIGTERM is ours to obey.
    for (const listener of process.listeners('SIGINT'))
      if (listener !== leaveSigintToParent) process.off('SIGINT', listener);
    const { port } = server.address();
    console.log(
      `Serving function ${options.target} (signature type ${loaded.signatureType}) on http://${HOST}:${port}/`,
    );
    void tell({ kind: 'listening', port });
  })
  .setTimeout(0); // as the framework's entry point: no automatic timeout on incoming connections
