// Holds every HTTP exchange the C++ tests recorded (METERDESK_HTTP_RECORD) against the OpenAPI
// document: each response of a described route must have a described status and content type and
// a body its schema accepts; each request the server accepted (2xx) must match the request
// schema. Web pages and static files are not part of the API and are skipped. And the record must
// cover the document: every operation exercised, with every status it documents (a document that
// promises an answer no test ever saw is not held to anything), or the run fails.
// Usage: node validate.mjs ../../docs/openapi.json RECORD.jsonl
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, recordPath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...doc, $id: 'openapi.json' });

const pointer = (...parts) =>
  'openapi.json#/' + parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
const routes = Object.entries(doc.paths).map(([template, ops]) => ({
  template, ops,
  regex: new RegExp('^' + template.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const validators = new Map();
function validator(ref) {
  if (!validators.has(ref)) validators.set(ref, ajv.compile({ $ref: ref }));
  return validators.get(ref);
}
const mediaType = (t) => (t ?? '').split(';')[0].trim().toLowerCase();

const failures = [];
const used = new Set();
const seen = new Set();  // "METHOD /template status"
let checked = 0, skipped = 0;
for (const line of readFileSync(recordPath, 'utf8').split('\n')) {
  if (!line) continue;
  const x = JSON.parse(line);
  const path = decodeURI(x.target.split('?')[0]);
  const route = routes.find((r) => r.regex.test(path));
  const method = x.method.toLowerCase();
  if (!route || !route.ops[method]) { skipped++; continue; }
  const op = route.ops[method];
  used.add(`${x.method} ${route.template}`);
  seen.add(`${x.method} ${route.template} ${x.status}`);
  const where = `${x.method} ${x.target} → ${x.status}`;
  checked++;
  const responses = op.responses ?? {};
  const statusKey = responses[String(x.status)] ? String(x.status) : responses.default ? 'default' : null;
  if (!statusKey) { failures.push(`${where}: status ${x.status} is not described`); continue; }
  const content = responses[statusKey].content;
  const type = mediaType(x.response_type);
  if (content) {
    if (!content[type]) { failures.push(`${where}: content type ${type} is not described`); continue; }
    if (type === 'application/json' && content[type].schema) {
      let body;
      try { body = JSON.parse(x.response_body); } catch { failures.push(`${where}: the body is not JSON`); continue; }
      const v = validator(pointer('paths', route.template, method, 'responses', statusKey, 'content', type, 'schema'));
      if (!v(body)) failures.push(`${where}: ${ajv.errorsText(v.errors)}\n    ${x.response_body.slice(0, 300)}`);
    }
  }
  if (x.status >= 200 && x.status < 300 && op.requestBody && x.request_body) {
    const rtype = mediaType(x.request_type);
    const media = op.requestBody.content?.[rtype];
    if (!media) { failures.push(`${where}: request type ${rtype} is not described`); continue; }
    if (rtype === 'application/json' && media.schema) {
      const v = validator(pointer('paths', route.template, method, 'requestBody', 'content', rtype, 'schema'));
      if (!v(JSON.parse(x.request_body))) failures.push(`${where}: accepted request: ${ajv.errorsText(v.errors)}`);
    }
  }
}
const all = routes.flatMap((r) => Object.keys(r.ops).map((m) => `${m.toUpperCase()} ${r.template}`));
const unused = all.filter((o) => !used.has(o));
console.log(`openapi: ${checked} exchanges checked against ${docPath} (${skipped} web/other skipped); ` +
            `${all.length - unused.length}/${all.length} operations exercised`);
if (checked === 0) failures.push('no API exchange was recorded (METERDESK_HTTP_RECORD)');
for (const o of unused) failures.push(`${o}: not exercised by any test`);
for (const r of routes)
  for (const [m, op] of Object.entries(r.ops))
    for (const status of Object.keys(op.responses ?? {}))
      if (status !== 'default' && used.has(`${m.toUpperCase()} ${r.template}`) &&
          !seen.has(`${m.toUpperCase()} ${r.template} ${status}`))
        failures.push(`${m.toUpperCase()} ${r.template} → ${status}: documented, never seen in a test`);
const distinct = [...new Set(failures)];
for (const f of distinct.slice(0, 40)) console.log('  ' + f);
if (distinct.length) { console.log(`openapi: ${distinct.length} distinct mismatches`); process.exit(1); }
