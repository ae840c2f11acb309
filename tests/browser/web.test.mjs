// Browser tests of the web pages in Debian's Chromium, against the real `meterdesk serve` on
// loopback with demo data: the public form with and without JavaScript, the `high`
// confirmation, a rejected reading, sign-up/sign-in/lockout, CSRF, an operator's review decision
// seen by the customer, the language switch. Screenshots go to $SCREENSHOTS (docs/screenshots
// when refreshed by hand: `SCREENSHOTS=../../docs/screenshots npm test`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const binary = process.env.METERDESK_BINARY ?? path.resolve('../../build/meterdesk');
const shots = process.env.SCREENSHOTS ?? '';
const now = '2026-11-29T10:00:00+02:00';
const dir = mkdtempSync(path.join(tmpdir(), 'meterdesk-browser-'));
const db = path.join(dir, 'web.db');
let server, base, browser;
const accounts = [];  // {account, serial, zones, readings} from demo-data's suggestions

function run(args, input) {
  const r = spawnSync(binary, args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout + r.stderr;
}

before(async () => {
  const out = run(['demo-data', '--db', db, '--accounts', '60', '--examples', '30', '--now', now]);
  for (const m of out.matchAll(/account (\d+)\s+meter (\S+)\s+\((\d) zones?\)\s+try: (\{.*\})/g))
    accounts.push({ account: m[1], serial: m[2], zones: Number(m[3]), readings: JSON.parse(m[4]) });
  assert.ok(accounts.length >= 3, out);
  run(['user', 'add', '--db', db, '--login', 'olena', '--role', 'operator'], 'correct horse battery\n');
  run(['user', 'add', '--db', db, '--login', 'root', '--role', 'admin'], 'admin horse battery\n');
  // Mail on (the reset page offers a code by e-mail); nothing here sends one.
  server = spawn(binary, ['serve', '--db', db, '--listen', '127.0.0.1:0', '--now', now], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, METERDESK_MAIL_SMTP_URL: 'smtp://127.0.0.1:9',
           METERDESK_MAIL_FROM: 'noreply@dso.example' },
  });
  base = await new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('server did not start: ' + text)), 30000);
    const look = (chunk) => {
      text += chunk;
      const m = text.match(/serving (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout.on('data', look);
    server.stderr.on('data', look);
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--no-first-run'],
  });
  if (shots) mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

// Customers' pages at a cheap phone's width; the console at an office screen's.
async function page({ javaScript = true, lang = 'uk-UA', desktop = false } = {}) {
  const viewport = desktop ? { width: 1280, height: 900 } : { width: 420, height: 860 };
  const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: lang, viewport });
  return context.newPage();
}

