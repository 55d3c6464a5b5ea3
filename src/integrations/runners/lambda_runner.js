// stepdbg's stand-in for the AWS Lambda Node.js runtime: imports the handler file (ES module
// or CommonJS), calls the handler with the event (stdin), a context object and a callback,
// and answers on fd 1 ("ok\n" or "error\n", then the JSON text) the way the Lambda runtime
// serialises results and errors. The handler's console output goes to stderr: its log.
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const env = process.env;
// Before anything writes: console and process.stdout now lead to stderr, fd 1 is ours.
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => process.stderr });

let answered = false;
function respond(kind, text) {
  if (answered) return;
  answered = true;
  let data = Buffer.from(kind + '\n' + text);
  while (data.length > 0) {
    try {
      data = data.subarray(fs.writeSync(1, data));
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
    }
  }
  // Like a frozen sandbox: timers the handler left do not keep the call open.
  process.exit(0);
}

function errorPayload(err) {
  if (err instanceof Error || (err && typeof err === 'object' && 'message' in err)) {
    // This runner's own frames ("[eval]") are of no interest to the handler's author.
    const trace = String(err.stack || '').split('\n').filter((line) => !line.includes('[eval]'));
    return { errorType: err.name || 'Error', errorMessage: String(err.message), trace };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

const fail = (err) => respond('error', JSON.stringify(errorPayload(err)));
const runtimeError = (errorType, err) => {
  const payload = errorPayload(err);
  respond('error', JSON.stringify({ errorType, errorMessage: `${payload.errorType}: ${payload.errorMessage}`, trace: payload.trace }));
};

function succeed(result) {
  let text;
  try {
    text = JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    return respond('error', JSON.stringify({ errorType: 'Runtime.MarshalError', errorMessage: `Unable to stringify response body: ${e.message}`, trace: [] }));
  }
  respond('ok', text === undefined ? 'null' : text);
}

async function main() {
  const file = path.resolve(env.STEPDBG_HANDLER_FILE);
  const handlerName = env.STEPDBG_HANDLER_NAME;
  const moduleName = path.basename(file).replace(/\.(mjs|cjs|js)$/, '');
  const event = JSON.parse(fs.readFileSync(0, 'utf8'));

  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) return runtimeError('Runtime.UserCodeSyntaxError', e);
    if (e && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND')) return runtimeError('Runtime.ImportModuleError', e);
    return fail(e);
  }
  // A CommonJS module's exports may only be on `default`.
  const lookup = (root) => handlerName.split('.').reduce((o, k) => (o == null ? undefined : o[k]), root);
  let handler = lookup(mod);
  if (handler === undefined && mod.default) handler = lookup(mod.default);
  if (handler === undefined) {
    return respond('error', JSON.stringify({ errorType: 'Runtime.HandlerNotFound', errorMessage: `${moduleName}.${handlerName} is undefined or not exported`, trace: [] }));
  }
  if (typeof handler !== 'function') {
    return respond('error', JSON.stringify({ errorType: 'Runtime.HandlerNotFound', errorMessage: `${moduleName}.${handlerName} is not a function`, trace: [] }));
  }

  const deadline = Number(env.STEPDBG_DEADLINE_MS);
  // A callback's answer waits for the event loop to empty unless told otherwise, as on Lambda.
  let finishAfterLoop = null;
  const callback = (err, result) => {
    const finish = () => (err !== undefined && err !== null ? fail(err) : succeed(result));
    if (context.callbackWaitsForEmptyEventLoop) finishAfterLoop = finish;
    else finish();
  };
  const context = {
    awsRequestId: env.STEPDBG_REQUEST_ID,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: env.STEPDBG_INVOKED_FUNCTION_ARN,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: env.STEPDBG_CLIENT_CONTEXT ? JSON.parse(env.STEPDBG_CLIENT_CONTEXT) : undefined,
    identity: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: (err, result) => callback(err, result),
    succeed: (result) => callback(null, result),
    fail: (err) => callback(err),
  };
  // A handler that neither returns a promise nor calls back answers null once idle.
  process.on('beforeExit', () => (finishAfterLoop ? finishAfterLoop() : succeed(null)));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    const returned = handler(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(succeed, fail);
  } catch (e) {
    fail(e);
  }
}

main().catch(fail);
