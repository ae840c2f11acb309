// A whole Telegram conversation with telegram-test-api (npm) as the Telegram peer: it plays the
// user, delivers updates to meterdesk's webhook and stores what the bot sends through the Bot API.
// The emulator does not send X-Telegram-Bot-Api-Secret-Token, so a small relay in front of the
// webhook adds it, as Telegram does after setWebhook(secret_token). meterdesk is restarted in the
// middle of the conversation. Run by test.sh with METERDESK_BINARY set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import TelegramServer from "telegram-test-api";

const binary = process.env.METERDESK_BINARY ?? "../../build/meterdesk";
const token = "424242:meterdesk-conformance";
const secret = "relay-secret-0123456789";
const dir = mkdtempSync(join(tmpdir(), "md-bots-"));
const db = join(dir, "bots.db");

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

function startMeterdesk(apiBase) {
  const child = spawn(binary, ["serve", "--db", db, "--listen", "127.0.0.1:0", "--now", "2026-11-30T10:00:00+02:00"], {
    env: {
      ...process.env,
      METERDESK_TELEGRAM_BOT_TOKEN: token,
      METERDESK_TELEGRAM_SECRET_TOKEN: secret,
      METERDESK_TELEGRAM_API_BASE: apiBase,
      METERDESK_TELEGRAM_PER_CHAT_INTERVAL_MS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/serving http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`meterdesk exited ${code}: ${out}`)));
  });
}

async function stop(child) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}

test("from /start to the receipt through telegram-test-api, with a restart in the middle", async () => {
  writeFileSync(join(dir, "accounts.csv"),
    "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n" +
    "0123456789,Шевченко Олена,+380671234567,olena@example.com,\"м. Одеса, вул. Канатна, 1\",62Z000000000001B,A1234567,2,6,2025-01-10,12000/6000\n");
  execFileSync(binary, ["import-accounts", join(dir, "accounts.csv"), "--db", db, "--now", "2026-01-10T12:00:00"]);

  const telegram = new TelegramServer({ port: 0, host: "127.0.0.1", storeTimeout: 600 });
  await telegram.start();
  const apiBase = `http://127.0.0.1:${telegram.server.address().port}`;

  let target = 0; // meterdesk's port, changes at the restart
  const relay = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const forward = http.request({ host: "127.0.0.1", port: target, path: "/webhooks/telegram", method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret } }, (r) => {
        res.writeHead(r.statusCode, { "content-type": "application/json" });
        r.pipe(res);
      });
      forward.on("error", () => { res.writeHead(502); res.end(); });
      forward.end(Buffer.concat(chunks));
    });
  });
  const relayPort = await listen(relay);
  telegram.setWebhook({ url: `http://127.0.0.1:${relayPort}/` }, token);

  let md = await startMeterdesk(apiBase);
  target = md.port;
  const client = telegram.getClient(token, { userId: 4242, chatId: 4242, firstName: "Olena" });

  // What the bot has sent, and waiting for the next message that matches.
  const sent = () => telegram.storage.botMessages.filter((m) => m.botToken === token).map((m) => m.message);
  async function reply(pattern, from) {
    for (let i = 0; i < 200; i++) {
      const found = sent().slice(from).find((m) => pattern.test(m.text));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail(`no bot message matching ${pattern}; got:\n${sent().map((m) => m.text).join("\n---\n")}`);
  }
  async function say(text, pattern) {
    const from = sent().length;
    await client.sendMessage(text.startsWith("/") ? client.makeCommand(text) : client.makeMessage(text));
    return reply(pattern, from);
  }

  await say("/start", /номер особового рахунку/);
  await say("0123456789", /заводський номер/);
  const zone = await say("A1234567", /показники \(день, ніч\) одним повідомленням/);
  assert.match(zone.text, /12000/, "the last reading is shown");

  await stop(md.child); // a restart in the middle of the conversation
  md = await startMeterdesk(apiBase);
  target = md.port;

  await say("12120", /зони «ніч»/);
  const check = await say("6060", /Перевірте: день 12120, ніч 6060/);
  const send = check.reply_markup.inline_keyboard.flat().find((b) => b.callback_data.endsWith("|send"));
  assert.ok(send, "a Send button");
  const from = sent().length;
  await client.sendCallback(client.makeCallbackQuery(send.callback_data));
  const receipt = await reply(/Показник прийнято/, from);
  assert.match(receipt.text, /R-[0-9A-Z]{4}-[0-9A-Z]{4}/);
  assert.match(receipt.text, /день 12120, ніч 6060/);

  await stop(md.child);
  const stored = execFileSync("sqlite3", [db, "SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'telegram'"]).toString().trim();
  assert.equal(stored, "12120/6060");
  relay.close();
  await telegram.stop();
  rmSync(dir, { recursive: true, force: true });
});