async function shot(p, name) {
  if (shots) await p.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

function byZones(n) {
  const a = accounts.find((x) => x.zones === n);
  assert.ok(a, `a demo account with ${n} zones`);
  accounts.splice(accounts.indexOf(a), 1);  // each test uses its own account
  return a;
}

async function fillZones(p, readings) {
  for (const [zone, value] of Object.entries(readings)) await p.fill(`[name="zone.${zone}"]`, String(value));
}

// Counts the pages the browser loads from now on (a screen each), the one shown counted.
function screens(p) {
  const seen = { count: 1 };
  p.on('framenavigated', (f) => { if (f === p.mainFrame()) seen.count += 1; });
  return seen;
}

test('public form with JavaScript: zones inline, the consumption live, form then receipt', async () => {
  const a = byZones(2);
  const p = await page();
  await p.goto(base + '/submit');
  const loaded = screens(p);
  await shot(p, 'submit');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.press('#serial', 'Tab');
  await p.waitForSelector('[name="zone.day"]');
  assert.equal(await p.url(), base + '/submit', 'still the first page: no second step');
  // A value lower than the last reading is said so as it is typed; a right one shows its kWh.
  await p.fill('[name="zone.day"]', '1');
  assert.match(await p.textContent('#live-day'), /менше за останній показник/);
  await fillZones(p, a.readings);
  for (const zone of Object.keys(a.readings))
    assert.match(await p.textContent('#live-' + zone), /^Споживання: \d+ кВт·год$/, zone);
  await shot(p, 'submit-zones');
  await p.click('button[name=step]');
  await p.waitForURL(/\/receipt\/R-/);
  assert.equal(loaded.count, 2, 'form and receipt: two screens (issue 33)');
  const id = await p.textContent('.receipt .id');
  assert.match(id, /^R-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await shot(p, 'receipt');
  await p.context().close();
});

test('the personal account: a reading sent from the overview, three screens from sign-up', async () => {
  const a = byZones(2);
  const p = await page();
  await p.goto(base + '/account/sign-up');
  const loaded = screens(p);
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.fill('#password', 'customer password');
  await p.click('main button[type=submit]');
  await p.waitForURL(base + '/account');
  const form = p.locator('form.quick-reading');
  for (const [zone, value] of Object.entries(a.readings))
    await form.locator(`[name="zone.${zone}"]`).fill(String(value));
  assert.match(await form.locator('.live').first().textContent(), /^Споживання: \d+ кВт·год$/);
  await shot(p, 'overview-reading');
  await form.locator('button[name=step]').click();
  await p.waitForURL(/\/receipt\/R-/);
  assert.equal(loaded.count, 3, 'sign-up, overview, receipt (issue 33)');
  await p.context().close();
});

test('public form without JavaScript: two steps, then the receipt', async () => {
  const a = byZones(1);
  const p = await page({ javaScript: false });
  await p.goto(base + '/submit');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.click('button[name=step]');
  await p.waitForSelector('[name="zone.total"]');
  await fillZones(p, a.readings);
  await p.click('button[name=step]');
  await p.waitForSelector('section.review');
  await p.click('button[name=change]');  // back to the fields, the value still in them
  assert.equal(await p.inputValue('[name="zone.total"]'), String(a.readings.total));
  await p.click('button[name=step]');
  await p.waitForSelector('section.review');
  await p.click('button[name=step]');
  await p.waitForURL(/\/receipt\/R-[0-9A-Z-]+\/[0-9a-f]{32}$/);
  // The serial is the form's credential: the public receipt shows only its last four.
  const main = await p.textContent('main');
  assert.ok(!main.includes(a.serial), main);
  assert.ok(main.includes('*'.repeat(a.serial.length - 4) + a.serial.slice(-4)), main);
  await p.context().close();
});

test('a high reading asks to confirm; confirmed, it is accepted', async () => {
  const a = byZones(1);
  const p = await page({ lang: 'en-GB' });
  await p.goto(base + '/submit');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.press('#serial', 'Tab');
  await p.waitForSelector('[name="zone.total"]');
  await p.fill('[name="zone.total"]', String(a.readings.total + 3000));
  await p.click('button[name=step]');
  await p.waitForSelector('input[name=confirm]');
  assert.match(await p.textContent('.confirm'), /much higher than usual/);
  await shot(p, 'confirm-high');
  await p.check('input[name=confirm]');
  // A phone camera's photo, 4 MB: the browser sends it with a Content-Length (issue 32, D).
  const photo = Buffer.alloc(4 << 20, 7);
  photo.set([0xff, 0xd8, 0xff, 0xe0]);
  await p.setInputFiles('input[name=photo]', { name: 'meter.jpg', mimeType: 'image/jpeg', buffer: photo });
  await p.click('button[name=step]');
  await p.waitForURL(/\/receipt\/R-/);
  const receipt = new URL(p.url()).pathname.split('/')[2];
  const stored = spawnSync('sqlite3', [db, 'SELECT length(p.bytes) FROM submission_photos p JOIN ' +
    `submissions s ON s.id = p.submission_id WHERE s.receipt = '${receipt}'`], { encoding: 'utf8' });
  assert.equal(stored.stdout.trim(), String(photo.length), stored.stderr);
  await p.context().close();
});

test('a rejected reading says why beside the field', async () => {
  const a = byZones(1);
  const p = await page({ lang: 'en-GB' });
  await p.goto(base + '/submit');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.press('#serial', 'Tab');
  await p.waitForSelector('[name="zone.total"]');
  await p.fill('[name="zone.total"]', '1');
  await p.click('button[name=step]');
  await p.waitForSelector('#err-total');
  assert.match(await p.textContent('#err-total'), /lower than your last reading/);
  assert.equal(await p.getAttribute('[name="zone.total"]', 'aria-invalid'), 'true');
  await shot(p, 'rejected');
  await p.context().close();
});

test('a form whose CSRF token was tampered with is refused', async () => {
  const a = { account: '0100000001', serial: 'X1' };  // refused before it is looked up
  const p = await page({ javaScript: false });
  await p.goto(base + '/submit');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  // Another site's form would not know the token: replace it.
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Runtime.evaluate', { expression: "document.querySelector('[name=csrf]').value = 'f'.repeat(64)" });
  const [response] = await Promise.all([p.waitForNavigation(), p.click('button[name=step]')]);
  assert.equal(response.status(), 403);
  await p.context().close();
});

test('sign-up, sign-out, sign-in, and the lock after wrong passwords', async () => {
  const a = byZones(2);
  const p = await page({ lang: 'en-GB' });
  await p.goto(base + '/account/sign-up');
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.fill('#password', 'my long password');
  await p.fill('#email', `c${a.account}@example.org`);
  await p.click('main button[type=submit]');
  await p.waitForURL(base + '/account');
  assert.ok((await p.textContent('main')).includes(a.serial));
  const cookies = await p.context().cookies();
  const session = cookies.find((c) => c.name === 'md_session');
  assert.ok(session.httpOnly);
  assert.equal(session.sameSite, 'Lax');
  await shot(p, 'account-overview');
  await p.goto(base + '/account/volumes');
  await shot(p, 'account-volumes');
  // On a phone the volumes stack into lines: nothing to scroll sideways to find the kWh.
  const overflow = await p.evaluate(() =>
    [...document.querySelectorAll('main table')].some((t) => t.scrollWidth > t.clientWidth + 1));
  assert.equal(overflow, false);
  assert.ok(await p.isVisible('main table.stack td[data-label] strong'));
  await p.click('header button');  // sign out
  await p.waitForURL(/\/account\/sign-in/);
  for (let i = 0; i < 5; ++i) {
    await p.fill('#login', a.account);
    await p.fill('#password', 'not my password');
    await p.click('main button[type=submit]');
    await p.waitForSelector('.alert');
  }
  await p.fill('#login', a.account);
  await p.fill('#password', 'my long password');
  await p.click('main button[type=submit]');
  await p.waitForSelector('.alert');
  assert.match(await p.textContent('.alert'), /Try again after/);
  await p.context().close();
});

test('an operator rejects a flagged reading and the customer sees the decision', async () => {
  const a = byZones(3);
  const customer = await page({ lang: 'en-GB' });
  await customer.goto(base + '/account/sign-up');
  await customer.fill('#account', a.account);
  await customer.fill('#serial', a.serial);
  await customer.fill('#password', 'customer password');
  await customer.click('main button[type=submit]');
  await customer.waitForURL(base + '/account');
  await customer.goto(base + '/account/submit');
  const [first, value] = Object.entries(a.readings)[0];
  await fillZones(customer, { ...a.readings, [first]: value + 3000 });
  await customer.click('button[name=step]');
  await customer.waitForSelector('input[name=confirm]');
  await customer.check('input[name=confirm]');
  await customer.click('button[name=step]');
  await customer.waitForURL(/\/receipt\/R-/);

  const op = await page({ lang: 'en-GB', desktop: true });
  await op.goto(base + '/operator');
  await op.fill('#login', 'olena');
  await op.fill('#password', 'correct horse battery');
  await op.click('main button[type=submit]');
  await op.waitForURL(base + '/operator');
  await shot(op, 'console');
  await op.goto(base + '/operator/review');
  const item = op.locator('section.review', { hasText: a.account });
  await shot(op, 'review-queue');
  await item.locator('input[name=reason]').fill('The photo shows a lower reading');
  await item.locator('button[value=reject]').click();
  await op.waitForURL(base + '/operator/review');
  await op.goto(base + '/operator/accounts/' + a.account);
  await shot(op, 'console-account');
  assert.ok((await op.textContent('main')).includes('operator:olena'));

  await customer.goto(base + '/account/history');
  const text = await customer.textContent('main');
  assert.match(text, /rejected by an operator/);
  assert.match(text, /The photo shows a lower reading/);
  await op.context().close();
  await customer.context().close();
});

test('the language switch changes the page and is remembered', async () => {
  const p = await page({ lang: 'uk-UA' });
  await p.goto(base + '/submit');
  assert.equal(await p.textContent('h1'), 'Передати показники');
  await p.click('a.lang');
  assert.equal(await p.textContent('h1'), 'Submit a reading');
  await p.goto(base + '/submit');
  assert.equal(await p.textContent('h1'), 'Submit a reading');
  assert.equal(await p.getAttribute('html', 'lang'), 'en');
  await p.context().close();
});

// axe-core's WCAG 2.1 A/AA rules on the main pages (the checker is injected past the pages'
// Content-Security-Policy, which rightly forbids inline scripts).
async function violations(p) {
  await p.addScriptTag({ path: path.resolve('node_modules/axe-core/axe.min.js') });
  const result = await p.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('the main pages pass axe-core WCAG 2.1 AA checks', async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'uk-UA' });
  const p = await context.newPage();
  const a = byZones(2);
  const pages = [];
  await p.goto(base + '/submit');
  pages.push(['/submit', await violations(p)]);
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.press('#serial', 'Tab');
  await p.waitForSelector('[name="zone.day"]');
  pages.push(['/submit with zones', await violations(p)]);
  await fillZones(p, { day: 1, night: 1 });
  await p.click('button[name=step]');
  await p.waitForSelector('.alert, .error');
  pages.push(['/submit rejected', await violations(p)]);
  await fillZones(p, a.readings);
  await p.click('button[name=step]');
  await p.waitForURL(/\/receipt\/R-/);  // with the script, sent from the form
  pages.push(['/receipt', await violations(p)]);
  await p.goto(base + '/account/reset');
  pages.push(['/account/reset', await violations(p)]);
  // The request for a code by e-mail (an unknown account: nothing is sent) and its answer.
  await p.fill('#mail-login', '0000000000');
  await p.click('form[action="/account/reset/mail"] button[type=submit]');
  await p.waitForSelector('p.notice[role=status]');
  pages.push(['/account/reset/mail', await violations(p)]);
  await p.goto(base + '/account/sign-up');
  pages.push(['/account/sign-up', await violations(p)]);
  await p.fill('#account', a.account);
  await p.fill('#serial', a.serial);
  await p.fill('#password', 'a long password');
  await p.click('main button[type=submit]');
  await p.waitForURL(base + '/account');
  for (const page of ['/account', '/account/history', '/account/volumes', '/account/bills']) {
    await p.goto(base + page);
    pages.push([page, await violations(p)]);
  }
  await p.goto(base + '/operator/sign-in');
  await p.fill('#login', 'olena');
  await p.fill('#password', 'correct horse battery');
  await p.click('main button[type=submit]');
  await p.waitForURL(base + '/operator');
  for (const page of ['/operator', '/operator/review', '/operator/accounts/' + a.account,
                      '/operator/periods', '/operator/prices', '/operator/outages',
                      '/operator/inspections']) {
    await p.goto(base + page);
    pages.push([page, await violations(p)]);
  }
  // The admin's users page: a row of forms (role, reset code, disable) for each staff member.
  const admin = await (await browser.newContext({ bypassCSP: true, locale: 'uk-UA' })).newPage();
  await admin.goto(base + '/operator/sign-in');
  await admin.fill('#login', 'root');
  await admin.fill('#password', 'admin horse battery');
  await admin.click('main button[type=submit]');
  await admin.waitForURL(base + '/operator');
  await admin.goto(base + '/operator/users');
  assert.ok(await admin.locator('#role-olena').count(), 'the users page has a role form');
  pages.push(['/operator/users', await violations(admin)]);
  await admin.goto(base + '/operator/outages');
  assert.ok(await admin.locator('form[action="/operator/outages"] #k').count(),
            'a supervisor or admin has the K_outage form');
  pages.push(['/operator/outages (form)', await violations(admin)]);
  await admin.goto(base + '/operator/audit?who=root');
  assert.ok(await admin.locator('main table tbody tr').count(), 'the audit trail lists the sign-in');
  pages.push(['/operator/audit', await violations(admin)]);
  await admin.context().close();
  const failing = pages.filter(([, v]) => v.length > 0);
  assert.deepEqual(failing, []);
  await context.close();
});

test('the form can be filled and sent with the keyboard alone', async () => {
  const a = byZones(1);
  const p = await page({ lang: 'en-GB' });
  await p.goto(base + '/submit');
  await p.keyboard.press('Tab');
  assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Skip to content');
  // Through the header links to the first field.
  for (let i = 0; i < 10 && (await p.evaluate(() => document.activeElement.id)) !== 'account'; ++i)
    await p.keyboard.press('Tab');
  assert.equal(await p.evaluate(() => document.activeElement.id), 'account');
  await p.keyboard.type(a.account);
  await p.keyboard.press('Tab');
  await p.keyboard.type(a.serial);
  await p.keyboard.press('Tab');  // the zones appear and take the focus
  await p.waitForSelector('[name="zone.total"]');
  await p.waitForFunction(() => document.activeElement.name === 'zone.total');
  await p.keyboard.type(String(a.readings.total));
  // Enter in the field sends it: the consumption was shown beside it, no review screen.
  await p.keyboard.press('Enter');
  await p.waitForURL(/\/receipt\/R-/);
  await p.context().close();
});
