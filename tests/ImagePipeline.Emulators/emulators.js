'use strict';
// Starts the local AWS-API emulators for the test fixture (AwsEmulators.cs) and reports where they listen.
//
//   node --openssl-legacy-provider emulators.js '<json>'
//   json: { nodeModules, s3Directory, java, dynamoDirectory, accessKeyId, secretAccessKey }
//
// s3rver runs in this process on a port the OS picks; DynamoDB Local runs as a child JVM. One line of JSON on stdout
// says {"s3Port":…, "dynamoPort":…} once both accept connections. Lifetime is tied to the parent: when stdin closes
// (the test process exited, crashed or was killed), the JVM is killed and this process exits, so nothing is orphaned.

const path = require('path');
const net = require('net');
const { spawn } = require('child_process');

const config = JSON.parse(process.argv[2]);
const S3rver = require(path.join(config.nodeModules, 's3rver'));
// s3rver knows one access key (S3RVER); register the fixture's, so clients and child processes sign as anywhere else.
require(path.join(config.nodeModules, 's3rver', 'lib', 'models', 'account'))
  .DUMMY_ACCOUNT.createKeyPair(config.accessKeyId, config.secretAccessKey);

let java = null;
let s3 = null;

function shutdown(code) {
  if (java && java.exitCode === null) {
    java.kill('SIGKILL');
  }
  process.exit(code);
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

function accepts(port) {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (java.exitCode !== null) {
      throw new Error(`DynamoDB Local exited with code ${java.exitCode}`);
    }
    if (await accepts(port)) {
      return;
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`DynamoDB Local did not accept connections on port ${port} within ${timeoutMs} ms`);
}

async function main() {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.resume();
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));

  const dynamoPort = await freePort();
  java = spawn(config.java, [
    `-Djava.library.path=${path.join(config.dynamoDirectory, 'DynamoDBLocal_lib')}`,
    '-jar', path.join(config.dynamoDirectory, 'DynamoDBLocal.jar'),
    '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(dynamoPort),
  ], { cwd: config.dynamoDirectory, stdio: ['ignore', 'ignore', 'inherit'] });
  java.on('exit', code => {
    process.stderr.write(`DynamoDB Local exited (${code})\n`);
    shutdown(1);
  });

  s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: config.s3Directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
  });
  const { port: s3Port } = await s3.run();

  await waitForPort(dynamoPort, 60000);
  process.stdout.write(JSON.stringify({ s3Port, dynamoPort }) + '\n');
}

main().catch(error => {
  process.stderr.write(`emulators.js: ${error && error.stack || error}\n`);
  shutdown(1);
});
