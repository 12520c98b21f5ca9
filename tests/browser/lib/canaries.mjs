// Distinctive customer values, and the patterns that must never appear in a page
// outside a deliberate reveal (spacing and separators allowed between digits).

import { secret } from './browser.mjs';

export const CUSTOMER = {
  name: 'Cora Canary',
  email: 'canary.customer@example.test',
  phone: '+1 415 555 0142',
  date_of_birth: '1984-07-19',
  ssn: '219-09-9999',
  address: '742 Evergreen Terrace, Springfield, OR 97403',
  account_number: '9988776655',
};

/** The customer used only by the API-level check of the harness itself. */
export const API_CUSTOMER = {
  name: 'Ivy Inbox',
  email: 'api.check.customer@example.test',
  phone: '+1 415 555 0177',
  ssn: '219-09-8888',
  account_number: '5566778899',
};

export const CARD = '4111 1111 1111 1111';

for (const value of [...Object.values(CUSTOMER), ...Object.values(API_CUSTOMER), CARD]) secret(value);

const sep = '[\\s().+/-]{0,3}';
const digits = (text) => new RegExp(text.replace(/\D/gu, '').split('').join(sep), 'u');

/** What must not be in a page: field → pattern. */
export const PATTERNS = {
  ssn: digits(CUSTOMER.ssn),
  account_number: digits(CUSTOMER.account_number),
  email: /canary\.customer@example\.test/iu,
  email_encoded: /canary\.customer(?:&#64;|&#x40;|%40)example\.test/iu,
  phone: digits('4155550142'),
  date_of_birth: digits('19840719'),
  street: /742 Evergreen Terrace/iu,
  card: digits('4111111111111111'),
};

/** Names of the patterns found in `html` (none expected), except those in `except`. */
export function canariesIn(html, except = []) {
  return Object.entries(PATTERNS)
    .filter(([name, re]) => !except.includes(name) && re.test(html))
    .map(([name]) => name);
}

/** Fails, naming only the fields, if any canary is in the page. */
export async function assertNoCanaries(page, where, except = []) {
  const found = canariesIn(await page.content(), except);
  if (found.length > 0) {
    throw new Error(`customer values in clear on ${where}: ${found.join(', ')}`);
  }
}
