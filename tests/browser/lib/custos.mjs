// A real Custos for the browser tests, through its own CLI: `custos serve` on a free
// loopback port with a fresh data dir, people and a service token made with
// `custos user add` / `custos token create`, and an HTTPS client that trusts the
// data dir's self-signed certificate.

import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = path.resolve(HERE, '..', '..');
export const OUTPUT_DIR = path.join(HERE, 'output');
export const SCREENSHOT_DIR = path.join(HERE, 'screenshots');

/** The binary under test: `CUSTOS_BIN`, else the debug build in the cargo target dir. */
export function custosBin() {
  if (process.env.CUSTOS_BIN) return path.resolve(REPO, process.env.CUSTOS_BIN);
  const target = process.env.CARGO_TARGET_DIR ?? 'target';
  return path.resolve(REPO, target, 'debug', 'custos');
}

/** A password of 12+ letters and digits, fresh for each run. */
export function newPassword() {
  return `Cu${randomBytes(10).toString('hex')}x7`;
}

/** Starts `custos serve`; resolves once it prints its listening line. */
export async function startCustos({ smtpPort, idleTimeoutSecs = 120, lockoutThreshold = 3 }) {
  const bin = custosBin();
  if (!existsSync(bin)) {
    throw new Error(`no custos binary at ${bin}: build it (cargo build) or set CUSTOS_BIN`);
  }
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const root = mkdtempSync(path.join(tmpdir(), 'custos-browser-'));
  const dataDir = path.join(root, 'data');
  const configFile = path.join(root, 'custos.toml');
  writeFileSync(
    configFile,
    [
      '[notify]',
      `smtp_url = "smtp://127.0.0.1:${smtpPort}"`,
      'smtp_from = "custos@example.test"',
      '[server]',
      // As behind a load balancer: a test may name its client by X-Forwarded-For
      // (the lockout test does, so the suite's other sign-ins from 127.0.0.1 do
      // not spend its per-address sign-in budget).
      'trusted_proxies = ["127.0.0.1/32"]',
      '[session]',
      `idle_timeout_secs = ${idleTimeoutSecs}`,
      '[auth]',
      `lockout_threshold = ${lockoutThreshold}`,
      '',
    ].join('\n'),
  );

  // The server's output goes to a file, never to our stdout: its first start prints
  // a one-time setup link, which is withheld even from the file.
  const logPath = path.join(OUTPUT_DIR, 'custos.log');
  const log = createWriteStream(logPath);
  const child = spawn(
    bin,
    ['serve', '--config', configFile, '--data-dir', dataDir, '--listen', '127.0.0.1:0'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  // Stopped from outside (the script's `timeout`, Ctrl-C): the server goes too.
  const onSignal = (signal) => {
    killOnExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  let stderrTail = '';
  child.stderr.on('data', (chunk) => {
    log.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });

  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  // The setup link is kept in memory for the first-administrator test.
  let setupUrl = null;
  const baseUrl = await new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      killOnExit();
      reject(new Error(`custos serve printed no listening line within 60 s; see ${logPath}`));
    }, 60_000);
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        log.write(`${/token=|setup/iu.test(line) ? '[setup link withheld]' : line}\n`);
        const link = line.match(/https:\/\/\S+\/setup#token=\S+/u);
        if (link) setupUrl = link[0];
        const match = line.match(/Custos is listening on (https:\/\/\S+)/u);
        if (match) {
          clearTimeout(timer);
          resolve(match[1].replace(/\/$/u, ''));
        }
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`custos serve exited (${code ?? signal}) before listening:\n${stderrTail}`));
    });
  });

  const ca = readFileSync(path.join(dataDir, 'tls', 'cert.pem'));
  const agent = new https.Agent({ ca, keepAlive: false });
  const storeArgs = ['--config', configFile, '--data-dir', dataDir];

  /** Runs `custos ARGS… --config … --data-dir …`, feeding `stdin`; resolves to stdout. */
  const cli = (args, stdin = '') =>
    new Promise((resolve, reject) => {
      const run = execFile(
        bin,
        [...args, ...storeArgs],
        { cwd: root, timeout: 60_000, maxBuffer: 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            // The command line holds no secret; stderr is the CLI's own message.
            reject(new Error(`custos ${args.slice(0, 2).join(' ')} failed (${error.code ?? error.signal}): ${stderr.trim()}`));
          } else {
            resolve(stdout);
          }
        },
      );
      run.stdin.end(stdin);
    });

  /** One HTTPS request to the server; resolves to `{status, headers, body, json}`. */
  const api = (method, urlPath, { token, cookie, body, timeoutMs = 30_000 } = {}) =>
    new Promise((resolve, reject) => {
      const headers = { accept: 'application/json' };
      let payload;
      if (body !== undefined) {
        payload = Buffer.from(JSON.stringify(body));
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      if (token) headers.authorization = `Bearer ${token}`;
      if (cookie) headers.cookie = cookie;
      const request = https.request(new URL(urlPath, baseUrl), { method, headers, agent }, (response) => {
        const chunks = [];
        response.on('data', (c) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode, headers: response.headers, body: text, json });
        });
        response.on('error', reject);
      });
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`${method} ${urlPath} timed out`)));
      request.on('error', reject);
      request.end(payload);
    });

  /** Stops the server: SIGTERM, then SIGKILL after 10 s; removes the data dir. */
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    log.end();
    if (!process.env.CUSTOS_BROWSER_KEEP_DATA) rmSync(root, { recursive: true, force: true });
  };

  return { baseUrl, setupUrl: () => setupUrl, dataDir, configFile, pid: child.pid, logPath, cli, api, stop };
}

/** `custos user add` with a fresh password; the TOTP parameters stay in memory. */
export async function addUser(custos, username, role, team = null) {
  const password = newPassword();
  const teamArgs = team ? ['--team', team] : [];
  const out = await custos.cli(
    ['user', 'add', '--username', username, '--role', role, ...teamArgs, '--password-stdin', '--json'],
    `${password}\n`,
  );
  const created = JSON.parse(out);
  if (created.username !== username || created.role !== role || !created.totp_uri) {
    throw new Error(`custos user add ${username}: unexpected answer shape (keys ${Object.keys(created).join(', ')})`);
  }
  return { username, role, password, totpUri: created.totp_uri };
}

/** Throws, naming the call and the error code (never the body's values), unless `status` is expected. */
export function expectStatus(response, expected, what) {
  const ok = Array.isArray(expected) ? expected.includes(response.status) : response.status === expected;
  if (!ok) {
    const code = response.json?.error?.code ?? '';
    const message = response.json?.error?.message ?? '';
    throw new Error(`${what}: HTTP ${response.status} ${code} ${message}`.trim());
  }
  return response.json;
}
