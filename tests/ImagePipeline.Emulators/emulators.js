'use strict';
// Starts the local AWS-API emulators for the test fixture (AwsEmulators.cs) and reports where they listen.
//
//   node --openssl-legacy-provider emulators.js '<json>'
//   json: { nodeModules, s3Directory, java, dynamoDirectory, javaTmpDirectory, accessKeyId, secretAccessKey }
//
// s3rver runs in this process on a port the OS picks; DynamoDB Local runs as a child JVM. One line of JSON on stdout
// says {"s3Port":…, "dynamoPort":…} once s3rver listens and DynamoDB Local answers a real API call (ListTables).
// The JVM's port is probed free, released, then bound by the JVM a moment later; another process (parallel test runs)
// may take it in between, so a JVM that exits during start-up is restarted on a fresh port a few times.
// Lifetime is tied to the parent: when stdin closes (the test process exited, crashed or was killed), the JVM is
// stopped (SIGTERM, then SIGKILL) and this process exits, so nothing is orphaned. The JVM's java.io.tmpdir is the
// fixture's javaTmpDirectory (sqlite4java unpacks its native library there), which the fixture deletes.

const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

const config = JSON.parse(process.argv[2]);
const S3rver = require(path.join(config.nodeModules, 's3rver'));
// s3rver knows one access key (S3RVER); register the fixture's, so clients and child processes sign as anywhere else.
require(path.join(config.nodeModules, 's3rver', 'lib', 'models', 'account'))
  .DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);

const http = require('http');

const START_ATTEMPTS = 4;
const START_TIMEOUT_MS = 60000;
const STOP_GRACE_MS = 2000;

let java = null;
let s3 = null;
let stopping = false;

// SIGTERM lets the JVM run its shutdown hooks (temporary files); SIGKILL if it does not exit within the grace period.
function stopJava() {
  const child = java;
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

function shutdown(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  stopJava().finally(() => process.exit(code));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// True when DynamoDB answers ListTables on the port with its JSON (a TCP connect alone could be anything listening).
function answersListTables(port) {
  return new Promise(resolve => {
    const body = '{}';
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      timeout: 2000,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'Content-Length': Buffer.byteLength(body),
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        'X-Amz-Date': '20200101T000000Z',
        // DynamoDB Local wants a well-formed SigV4 header but does not verify the signature.
        Authorization: `AWS4-HMAC-SHA256 Credential=${config.accessKeyId}/20200101/us-east-1/dynamodb/aws4_request, ` +
          'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000',
      },
    }, response => {
      const chunks = [];
      response.on('data', chunk => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 && Array.isArray(JSON.parse(Buffer.concat(chunks).toString('utf8')).TableNames));
        } catch {
          resolve(false);
        }
      });
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
    request.end(body);
  });
}

class JavaExited extends Error {}

async function waitForDynamo(child, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new JavaExited(`DynamoDB Local exited during start-up on port ${port} (${child.exitCode ?? child.signalCode})`);
    }
    if (await answersListTables(port) && child.exitCode === null && child.signalCode === null) {
      return;
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local did not answer ListTables on port ${port} within ${timeoutMs} ms`);
}

async function startDynamo() {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(config.java, [
      `-Djava.io.tmpdir=${config.javaTmpDirectory}`,
      `-Djava.library.path=${path.join(config.dynamoDirectory, 'DynamoDBLocal_lib')}`,
      '-jar', path.join(config.dynamoDirectory, 'DynamoDBLocal.jar'),
      '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port),
    ], { cwd: config.dynamoDirectory, stdio: ['ignore', 'ignore', 'inherit'] });
    java = child;
    let ready = false;
    child.on('exit', (code, signal) => {
      if (ready && !stopping) {
        process.stderr.write(`DynamoDB Local exited (${code ?? signal})\n`);
        shutdown(1);
      }
    });
    try {
      await waitForDynamo(child, port, START_TIMEOUT_MS);
      ready = true;
      return port;
    } catch (error) {
      if (!(error instanceof JavaExited) || attempt >= START_ATTEMPTS || stopping) {
        await stopJava();
        throw error;
      }
      process.stderr.write(`${error.message}; retrying on a fresh port (attempt ${attempt + 1} of ${START_ATTEMPTS})\n`);
    }
  }
}

async function main() {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.resume();
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));

  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: config.s3Directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  });
  const [{ port: s3Port }, dynamoPort] = await Promise.all([s3.run(), startDynamo()]);
  process.stdout.write(JSON.stringify({ s3Port, dynamoPort }) + '\n');
}

main().catch(error => {
  process.stderr.write(`emulators.js: ${error && error.stack || error}\n`);
  shutdown(1);
});
