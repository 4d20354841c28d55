// Development stand-in for the Flask API (PROTOCOL.md v2), serving dist/ at '/' like Flask will.
// Node built-ins only. Usage: node scripts/mock-api.mjs [port]   (user: crew1 / crew1pass, crew2 / crew2pass)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const port = Number(process.argv[2] ?? 5173);
// MOCK_PUSH_DELAY_MS slows each push (to make two tabs overlap in a test).
const pushDelay = Number(process.env.MOCK_PUSH_DELAY_MS ?? 0);
const dist = new URL('../dist/', import.meta.url).pathname;
const users = {
  crew1: { id: 1, username: 'crew1', full_name: 'Alex Rivera', role: 'responder_clinician', unit_id: 3, password: 'crew1pass' },
  crew2: { id: 2, username: 'crew2', full_name: 'Sam Okafor', role: 'responder_emt', unit_id: 3, password: 'crew2pass' },
  lead: { id: 3, username: 'lead', full_name: 'Jordan Lee', role: 'program_lead', unit_id: null, password: 'leadpass' },
};
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();
let version = 0;
const feed = []; // {pos, kind, id, op, version, data}
const put = (kind, data, op = 'put') => feed.push({ pos: feed.length + 1, kind, id: data.id, op, version: ++version, data: op === 'put' ? data : null });

put('premise', { id: 'p1', address: '412 Holloway St', hazards: [{ kind: 'animal', description: 'Dog on premises' }, { kind: 'access', description: 'Steep stairs' }], history: [
  { call_id: 'c-90', cad_number: 'D26-004410', call_type: 'welfare_check', received_at: iso(now - 86400e3 * 20), status: 'cleared' },
  { call_id: 'c-91', cad_number: 'D26-002981', call_type: 'suicidal_ideation', received_at: iso(now - 86400e3 * 65), status: 'cleared' },
] });
put('premise', { id: 'p2', address: '1800 Fayetteville St', hazards: [], history: [] });
put('premise', { id: 'p3', address: '300 W Main St (library steps)', hazards: [{ kind: 'sharps', description: 'Needles reported nearby' }], history: [] });
put('call', { id: 101, priority: 1, received_at: iso(now - 12 * 60e3), cad_number: 'D26-005120', call_type: 'suicidal_ideation', call_type_name: 'Person in crisis, threatening self-harm', address: '412 Holloway St', premise_id: 'p1', narrative: 'Caller (sister) reports her brother, 34, has not slept in three days and said he "wants it all to stop". No weapons seen. Known to mobile crisis.', status: null, disposition: '', transport_destination: '' });
put('call', { id: 102, priority: 2, received_at: iso(now - 40 * 60e3), cad_number: 'D26-005117', call_type: 'welfare_check', call_type_name: 'Welfare check', address: '1800 Fayetteville St', premise_id: 'p2', narrative: 'Older woman sitting at bus stop for 4 hours, confused, asking passers-by for her late husband.', status: 'en_route', disposition: '', transport_destination: '' });
put('call', { id: 103, priority: 3, received_at: iso(now - 95 * 60e3), cad_number: 'D26-005102', call_type: 'trespass', call_type_name: 'Trespass / unhoused person', address: '300 W Main St (library steps)', premise_id: 'p3', narrative: 'Library staff ask for help for a man sleeping at the entrance. Calm, no threats.', status: 'on_scene', disposition: '', transport_destination: '' });
// MOCK_CALLS=n adds n more open calls (cold-start measurements).
for (let i = 0; i < Number(process.env.MOCK_CALLS ?? 0); i++) {
  put('call', { id: `bulk-${i}`, priority: 1 + (i % 4), received_at: iso(now - i * 60e3), cad_number: `D26-9${String(i).padStart(5, '0')}`, call_type: 'welfare_check', call_type_name: 'Welfare check', address: `${100 + i} Main St`, premise_id: i % 2 ? 'p1' : 'p2', narrative: `Narrative of call ${i}: caller worried about a neighbour.`, status: 'dispatched', disposition: '', transport_destination: '' });
}
put('conflict', { id: 'k1', record_kind: 'call', record_id: '102', reason: 'both_changed', opened_at: iso(now - 5 * 60e3), field: 'disposition', device_value: 'Referred to Project Access', server_value: 'Connected with family; no further services', server_changed_by: 'Dana Whitfield (supervisor)', server_changed_at: iso(now - 15 * 60e3) });

