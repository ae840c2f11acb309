// Holds every Bot API call meterdesk made in the C++ end-to-end tests (recorded as JSON lines by
// tests/e2e/bots_test.cpp through METERDESK_TELEGRAM_RECORD) against JSON Schemas generated from
// @grammyjs/types (typescript-json-schema), plus the length limits the types only document.
// Usage: node validate.mjs RECORD.jsonl
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import TJS from "typescript-json-schema";

const here = dirname(fileURLToPath(import.meta.url));
const record = process.argv[2];
if (!record) {
  console.error("usage: node validate.mjs RECORD.jsonl");
  process.exit(2);
}

const program = TJS.programFromConfig(resolve(here, "tsconfig.json"));
const settings = { required: true, noExtraProps: true, strictNullChecks: true, ignoreErrors: false };
const types = { sendMessage: "SendMessage", answerCallbackQuery: "AnswerCallbackQuery", getFile: "GetFile" };
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = {};
for (const [method, type] of Object.entries(types)) {
  const schema = TJS.generateSchema(program, type, settings);
  if (!schema) throw new Error(`no schema for ${type}`);
  validators[method] = ajv.compile(schema);
}

// Limits from the Bot API documentation that the types carry only as comments.
function limits(method, body) {
  const problems = [];
  const bytes = (s) => Buffer.byteLength(s, "utf8");
  if (method === "sendMessage") {
    const chars = typeof body.text === "string" ? [...body.text].length : 0;
    if (chars < 1 || chars > 4096) problems.push(`text has ${chars} characters (1-4096)`);
    for (const row of body.reply_markup?.inline_keyboard ?? [])
      for (const button of Array.isArray(row) ? row : [])
        if (button.callback_data !== undefined && (bytes(button.callback_data) < 1 || bytes(button.callback_data) > 64))
          problems.push(`callback_data "${button.callback_data}" is not 1-64 bytes`);
  }
  if (method === "answerCallbackQuery" && body.text !== undefined && [...body.text].length > 200)
    problems.push("answerCallbackQuery text longer than 200 characters");
  return problems;
}

const lines = readFileSync(record, "utf8").split("\n").filter(Boolean);
const counts = {};
let failures = 0;
for (const line of lines) {
  const { method, body } = JSON.parse(line);
  counts[method] = (counts[method] ?? 0) + 1;
  const validate = validators[method];
  if (!validate) {
    console.error(`unexpected method ${method}: add its schema`);
    failures++;
    continue;
  }
  const problems = validate(body) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`);
  problems.push(...limits(method, body));
  if (problems.length) {
    failures++;
    if (failures <= 20) console.error(`${method} ${JSON.stringify(body)}\n  ${problems.join("\n  ")}`);
  }
}
if (lines.length === 0) {
  console.error(`${record} holds no calls: did the bot tests run?`);
  process.exit(1);
}
console.log(`${lines.length} Bot API calls checked (${Object.entries(counts).map(([m, n]) => `${m} ${n}`).join(", ")}): ${failures ? failures + " invalid" : "all valid"}`);
process.exit(failures ? 1 : 0);
