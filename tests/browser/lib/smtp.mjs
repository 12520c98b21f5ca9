// A real SMTP listener on 127.0.0.1 (smtp-server, from the Nodemailer project) that
// keeps every message it receives in memory, for the tests to read codes from.

import { EventEmitter } from 'node:events';
import { SMTPServer } from 'smtp-server';

/** The text body of a single-part RFC 5322 message, transfer encoding undone. */
export function messageText(raw) {
  const split = raw.search(/\r?\n\r?\n/u);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/u, '');
  const unfolded = head.replace(/\r?\n[ \t]+/gu, ' ');
  const header = (name) => {
    const match = unfolded.match(new RegExp(`^${name}:\\s*(.*)$`, 'imu'));
    return match ? match[1].trim() : '';
  };
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  let text = body;
  if (encoding === 'quoted-printable') {
    const bytes = Buffer.from(
      body
        .replace(/=\r?\n/gu, '')
        .replace(/=([0-9A-F]{2})/giu, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    );
    text = bytes.toString('utf8');
  } else if (encoding === 'base64') {
    text = Buffer.from(body.replace(/\s+/gu, ''), 'base64').toString('utf8');
  }
  return { subject: header('Subject'), text };
}

/** The six-digit verification code in a message body. */
export function verificationCode(text) {
  const match = text.match(/verification code is\s+(\d{6})\b/iu) ?? text.match(/\b(\d{6})\b/u);
  if (!match) throw new Error('the message holds no six-digit code');
  return match[1];
}

/** Starts the listener on a free loopback port. */
export async function startSmtp() {
  const messages = [];
  const events = new EventEmitter();
  const server = new SMTPServer({
    logger: false,
    banner: 'custos browser tests',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks = [];
      stream.on('data', (c) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const message = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          raw,
          ...messageText(raw),
        };
        messages.push(message);
        events.emit('message', message);
        callback();
      });
    },
  });
  server.on('error', () => {});
  await new Promise((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();
  return {
    port,
    messages,
    /** Index to pass to `waitFor` to ignore what already arrived. */
    mark: () => messages.length,
    /** The first message to `to` at or after index `since`, within `timeoutMs`. */
    waitFor(to, { since = 0, timeoutMs = 20_000 } = {}) {
      const want = to.toLowerCase();
      const found = messages.slice(since).find((m) => m.to.includes(want));
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onMessage = (m) => {
          if (m.to.includes(want)) {
            clearTimeout(timer);
            events.off('message', onMessage);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          events.off('message', onMessage);
          reject(new Error(`no mail to the customer's address arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        events.on('message', onMessage);
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