const ops = new Map();
let lastSeq = 0;
const tokens = new Map(); // access -> {user, exp}
const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
};
const err = (res, status, message, extra = {}) => json(res, status, { code: status, status: 'Error', message, errors: {}, ...extra });
const body = async (req) => {
  let s = '';
  for await (const c of req) s += c;
  return s ? JSON.parse(s) : {};
};
const authed = (req, res) => {
  const a = (req.headers.authorization ?? '').replace('Bearer ', '');
  const t = tokens.get(a);
  if (!t) return err(res, 401, 'sign in', { action: 'login' }), null;
  if (t.exp < Date.now()) return err(res, 401, 'expired', { action: 'refresh' }), null;
  return t;
};
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.webmanifest': 'application/manifest+json', '.json': 'application/json' };

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  try {
    if (p === '/api/v1/auth/login' && req.method === 'POST') {
      const b = await body(req);
      const u = users[b.username];
      if (!u || u.password !== b.password) return err(res, 401, 'bad credentials', { action: 'login' });
      const access = `a-${Math.random()}`;
      const refresh = `r-${Math.random()}`;
      tokens.set(access, { user: u, exp: Date.now() + 15 * 60e3 });
      tokens.set(refresh, { user: u, exp: Date.now() + 86400e3, refresh: true });
      const { password: _pw, ...user } = u;
      return json(res, 200, { access_token: access, refresh_token: refresh, access_expires_in: 900, device_id: b.device_id ?? `dev-${Math.random().toString(36).slice(2, 8)}`, user });
    }
    if (p === '/api/v1/auth/refresh' && req.method === 'POST') {
      const t = tokens.get((req.headers.authorization ?? '').replace('Bearer ', ''));
      if (!t?.refresh) return err(res, 401, 'sign in', { action: 'login' });
      const access = `a-${Math.random()}`;
      tokens.set(access, { user: t.user, exp: Date.now() + 15 * 60e3 });
      return json(res, 200, { access_token: access, access_expires_in: 900 });
    }
    if (p === '/api/v1/sync/push' && req.method === 'POST') {
      if (!authed(req, res)) return;
      const b = await body(req);
      if (pushDelay) await new Promise((r) => setTimeout(r, pushDelay));
      let gap = false;
      const results = b.ops.map((op) => {
        if (ops.has(op.id)) return { ...ops.get(op.id), replayed: true };
        if (gap || op.seq > lastSeq + 1) return (gap = true), { id: op.id, seq: op.seq, outcome: 'deferred' };
        lastSeq = op.seq;
        const r = { id: op.id, seq: op.seq, outcome: 'applied', record_id: op.record_id, version: ++version, errors: null, conflict_ids: [], replayed: false };
        ops.set(op.id, r);
        if (op.kind === 'call_note') put('call_note', { id: op.record_id, call_id: op.data.call_id, body: op.data.body, at: op.device_time, user_id: 1 });
        if (op.kind === 'call_status') put('call_status', { id: op.record_id, call_id: op.data.call_id, status: op.data.status, at: op.device_time, user_id: 1 });
        if (op.kind === 'call') {
          const call = [...feed].reverse().find((c) => c.kind === 'call' && String(c.id) === String(op.record_id) && c.data);
          if (call) put('call', { ...call.data, ...op.data });
        }
        return r;
      });
      return json(res, 200, { results, last_seq: lastSeq, server_time: iso(Date.now()), skew_ms: 0 });
    }
    if (p === '/api/v1/sync/pull') {
      if (!authed(req, res)) return;
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const latest = new Map();
      for (const c of feed.filter((c) => c.pos > cursor)) latest.set(`${c.kind}:${c.id}`, c);
      const all = [...latest.values()].sort((a, b) => a.pos - b.pos);
      const page = all.slice(0, limit);
      const next = page.length ? page[page.length - 1].pos : cursor;
      return json(res, 200, { changes: page.map(({ pos: _p, ...c }) => c), cursor: String(next), has_more: all.length > limit, total: cursor ? null : all.length, server_time: iso(Date.now()) });
    }
    const m = p.match(/^\/api\/v1\/sync\/conflicts\/([^/]+)\/resolve$/);
    if (m && req.method === 'POST') {
      if (!authed(req, res)) return;
      put('conflict', { id: m[1] }, 'delete');
      return json(res, 200, { id: m[1], status: 'resolved' });
    }
    if (p.startsWith('/api/')) return err(res, 404, 'not found');
    const file = normalize(join(dist, p === '/' ? 'index.html' : p));
    const data = await readFile(file.startsWith(dist) ? file : join(dist, 'index.html')).catch(() => readFile(join(dist, 'index.html')));
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'text/html', 'Cache-Control': p === '/sw.js' ? 'no-cache' : 'public, max-age=0' });
    res.end(data);
  } catch (e) {
    err(res, 500, String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`mock API + dist on http://127.0.0.1:${port}`));
