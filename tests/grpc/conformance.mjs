// conformance.mjs -- keeld's gRPC door as a stock client sees it: the
// official flyteidl IDL loaded with @grpc/proto-loader and called through
// @grpc/grpc-js.  Prints TAP.
//
//   node conformance.mjs [options] HOST:PORT
//     -I DIR, --proto-path DIR   add an import directory (repeatable; the
//                                first must hold flyteidl/service/*.proto)
//     --first N                  number the first test N (default 1)
//     --no-plan                  print no "1..N" line (the caller prints it)
//
// Without -I the directories come from KEEL_BUILDDIR and KEEL_SRCDIR
// (the unpacked flyteidl package, proto/stub) plus Debian's googleapis and
// /usr/include.  Exit status 0 only when every check passed.
//
// The server is expected to be a fresh keeld with an empty data
// directory: the project checks register alpha, beta, delta and gamma.
// The execution checks (project exe) expect a blob store and
// [executions] outbox_workers = 0, cluster = c-a (grpc_conformance.sh).

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = dirname(fileURLToPath(import.meta.url));
const CALL_TIMEOUT_MS = 15000;
const TOTAL_TIMEOUT_MS = 240000;

// --- command line ---------------------------------------------------
let address = null;
let first = 1;
let plan = true;
const protoPath = [];
{
	const argv = process.argv.slice(2);
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '-I' || a === '--proto-path') protoPath.push(argv[++i]);
		else if (a.startsWith('-I') && a.length > 2) protoPath.push(a.slice(2));
		else if (a === '--first') first = Number(argv[++i]);
		else if (a === '--no-plan') plan = false;
		else if (!a.startsWith('-') && address === null) address = a;
		else {
			console.error(`conformance.mjs: unknown argument '${a}'`);
			process.exit(64);
		}
	}
	if (address === null || !Number.isInteger(first) || first < 1) {
		console.error('usage: node conformance.mjs [-I DIR]... [--first N] [--no-plan] HOST:PORT');
		process.exit(64);
	}
	if (protoPath.length === 0) {
		const b = process.env.KEEL_BUILDDIR, s = process.env.KEEL_SRCDIR;
		if (b) protoPath.push(join(b, 'flyteidl-1.16.5', 'protos'));
		if (s) protoPath.push(join(s, 'proto', 'stub'));
		protoPath.push('/usr/share/gocode/src/github.com/gogo/googleapis', '/usr/include');
	}
}

// --- TAP ------------------------------------------------------------
let n = first - 1;
let failures = 0;
function diag(...lines) {
	for (const l of lines.join('\n').split('\n')) console.log(`#   ${l}`);
}
function ok(cond, desc, ...why) {
	n++;
	desc = desc.replace(/#/g, '\\#').replace(/\n/g, ' ');
	console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${desc}`);
	if (!cond) {
		failures++;
		if (why.length) diag(...why.map(String));
	}
	return !!cond;
}
function finish() {
	if (plan) console.log(`1..${n}`);
	console.log(`# conformance.mjs: ${n - first + 1} checks, ${failures} failed`);
	process.exit(failures === 0 ? 0 : 1);
}
// A hung call must not hang `make check`.
setTimeout(() => {
	ok(false, `the whole run finished within ${TOTAL_TIMEOUT_MS / 1000} s`);
	finish();
}, TOTAL_TIMEOUT_MS).unref();

const codeName = Object.fromEntries(Object.entries(grpc.status).map(([k, v]) => [v, k]));
const showCode = (c) => (c === undefined || c === null ? 'OK' : `${c} ${codeName[c] ?? '?'}`);
const short = (s, max = 300) => {
	s = String(s);
	return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
};

// --- loading the IDL -------------------------------------------------
const SERVICES = {
	AdminService: 'flyteidl/service/admin.proto',
	AuthMetadataService: 'flyteidl/service/auth.proto',
	IdentityService: 'flyteidl/service/identity.proto',
	DataProxyService: 'flyteidl/service/dataproxy.proto',
	SignalService: 'flyteidl/service/signal.proto',
};
const LOAD_OPTIONS = {
	keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
};

let packageDef;
try {
	packageDef = protoLoader.loadSync(Object.values(SERVICES),
		{ ...LOAD_OPTIONS, includeDirs: protoPath });
} catch (e) {
	ok(false, 'proto-loader loads flyteidl/service/{admin,auth,identity,dataproxy,signal}.proto',
		`include dirs: ${protoPath.join(' ')}`, e.stack ?? e);
	finish();
}
ok(true, 'proto-loader loads flyteidl/service/{admin,auth,identity,dataproxy,signal}.proto');
const healthDef = protoLoader.loadSync(join(here, 'health.proto'), LOAD_OPTIONS);
const loaded = grpc.loadPackageDefinition(packageDef);
const healthPkg = grpc.loadPackageDefinition(healthDef);

// Each service's rpc names as written in its .proto (comments stripped),
// to be sure the loader dropped none.
function rpcsInFile(rel) {
	const dir = protoPath.find((d) => existsSync(join(d, rel)));
	const text = readFileSync(join(dir, rel), 'utf8')
		.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
	return [...text.matchAll(/\brpc\s+(\w+)\s*\(\s*(stream\s+)?[\w.]+\s*\)\s*returns\s*\(\s*(stream\s+)?/g)]
		.map((m) => ({ name: m[1], streaming: !!(m[2] || m[3]) }));
}

const methods = []; // {service, name, path, def, streaming}
for (const [svc, file] of Object.entries(SERVICES)) {
	const def = packageDef[`flyteidl.service.${svc}`];
	const written = rpcsInFile(file);
	const have = def ? Object.keys(def).sort() : [];
	const want = written.map((r) => r.name).sort();
	ok(def && JSON.stringify(have) === JSON.stringify(want),
		`${svc}: the loaded definition has exactly the ${want.length} rpcs of ${file}`,
		`loaded:  ${have.join(' ')}`, `in file: ${want.join(' ')}`);
	for (const r of written) {
		const m = def?.[r.name];
		if (!m) continue;
		methods.push({
			service: svc, name: r.name, path: m.path, def: m,
			streaming: r.streaming || m.requestStream || m.responseStream,
		});
	}
}
diag(`${methods.length} rpcs loaded, ${methods.filter((m) => m.streaming).length} streaming`);

// --- calling --------------------------------------------------------
const svcCtor = (svc) => loaded.flyteidl.service[svc];
const creds = grpc.credentials.createInsecure();
const clients = Object.fromEntries(Object.keys(SERVICES).map((s) => [s, new (svcCtor(s))(address, creds)]));
const admin = clients.AdminService;
const health = new healthPkg.grpc.health.v1.Health(address, creds);

// call(client, method, request[, {metadata, deadline}]) -> Promise of
// {err, res, code, details, initial (Metadata|null), trailing (Metadata|null)}
function call(client, method, req, opt = {}) {
	return new Promise((resolve) => {
		const md = opt.metadata ?? new grpc.Metadata();
		const deadline = opt.deadline ?? Date.now() + CALL_TIMEOUT_MS;
		const out = { err: null, res: null, code: 0, details: '', initial: null, trailing: null };
		let c;
		try {
			c = client[method](req, md, { deadline }, (err, res) => {
				out.err = err;
				out.res = res;
				if (err) {
					out.code = err.code;
					out.details = err.details ?? '';
				}
			});
		} catch (e) { // e.g. the request could not be serialized
			out.err = e;
			out.code = -1;
			out.details = String(e);
			resolve(out);
			return;
		}
		c.on('metadata', (m) => { out.initial = m; });
		c.on('status', (s) => {
			out.trailing = s.metadata;
			if (out.err === null && s.code !== 0) {
				out.code = s.code;
				out.details = s.details;
			}
			// the callback runs before 'status'; let it settle
			setImmediate(() => resolve(out));
		});
	});
}

// raw(path, bytes): a unary call with an arbitrary payload.
function raw(path, bytes, opt = {}) {
	const client = opt.client ?? admin;
	return new Promise((resolve) => {
		const id = (x) => x;
		client.makeUnaryRequest(path, id, id, bytes, new grpc.Metadata(),
			{ deadline: Date.now() + CALL_TIMEOUT_MS },
			(err, res) => resolve({ err, res, code: err ? err.code : 0, details: err?.details ?? '' }));
	});
}

const got = (r) => `got: ${showCode(r.code)}${r.details ? ` "${short(r.details)}"` : ''}`;

// expect(r, code, substring, desc): code (0 for OK) and, when given, a
// message containing substring.
function expect(r, code, substr, desc) {
	const good = r.code === code && (substr == null || (r.details ?? '').includes(substr));
	return ok(good, desc, `want: ${showCode(code)}${substr != null ? ` with "${substr}"` : ''}`, got(r));
}

const IMPLEMENTED = {
	// method: [code for an empty request, message substring]
	GetVersion: [0, null],
	GetDomains: [0, null],
	ListProjects: [0, null],
	RegisterProject: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	UpdateProject: [grpc.status.INVALID_ARGUMENT, 'missing project_id'],
	GetProject: [grpc.status.INVALID_ARGUMENT, 'missing project_id'],
	CreateTask: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetTask: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListTasks: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListTaskIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetNamedEntity: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	UpdateNamedEntity: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	ListNamedEntities: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetDescriptionEntity: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListDescriptionEntities: [grpc.status.INVALID_ARGUMENT, 'missing resource_type'],
	CreateWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListWorkflows: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListWorkflowIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	UpdateLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	GetActiveLaunchPlan: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListLaunchPlans: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListActiveLaunchPlans: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListLaunchPlanIds: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	RelaunchExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	RecoverExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListExecutions: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	UpdateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	TerminateExecution: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	GetExecutionMetrics: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	CreateWorkflowEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	CreateNodeEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	CreateTaskEvent: [grpc.status.INVALID_ARGUMENT, 'missing event'],
	GetNodeExecution: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	ListNodeExecutions: [grpc.status.INVALID_ARGUMENT, 'missing project'],
	ListNodeExecutionsForTask: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	GetNodeExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetDynamicNodeWorkflow: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetTaskExecution: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	ListTaskExecutions: [grpc.status.INVALID_ARGUMENT, 'missing node execution id'],
	GetTaskExecutionData: [grpc.status.INVALID_ARGUMENT, 'missing task_id'],
	// SignalService
	GetOrCreateSignal: [grpc.status.INVALID_ARGUMENT, 'missing id'],
	ListSignals: [grpc.status.INVALID_ARGUMENT, 'missing execution_id'],
	SetSignal: [grpc.status.INVALID_ARGUMENT, 'missing id'],
};
const DOMAINS = ['development', 'staging', 'production'];
const HEALTH = { SERVING: 'SERVING' };

async function main() {
	// -- reachability --------------------------------------------------
	const ready = await new Promise((resolve) =>
		admin.waitForReady(Date.now() + 10000, (e) => resolve(e)));
	if (!ok(!ready, `a channel to ${address} becomes ready`, String(ready))) finish();

	// -- health --------------------------------------------------------
	let r = await call(health, 'Check', { service: '' });
	ok(r.code === 0 && r.res?.status === HEALTH.SERVING, 'grpc.health.v1.Health/Check "" is SERVING',
		got(r), `status: ${r.res?.status}`);
	r = await call(health, 'Check', { service: 'flyteidl.service.AdminService' });
	ok(r.code === 0 && r.res?.status === HEALTH.SERVING,
		'Health/Check "flyteidl.service.AdminService" is SERVING', got(r), `status: ${r.res?.status}`);
	for (const svc of Object.keys(SERVICES).filter((x) => x !== 'AdminService')) {
		r = await call(health, 'Check', { service: `flyteidl.service.${svc}` });
		ok(r.code === 0 && r.res?.status === HEALTH.SERVING,
			`Health/Check "flyteidl.service.${svc}" is SERVING`, got(r), `status: ${r.res?.status}`);
	}
	r = await call(health, 'Check', { service: 'no.such.Service' });
	expect(r, grpc.status.NOT_FOUND, null, 'Health/Check of an unknown service: NOT_FOUND (5)');

	// -- GetVersion, GetDomains ----------------------------------------
	r = await call(admin, 'GetVersion', {});
	const v = r.res?.control_plane_version;
	ok(r.code === 0 && v && typeof v.Version === 'string' && v.Version !== '',
		'GetVersion: control_plane_version.Version is set', got(r), JSON.stringify(r.res));
	ok(v && typeof v.Build === 'string' && typeof v.BuildTime === 'string',
		'GetVersion: Build and BuildTime are strings', JSON.stringify(v));
	if (v) diag(`Version=${v.Version} Build=${v.Build} BuildTime=${v.BuildTime}`);
	r = await call(admin, 'GetDomains', {});
	const dom = (r.res?.domains ?? []).map((d) => d.id);
	ok(r.code === 0 && JSON.stringify([...dom].sort()) === JSON.stringify([...DOMAINS].sort()),
		'GetDomains: development, staging, production', got(r), `domains: ${JSON.stringify(r.res?.domains)}`);
	ok((r.res?.domains ?? []).every((d) => d.name), 'GetDomains: every domain has a name',
		JSON.stringify(r.res?.domains));

	// -- x-request-id --------------------------------------------------
	const rid = `keel-conformance-${process.pid}-${Date.now()}`;
	let md = new grpc.Metadata();
	md.set('x-request-id', rid);
	r = await call(admin, 'GetVersion', {}, { metadata: md });
	const echoed = r.initial?.get('x-request-id') ?? [];
	ok(r.code === 0 && echoed.length === 1 && echoed[0] === rid,
		'x-request-id sent is echoed in the response initial metadata',
		got(r), `initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	r = await call(admin, 'GetVersion', {});
	const made = r.initial?.get('x-request-id') ?? [];
	ok(made.length === 1 && String(made[0]) !== '',
		'without one, the response initial metadata still carries an x-request-id',
		`initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	md = new grpc.Metadata();
	md.set('x-request-id', `${rid}-err`);
	r = await call(admin, 'GetProject', { id: 'no-such-project' }, { metadata: md });
	{
		const where = [...(r.initial?.get('x-request-id') ?? []), ...(r.trailing?.get('x-request-id') ?? [])];
		ok(r.code === grpc.status.NOT_FOUND && where.includes(`${rid}-err`),
			'x-request-id comes back on an error response too', got(r),
			`initial: ${JSON.stringify(r.initial?.getMap())}`, `trailing: ${JSON.stringify(r.trailing?.getMap())}`);
	}

	// A request id unsafe to echo (spaces, too long) is replaced.
	for (const bad of [' ab', 'x'.repeat(200)]) {
		md = new grpc.Metadata();
		md.set('x-request-id', bad);
		r = await call(admin, 'GetVersion', {}, { metadata: md });
		const back = r.initial?.get('x-request-id') ?? [];
		ok(r.code === 0 && back.length === 1 && String(back[0]).startsWith('a-'),
			`an unsafe x-request-id (${bad.length} bytes) is replaced by a made-up one`,
			got(r), `initial metadata: ${JSON.stringify(r.initial?.getMap())}`);
	}
	// Large metadata (e.g. a big bearer token) is accepted, and the
	// connection keeps working.
	md = new grpc.Metadata();
	md.set('x-big', 'b'.repeat(20000));
	r = await call(admin, 'GetVersion', {}, { metadata: md });
	ok(r.code === 0, '20 KB of request metadata is accepted', got(r));
	r = await call(admin, 'GetVersion', {});
	ok(r.code === 0, 'and the next call on the channel works', got(r));

	// -- every rpc with an empty request -------------------------------
	for (const m of methods) {
		const label = `${m.service}/${m.name}`;
		if (m.streaming) {
			n++;
			console.log(`ok ${n} - ${label} with an empty request # SKIP streaming`);
			continue;
		}
		r = await call(clients[m.service], m.name, {});
		if (['AdminService', 'SignalService'].includes(m.service) && IMPLEMENTED[m.name]) {
			const [code, sub] = IMPLEMENTED[m.name];
			expect(r, code, sub, `${label} with an empty request: ${showCode(code)}`);
		} else {
			expect(r, grpc.status.UNIMPLEMENTED, m.name, `${label} with an empty request: UNIMPLEMENTED naming the method`);
		}
	}

	// -- paths and payloads no IDL produces ----------------------------
	r = await raw('/flyteidl.service.AdminService/NoSuchMethod', Buffer.alloc(0));
	expect(r, grpc.status.UNIMPLEMENTED, 'NoSuchMethod', 'an unknown method of a known service: UNIMPLEMENTED (12)');
	r = await raw('/no.such.Service/GetVersion', Buffer.alloc(0));
	expect(r, grpc.status.UNIMPLEMENTED, null, 'an unknown service: UNIMPLEMENTED (12)');
	// field 1 (id) as a length-delimited string claiming 100 bytes, with 1 there
	r = await raw('/flyteidl.service.AdminService/GetProject', Buffer.from([0x0a, 0x64, 0x61]));
	ok(r.code === grpc.status.INTERNAL || r.code === grpc.status.INVALID_ARGUMENT,
		'a request that is not a valid protobuf: INTERNAL (13) or INVALID_ARGUMENT (3)', got(r));
	diag(`unparsable request answered ${got(r)}`);
	r = await call(admin, 'GetVersion', {});
	expect(r, 0, null, 'the server still answers afterwards');
	// Unknown fields (a newer client's) are skipped, as protobuf requires.
	const gp = packageDef['flyteidl.service.AdminService'].GetProject;
	r = await raw(gp.path, Buffer.concat([gp.requestSerialize({ id: 'no-such-project' }),
		Buffer.from([0xf8, 0x06, 0x01])])); // field 111, varint 1
	expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found',
		'a request with an unknown field: the field is ignored');
	// Stock clients may compress requests.
	{
		const gz = new (svcCtor('AdminService'))(address, creds,
			{ 'grpc.default_compression_algorithm': 2, 'grpc.use_local_subchannel_pool': 1 });
		r = await call(gz, 'GetProject', { id: 'no-such-project' });
		expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found', 'a gzip-compressed request is understood');
		gz.close();
	}

	await projects();
	await listing();
	await limits();
	await registry();
	await executions();
	await concurrency();

	for (const c of [...Object.values(clients), health]) c.close();
	finish();
}

// A view of everything stored, to show that a failed call changed
// nothing.
const KNOWN_IDS = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
async function snapshot() {
	const parts = [];
	for (const req of [{ limit: 100 }, { limit: 100, filters: 'eq(state,1)' }]) {
		const r = await call(admin, 'ListProjects', req);
		parts.push([showCode(r.code), r.res]);
	}
	for (const id of KNOWN_IDS) {
		const r = await call(admin, 'GetProject', { id });
		parts.push([id, showCode(r.code), r.res]);
	}
	return JSON.stringify(parts);
}

const proj = (over = {}) => ({
	project: {
		id: 'omega', name: 'Omega', description: 'never stored',
		labels: { values: { team: 'keel' } }, ...over,
	},
});

async function projects() {
	let r = await call(admin, 'RegisterProject', {
		project: {
			id: 'alpha', name: 'Alpha', description: 'the first project',
			labels: { values: { team: 'keel', tier: 'gold' } },
		},
	});
	expect(r, 0, null, 'RegisterProject alpha: OK');
	r = await call(admin, 'GetProject', { id: 'alpha' });
	const p = r.res;
	ok(r.code === 0 && p?.id === 'alpha' && p.name === 'Alpha' && p.description === 'the first project',
		'GetProject alpha: id, name, description as registered', got(r), JSON.stringify(p));
	ok(p?.labels?.values?.team === 'keel' && p?.labels?.values?.tier === 'gold'
		&& Object.keys(p.labels.values).length === 2,
	'GetProject alpha: labels as registered', JSON.stringify(p?.labels));
	ok(p?.state === 'ACTIVE', 'GetProject alpha: state ACTIVE', `state: ${p?.state}`);
	ok(JSON.stringify((p?.domains ?? []).map((d) => d.id).sort()) === JSON.stringify([...DOMAINS].sort()),
		'GetProject alpha: carries domains development, staging, production', JSON.stringify(p?.domains));

	// Failures, each of which must leave the store as it was.
	const before = await snapshot();
	const bad = [
		[proj({ name: '' }), 3, 'missing project_name', 'RegisterProject without a name'],
		[proj({ id: '' }), 3, 'missing project_id', 'RegisterProject without an id'],
		[proj({ id: 'Bad' }), 3, 'invalid project id [Bad]:', 'RegisterProject id "Bad" (not a DNS-1123 label)'],
		[proj({ id: 'x'.repeat(64) }), 3, 'invalid project id [', 'RegisterProject with a 64-character id'],
		[proj({ id: 'bad_dup' }), 3, 'invalid project id [bad_dup]:', 'RegisterProject id with an underscore'],
		[proj({ name: 'n'.repeat(65) }), 3, 'project_name cannot exceed 64 characters', 'RegisterProject with a 65-character name'],
		[proj({ description: 'd'.repeat(301) }), 3, 'cannot exceed 300 characters', 'RegisterProject with a 301-character description'],
		[proj({ labels: { values: Object.fromEntries([...Array(17).keys()].map((i) => [`k${i}`, 'v'])) } }),
			3, 'labels map cannot exceed 16 entries', 'RegisterProject with 17 labels'],
		[proj({ domains: [{ id: 'development', name: 'development' }] }), 3,
			'Domains are currently only set system wide', 'RegisterProject with domains'],
		[proj({ id: 'alpha', name: 'Alpha again', description: 'overwrite?' }), 6,
			'project with id [alpha] already exists', 'RegisterProject alpha again'],
	];
	for (const [req, code, sub, what] of bad) {
		r = await call(admin, 'RegisterProject', req);
		expect(r, code, sub, `${what}: ${showCode(code)}`);
	}
	r = await call(admin, 'GetProject', { id: 'no-such-project' });
	expect(r, grpc.status.NOT_FOUND, 'project [no-such-project] not found', 'GetProject of an unknown id: NOT_FOUND "project [x] not found"');
	r = await call(admin, 'UpdateProject', { id: 'omega', name: 'Omega' });
	expect(r, grpc.status.NOT_FOUND, 'omega', 'UpdateProject of an unknown id: NOT_FOUND');
	r = await call(admin, 'UpdateProject', { id: 'alpha', name: 'n'.repeat(65) });
	expect(r, grpc.status.INVALID_ARGUMENT, 'project_name cannot exceed 64 characters', 'UpdateProject alpha with a 65-character name: INVALID_ARGUMENT');
	r = await call(admin, 'UpdateProject', { id: 'alpha', name: 'Alpha', domains: [{ id: 'x', name: 'x' }] });
	expect(r, grpc.status.INVALID_ARGUMENT, 'Domains are currently only set system wide', 'UpdateProject alpha with domains: INVALID_ARGUMENT');
	const after = await snapshot();
	ok(before === after, 'none of the failed calls changed what is stored',
		`before: ${short(before, 2000)}`, `after:  ${short(after, 2000)}`);

	// Boundaries that are allowed.
	r = await call(admin, 'RegisterProject', {
		project: {
			id: 'delta', name: 'N'.repeat(64), description: 'D'.repeat(300),
			labels: { values: Object.fromEntries([...Array(16).keys()].map((i) => [`k${i}`, `v${i}`])) },
		},
	});
	expect(r, 0, null, 'RegisterProject with a 64-character name, a 300-character description, 16 labels: OK');
	r = await call(admin, 'GetProject', { id: 'delta' });
	ok(r.code === 0 && r.res?.name === 'N'.repeat(64) && r.res?.description === 'D'.repeat(300)
		&& Object.keys(r.res?.labels?.values ?? {}).length === 16,
	'GetProject delta: stored whole', got(r), short(JSON.stringify(r.res)));

	// UpdateProject replaces name, description, labels.
	r = await call(admin, 'UpdateProject', {
		id: 'alpha', name: 'Alpha Prime', description: 'updated', labels: { values: { team: 'core' } },
	});
	expect(r, 0, null, 'UpdateProject alpha: OK');
	r = await call(admin, 'GetProject', { id: 'alpha' });
	ok(r.code === 0 && r.res?.name === 'Alpha Prime' && r.res?.description === 'updated'
		&& JSON.stringify(r.res?.labels?.values) === '{"team":"core"}' && r.res?.state === 'ACTIVE',
	'GetProject alpha after the update: new name, description, labels', got(r), JSON.stringify(r.res));
}

const ids = (r) => (r.res?.projects ?? []).map((p) => p.id);

async function listing() {
	for (const id of ['gamma', 'beta']) { // out of order on purpose
		const r = await call(admin, 'RegisterProject', { project: { id, name: id.toUpperCase() } });
		expect(r, 0, null, `RegisterProject ${id}: OK`);
	}
	let r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta', 'gamma'], r, 'ListProjects: every project, by identifier ascending');
	ok((r.res?.projects ?? []).every((p) => p.domains?.length === 3),
		'ListProjects: every project carries the three domains');
	ok(r.res?.token === '', 'ListProjects: no token when everything fit', `token: ${JSON.stringify(r.res?.token)}`);

	r = await call(admin, 'ListProjects', { limit: 2 });
	is(ids(r), ['alpha', 'beta'], r, 'ListProjects limit 2: first page');
	ok(r.res?.token === '2', 'ListProjects limit 2: token "2"', `token: ${JSON.stringify(r.res?.token)}`);
	r = await call(admin, 'ListProjects', { limit: 2, token: r.res?.token ?? '' });
	is(ids(r), ['delta', 'gamma'], r, 'ListProjects limit 2 token "2": second page');
	ok(r.res?.token === '', 'ListProjects: token "" at the end', `token: ${JSON.stringify(r.res?.token)}`);

	r = await call(admin, 'ListProjects', { limit: 100, sort_by: { key: 'identifier', direction: 'DESCENDING' } });
	is(ids(r), ['gamma', 'delta', 'beta', 'alpha'], r, 'ListProjects sort_by identifier DESCENDING');
	r = await call(admin, 'ListProjects', { limit: 100, sort_by: { key: 'name', direction: 'ASCENDING' } });
	is(ids(r), ['alpha', 'beta', 'gamma', 'delta'], r, 'ListProjects sort_by name ASCENDING ("Alpha Prime" < "BETA" < "GAMMA" < "NNN...")');

	const before = await snapshot();
	r = await call(admin, 'ListProjects', { limit: 2, token: 'x' });
	expect(r, 3, 'invalid pagination token x for ListProjects', 'ListProjects token "x": INVALID_ARGUMENT');
	r = await call(admin, 'ListProjects', { limit: 2, sort_by: { key: 'nope', direction: 'ASCENDING' } });
	expect(r, 3, "invalid sort key 'nope'", 'ListProjects sort key "nope": INVALID_ARGUMENT');
	r = await call(admin, 'ListProjects', { limit: 2, filters: 'eq(state' });
	expect(r, 3, null, 'ListProjects with a malformed filter: INVALID_ARGUMENT');
	diag(`malformed filter: ${got(r)}`);
	ok(before === await snapshot(), 'nothing stored changed');

	// Archiving hides a project from the unfiltered listing.
	r = await call(admin, 'UpdateProject', { id: 'gamma', name: 'GAMMA', state: 'ARCHIVED' });
	expect(r, 0, null, 'UpdateProject gamma state ARCHIVED: OK');
	r = await call(admin, 'GetProject', { id: 'gamma' });
	ok(r.code === 0 && r.res?.state === 'ARCHIVED', 'GetProject gamma: state ARCHIVED', got(r), `state: ${r.res?.state}`);
	r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta'], r, 'ListProjects without filters hides the archived project');
	r = await call(admin, 'ListProjects', { limit: 100, filters: 'eq(state,1)' });
	is(ids(r), ['gamma'], r, 'ListProjects filters eq(state,1): the archived project');
	r = await call(admin, 'ListProjects', { limit: 100, filters: 'eq(state,0)' });
	is(ids(r), ['alpha', 'beta', 'delta'], r, 'ListProjects filters eq(state,0): the active ones');
	r = await call(admin, 'UpdateProject', { id: 'gamma', name: 'GAMMA', state: 'ACTIVE' });
	expect(r, 0, null, 'UpdateProject gamma state ACTIVE: OK');
	r = await call(admin, 'ListProjects', { limit: 100 });
	is(ids(r), ['alpha', 'beta', 'delta', 'gamma'], r, 'gamma is listed again');
}

function is(gotv, want, r, desc) {
	return ok(JSON.stringify(gotv) === JSON.stringify(want), desc,
		`want: ${JSON.stringify(want)}`, `got:  ${JSON.stringify(gotv)}`, got(r));
}

async function limits() {
	// Just under the 4 MiB limit: reaches the handler, which rejects the
	// description length.
	let r = await call(admin, 'RegisterProject', proj({ id: 'omega', description: 'd'.repeat(3 * 1024 * 1024) }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'cannot exceed 300 characters',
		'a 3 MiB request reaches the service (INVALID_ARGUMENT for the description)');
	r = await call(admin, 'RegisterProject', proj({ id: 'omega', description: 'd'.repeat(5 * 1024 * 1024) }));
	expect(r, grpc.status.RESOURCE_EXHAUSTED, null, 'a 5 MiB request: RESOURCE_EXHAUSTED (8)');
	diag(`5 MiB request: ${got(r)}`);
	r = await call(admin, 'GetProject', { id: 'omega' });
	expect(r, grpc.status.NOT_FOUND, null, 'the oversized project was not stored');
	r = await call(admin, 'GetVersion', {});
	expect(r, 0, null, 'the server still answers on the same channel');

	// Deadlines.
	r = await call(admin, 'GetProject', { id: 'alpha' }, { deadline: Date.now() - 1000 });
	expect(r, grpc.status.DEADLINE_EXCEEDED, null, 'a deadline already past: DEADLINE_EXCEEDED (4)');
	r = await call(admin, 'GetProject', { id: 'alpha' }, { deadline: Date.now() + 5000 });
	expect(r, 0, null, 'a call with a 5 s deadline: OK');
	// A deadline that expires while the request travels: either the server
	// answers in time or the call ends DEADLINE_EXCEEDED, nothing else.
	r = await call(admin, 'ListProjects', { limit: 100 }, { deadline: Date.now() + 1 });
	ok(r.code === 0 || r.code === grpc.status.DEADLINE_EXCEEDED, 'a 1 ms deadline: OK or DEADLINE_EXCEEDED', got(r));
}

async function concurrency() {
	const N = 200;
	let r;
	let rs = await Promise.all([...Array(N).keys()].map(() => call(admin, 'GetProject', { id: 'alpha' })));
	let bad = rs.filter((r) => r.code !== 0 || r.res?.id !== 'alpha');
	ok(bad.length === 0, `${N} concurrent GetProject on one channel all succeed`,
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);

	// Ten connections of their own, 20 calls each, a mix of methods.
	const chans = [...Array(10).keys()].map(() =>
		new (svcCtor('AdminService'))(address, creds, { 'grpc.use_local_subchannel_pool': 1 }));
	const mix = [['GetProject', { id: 'beta' }], ['ListProjects', { limit: 2 }], ['GetDomains', {}], ['GetVersion', {}]];
	rs = await Promise.all(chans.flatMap((c, i) => [...Array(20).keys()].map((j) => {
		const [m, req] = mix[(i + j) % mix.length];
		return call(c, m, req);
	})));
	bad = rs.filter((r) => r.code !== 0);
	ok(bad.length === 0, '200 concurrent calls over 10 connections all succeed',
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);
	for (const c of chans) c.close();

	// Calls the client gives up on at once must not hurt the server.
	const gone = [...Array(100).keys()].map(() => admin.ListProjects({ limit: 100 }, () => {}));
	for (const c of gone) c.cancel();
	r = await call(admin, 'GetProject', { id: 'alpha' });
	expect(r, 0, null, '100 calls cancelled right away, then the server still answers');

	// Register and read back concurrently: distinct ids all land.
	const newIds = [...Array(20).keys()].map((i) => `conc-${String(i).padStart(2, '0')}`);
	rs = await Promise.all(newIds.map((id) => call(admin, 'RegisterProject', { project: { id, name: id } })));
	bad = rs.filter((r) => r.code !== 0);
	ok(bad.length === 0, '20 concurrent RegisterProject with distinct ids all succeed',
		`${bad.length} failed; first: ${bad[0] ? got(bad[0]) : ''}`);
	// and the same id 10 times at once: exactly one wins.
	rs = await Promise.all([...Array(10).keys()].map(() => call(admin, 'RegisterProject', { project: { id: 'race', name: 'race' } })));
	const wins = rs.filter((r) => r.code === 0).length;
	const dups = rs.filter((r) => r.code === grpc.status.ALREADY_EXISTS).length;
	ok(wins === 1 && dups === 9, '10 concurrent RegisterProject of one id: one OK, nine ALREADY_EXISTS',
		`OK: ${wins}, ALREADY_EXISTS: ${dups}, others: ${rs.filter((r) => r.code !== 0 && r.code !== 6).map(got).join('; ')}`);
	const all = await call(admin, 'ListProjects', { limit: 1000 });
	is(ids(all).filter((i) => i.startsWith('conc-') || i === 'race'), [...newIds, 'race'], all,
		'all of them are listed, in order');
}

// -- the registry: tasks, workflows, launch plans (checklist 5, 8-11, 13-17)
const PD = { project: 'reg', domain: 'development' };
const rid = (resource_type, name, version = 'v1') => ({ resource_type, ...PD, name, version });
const intT = { simple: 'INTEGER' };
const vars = (o) => ({ variables: Object.fromEntries(Object.entries(o).map(([k, t]) => [k, { type: t }])) });
const promise = (node_id, v) => ({ promise: { node_id, var: v } });
const bind = (v, binding) => ({ var: v, binding });
const lit = (i) => ({ scalar: { primitive: { integer: String(i) } } });
function wfReq(name, nodes, outputs, version = 'v1') {
	return {
		id: rid('WORKFLOW', name, version),
		spec: { template: { interface: { inputs: vars({ x: intT }), outputs: vars({ o: intT }) }, nodes, outputs } },
	};
}
const addNode = (id, a, b) => ({
	id, task_node: { reference_id: rid('TASK', 'reg.add') }, inputs: [bind('a', a), bind('b', b)],
});
// The type URLs of the google.rpc.Status details grpc-js leaves in the
// trailers: each Any's type_url (field 1) inside details (field 3).
function statusDetailTypes(r) {
	const bin = r.trailing?.get('grpc-status-details-bin')?.[0];
	const urls = [];
	if (!Buffer.isBuffer(bin)) return urls;
	const varint = (b, i) => { let v = 0, s = 0, c; do { c = b[i++]; v += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return [v, i]; };
	for (let i = 0; i < bin.length;) {
		let key, len;
		[key, i] = varint(bin, i);
		if ((key & 7) === 0) { [, i] = varint(bin, i); continue; }
		[len, i] = varint(bin, i);
		if (key >>> 3 === 3) {
			const any = bin.subarray(i, i + len);
			let k2, l2, j = 0;
			[k2, j] = varint(any, j);
			[l2, j] = varint(any, j);
			if (k2 >>> 3 === 1) urls.push(any.subarray(j, j + l2).toString('utf8'));
		}
		i += len;
	}
	return urls;
}

async function registry() {
	let r = await call(admin, 'RegisterProject', { project: { id: 'reg', name: 'reg' } });
	expect(r, 0, null, 'registry: project reg');
	const two = [addNode('n0', promise('start-node', 'x'), lit(1)), addNode('n1', promise('n0', 'o0'), promise('n0', 'o0'))];
	const out = [bind('o', promise('n1', 'o0'))];
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, grpc.status.INVALID_ARGUMENT, 'failed to compile workflow', 'CreateWorkflow before its task exists: INVALID_ARGUMENT "failed to compile"');
	ok(r.details.includes('TaskReferenceNotFound'), 'naming the missing task', got(r));
	r = await call(admin, 'CreateTask', {
		id: rid('TASK', 'reg.add'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' },
			interface: { inputs: vars({ a: intT, b: intT }), outputs: vars({ o0: intT }) } } },
	});
	expect(r, 0, null, 'CreateTask reg.add');
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, 0, null, 'CreateWorkflow once the task exists');
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', two, out));
	expect(r, grpc.status.ALREADY_EXISTS, 'identical structure', 'identical re-registration: ALREADY_EXISTS');
	ok(statusDetailTypes(r).some((t) => t.endsWith('flyteidl.admin.CreateWorkflowFailureReason')),
		'with a CreateWorkflowFailureReason detail', statusDetailTypes(r).join(', '));
	r = await call(admin, 'CreateWorkflow', wfReq('reg.wf', [two[0], addNode('n1', promise('n0', 'o0'), lit(7))], out));
	expect(r, grpc.status.INVALID_ARGUMENT, 'different structure', 'different content under v1: INVALID_ARGUMENT');
	const many = [addNode('c0', promise('start-node', 'x'), lit(1))];
	for (let i = 1; i < 101; i++) many.push(addNode(`c${i}`, promise(`c${i - 1}`, 'o0'), lit(1)));
	r = await call(admin, 'CreateWorkflow', wfReq('reg.big', many, [bind('o', promise('c100', 'o0'))]));
	expect(r, grpc.status.INVALID_ARGUMENT, 'exceeds the limit (101 > 100', '101 nodes at the default limit: INVALID_ARGUMENT');
	r = await call(admin, 'GetWorkflow', { id: rid('WORKFLOW', 'reg.wf') });
	const nodes = r.res?.closure?.compiled_workflow?.primary?.template?.nodes ?? [];
	ok(r.code === 0 && nodes.length === 4 && nodes.some((n) => n.id === 'start-node'),
		'GetWorkflow: the compiled closure with start-node and end-node', got(r), `nodes: ${nodes.map((n) => n.id)}`);
	const n1b = nodes.find((n) => n.id === 'n1')?.inputs?.find((b) => b.var === 'b')?.binding;
	ok(n1b?.promise?.node_id === 'n0', 'the refused re-registration left the stored closure as it was',
		`n1.b: ${JSON.stringify(n1b)}`);
	r = await call(admin, 'ListWorkflows', { id: PD, limit: 10 });
	const lw = r.res?.workflows ?? [];
	ok(r.code === 0 && lw.length === 1 && lw[0].closure.compiled_workflow.primary.template.nodes.length === 0 &&
		Object.keys(lw[0].closure.compiled_workflow.primary.template.interface.inputs.variables).join() === 'x',
	'ListWorkflows: the interface only', got(r));
	r = await call(admin, 'ListWorkflows', { id: PD, limit: 10, filters: 'eq(project.name,x)' });
	expect(r, grpc.status.INVALID_ARGUMENT, "'project' entity is not allowed", 'a project join on workflows: INVALID_ARGUMENT');

	const lpReq = (name, version, extra = {}) => ({
		id: rid('LAUNCH_PLAN', name, version),
		spec: { workflow_id: rid('WORKFLOW', 'reg.wf'), ...extra },
	});
	const sched = { entity_metadata: { schedule: { cron_schedule: { schedule: '0 * * * *' } } },
		default_inputs: { parameters: { x: { var: { type: intT }, default: lit(3) } } } };
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v1'));
	expect(r, 0, null, 'CreateLaunchPlan without inputs');
	r = await call(admin, 'GetLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.lp', 'v1') });
	ok(r.code === 0 && r.res.closure.state === 'INACTIVE' && r.res.closure.expected_inputs.parameters.x.required === true,
		'created INACTIVE, x a required expected input', got(r));
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { default_inputs: { parameters: { y: { var: { type: intT }, default: lit(1) } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'unexpected default_input y', 'a default input the workflow lacks: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { entity_metadata: { schedule: { cron_schedule: { schedule: '0 * * * *' } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'unbound required input', 'a schedule with an unbound required input: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { ...sched, entity_metadata: { schedule: { cron_schedule: { schedule: '0 25 * * *' } } } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'Invalid cron expression', 'hour 25: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.lp', 'v2', { ...sched, entity_metadata: { notifications: [{ phases: ['RUNNING'], email: { recipients_email: ['a@b.c'] } }] } }));
	expect(r, grpc.status.INVALID_ARGUMENT, 'phase', 'a notification on RUNNING: INVALID_ARGUMENT');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.cron', 'v1', sched));
	expect(r, 0, null, 'scheduled launch plan v1');
	r = await call(admin, 'CreateLaunchPlan', lpReq('reg.cron', 'v2', sched));
	expect(r, 0, null, 'scheduled launch plan v2');
	r = await call(admin, 'GetActiveLaunchPlan', { id: { ...PD, name: 'reg.cron' } });
	expect(r, grpc.status.NOT_FOUND, 'No active launch plan could be found', 'none active: NOT_FOUND');
	r = await call(admin, 'UpdateLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v1'), state: 'ACTIVE' });
	expect(r, 0, null, 'activate v1');
	r = await call(admin, 'UpdateLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v2'), state: 'ACTIVE' });
	expect(r, 0, null, 'activate v2');
	r = await call(admin, 'GetActiveLaunchPlan', { id: { ...PD, name: 'reg.cron' } });
	ok(r.code === 0 && r.res.id.version === 'v2' && r.res.closure.state === 'ACTIVE', 'GetActiveLaunchPlan: v2', got(r));
	r = await call(admin, 'GetLaunchPlan', { id: rid('LAUNCH_PLAN', 'reg.cron', 'v1') });
	ok(r.code === 0 && r.res.closure.state === 'INACTIVE', 'v1 went INACTIVE', got(r));
	r = await call(admin, 'ListLaunchPlans', { id: PD, limit: 10, filters: 'eq(workflow.name,reg.wf)+eq(state,1)' });
	ok(r.code === 0 && r.res.launch_plans.length === 1 && r.res.launch_plans[0].id.version === 'v2',
		'ListLaunchPlans with a workflow join filter and eq(state,1)', got(r));
	r = await call(admin, 'ListLaunchPlanIds', { ...PD, limit: 10 });
	ok(r.code === 0 && r.res.entities.map((e) => e.name).join() === 'reg.cron,reg.lp', 'ListLaunchPlanIds', got(r));
}

// -- executions and data-plane events (checklist rows 20-45) --------------
// keeld runs here with [executions] outbox_workers = 0 and cluster = c-a
// (grpc_conformance.sh).  With workers, the launch worker moves a new
// execution UNDEFINED -> QUEUED and the abort worker ABORTING -> ABORTED
// at a moment of their own choosing, which would race the event-order
// checks (row 35 needs ABORTING to stay until the ABORTED event, row 33
// needs a known stored phase before each event); without them the phase
// is exactly what the events made it, so a new execution is asserted
// UNDEFINED.  The workers' transitions are covered by tests/unit/exec_test.
// Row 23 (a data plane refusing the launch) needs a failing target, which
// the "none" target cannot be: exec_test covers it with a test double.
const XD = { project: 'exe', domain: 'development' };
const xid = (resource_type, name, version = 'v1') => ({ resource_type, ...XD, name, version });
const exid = (name) => ({ ...XD, name });
const strT = { simple: 'STRING' };
const slit = (s) => ({ scalar: { primitive: { string_value: s } } });
const T0 = 1767225600; // 2026-01-01T00:00:00Z
const at = (sec) => ({ seconds: String(T0 + sec), nanos: 0 });
const litInt = (m, k) => m?.literals?.[k]?.scalar?.primitive?.integer;
const litKeys = (m) => Object.keys(m?.literals ?? {}).sort().join();
const nodeId = (ex, node) => ({ node_id: node, execution_id: exid(ex) });
const taskExId = (ex, node, retry, task = 'exe.add') => ({ task_id: xid('TASK', task), node_execution_id: nodeId(ex, node), retry_attempt: retry });

// The google.rpc.Status details grpc-js leaves in the trailers, as
// {type (the Any's type_url), value (Buffer)}.
function pbFields(buf) {
	const out = [];
	const varint = (i) => { let v = 0, s = 0, c; do { c = buf[i++]; v += (c & 0x7f) * 2 ** s; s += 7; } while (c & 0x80); return [v, i]; };
	for (let i = 0; i < buf.length;) {
		let key, len, v;
		[key, i] = varint(i);
		const wt = key & 7;
		if (wt === 0) { [v, i] = varint(i); out.push({ no: key >>> 3, v }); continue; }
		if (wt === 1) { i += 8; continue; }
		if (wt === 5) { i += 4; continue; }
		if (wt !== 2) break;
		[len, i] = varint(i);
		out.push({ no: key >>> 3, v: buf.subarray(i, i + len) });
		i += len;
	}
	return out;
}
function statusDetails(r) {
	const bin = r.trailing?.get('grpc-status-details-bin')?.[0];
	if (!Buffer.isBuffer(bin)) return [];
	return pbFields(bin).filter((f) => f.no === 3).map((f) => {
		const any = pbFields(f.v);
		return { type: any.find((x) => x.no === 1)?.v.toString('utf8') ?? '', value: any.find((x) => x.no === 2)?.v ?? Buffer.alloc(0) };
	});
}
// The EventFailureReason detail of r, as {already_in_terminal_state:
// {current_phase}} or {incompatible_cluster: {cluster}}; null if none.
function failureReason(r) {
	const d = statusDetails(r).find((x) => x.type === 'type.googleapis.com/flyteidl.admin.EventFailureReason');
	if (!d) return null;
	const out = {};
	for (const f of pbFields(d.value)) {
		const s = pbFields(f.v).find((x) => x.no === 1)?.v.toString('utf8') ?? '';
		if (f.no === 1) out.already_in_terminal_state = { current_phase: s };
		if (f.no === 2) out.incompatible_cluster = { cluster: s };
	}
	return out;
}
const showDetails = (r) => `details: ${JSON.stringify(statusDetails(r).map((d) => d.type))}, reason: ${JSON.stringify(failureReason(r))}`;

async function executions() {
	let r = await call(admin, 'RegisterProject', { project: { id: 'exe', name: 'exe', labels: { values: { owner: 'keel', team: 'proj' } } } });
	expect(r, 0, null, 'executions: project exe (labels owner=keel, team=proj)');
	const addIfc = { inputs: vars({ a: intT, b: intT }), outputs: vars({ o0: intT }) };
	r = await call(admin, 'CreateTask', { id: xid('TASK', 'exe.add'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' }, interface: addIfc } } });
	expect(r, 0, null, 'executions: CreateTask exe.add');
	r = await call(admin, 'CreateTask', { id: xid('TASK', 'exe.echo'),
		spec: { template: { type: 'python-task', metadata: {}, container: { image: 'img:1' },
			interface: { inputs: vars({ s: strT }), outputs: vars({ o: strT }) } } } });
	expect(r, 0, null, 'executions: CreateTask exe.echo (a string in, a string out)');
	r = await call(admin, 'CreateWorkflow', { id: xid('WORKFLOW', 'exe.wf'),
		spec: { template: { interface: { inputs: vars({ a: intT, b: intT }), outputs: vars({ o: intT }) },
			nodes: [{ id: 'n0', task_node: { reference_id: xid('TASK', 'exe.add') },
				inputs: [bind('a', promise('start-node', 'a')), bind('b', promise('start-node', 'b'))] }],
			outputs: [bind('o', promise('n0', 'o0'))] } } });
	expect(r, 0, null, 'executions: CreateWorkflow exe.wf (a, b -> o)');
	const defB = { parameters: { b: { var: { type: intT }, default: lit(3) } } };
	const lpSpec = (extra) => ({ workflow_id: xid('WORKFLOW', 'exe.wf'), default_inputs: defB, ...extra });
	r = await call(admin, 'CreateLaunchPlan', { id: xid('LAUNCH_PLAN', 'exe.lp'),
		spec: lpSpec({ max_parallelism: 7, labels: { values: { team: 'lp', tier: 'gold' } } }) });
	expect(r, 0, null, 'executions: launch plan exe.lp (b defaults to 3, max_parallelism 7, labels team=lp tier=gold)');
	r = await call(admin, 'CreateLaunchPlan', { id: xid('LAUNCH_PLAN', 'exe.fixed'),
		spec: lpSpec({ fixed_inputs: { literals: { a: lit(1) } } }) });
	expect(r, 0, null, 'executions: launch plan exe.fixed (a fixed to 1)');
	r = await call(admin, 'CreateLaunchPlan', { id: xid('LAUNCH_PLAN', 'exe.one'),
		spec: lpSpec({ concurrency_policy: { max: 1, behavior: 'CONCURRENCY_LIMIT_BEHAVIOR_SKIP' } }) });
	expect(r, 0, null, 'executions: launch plan exe.one (concurrency max 1, SKIP)');

	const LP = (name) => xid('LAUNCH_PLAN', name);
	const create = (lp, name, inputs = {}, spec = {}) => call(admin, 'CreateExecution',
		{ ...XD, name, spec: { launch_plan: lp, ...spec }, inputs: { literals: inputs } });
	const getEx = (name) => call(admin, 'GetExecution', { id: exid(name) });
	const getData = (name) => call(admin, 'GetExecutionData', { id: exid(name) });
	const listEx = (filters, extra = {}) => call(admin, 'ListExecutions', { id: XD, limit: 100, filters, ...extra });
	const names = (res) => (res?.executions ?? []).map((e) => e.id.name).sort();
	const wfev = (name, phase, sec, extra = {}) => call(admin, 'CreateWorkflowEvent',
		{ event: { execution_id: exid(name), producer_id: '', phase, occurred_at: at(sec), ...extra } });
	const terminate = (name, cause) => call(admin, 'TerminateExecution', { id: exid(name), cause });

	// Row 20: create.
	r = await create(LP('exe.lp'), '', { a: lit(5) });
	const gen = r.res?.id?.name ?? '';
	ok(r.code === 0 && /^a[bcdfghjklmnpqrstvwxz2456789]{19}$/.test(gen) && r.res.id.project === 'exe' && r.res.id.domain === 'development',
		'row 20: CreateExecution without a name: id exe/development/"a" + 19 of [bcdfghjklmnpqrstvwxz2456789]', got(r), `id: ${JSON.stringify(r.res?.id)}`);
	r = await create(LP('exe.lp'), 'ex1', { a: lit(5) });
	ok(r.code === 0 && r.res?.id?.name === 'ex1', 'row 20: CreateExecution ex1: the response names ex1', got(r), JSON.stringify(r.res));
	r = await getEx('ex1');
	let e = r.res;
	ok(r.code === 0 && e?.id?.name === 'ex1' && e.closure?.phase === 'UNDEFINED',
		'row 20: GetExecution ex1: phase UNDEFINED (no outbox worker, no event yet)', got(r), `phase: ${e?.closure?.phase}`);
	ok(e?.closure?.state_change_details?.state === 'EXECUTION_ACTIVE' && e.closure.created_at?.seconds > 0 && e.closure.updated_at?.seconds > 0,
		'row 20: state ACTIVE, created_at and updated_at set', JSON.stringify(e?.closure));
	ok(e?.spec?.metadata?.principal === 'anonymous' && e.spec.metadata.mode === 'MANUAL',
		'row 20: spec.metadata.principal is the caller (anonymous without auth), mode MANUAL', JSON.stringify(e?.spec?.metadata));
	ok(e?.closure?.workflow_id?.name === 'exe.wf' && e.spec?.launch_plan?.name === 'exe.lp',
		'row 20: closure.workflow_id exe.wf, spec.launch_plan exe.lp', JSON.stringify(e?.closure?.workflow_id), JSON.stringify(e?.spec?.launch_plan));
	ok(e?.spec?.metadata?.system_metadata?.namespace === 'exe-development' && e.spec.metadata.system_metadata.execution_cluster === 'c-a',
		'row 20: system_metadata namespace exe-development, execution_cluster c-a ([executions] cluster)', JSON.stringify(e?.spec?.metadata?.system_metadata));
	ok(e?.spec?.max_parallelism === 7, 'row 25: max_parallelism from the launch plan (7)', `max_parallelism: ${e?.spec?.max_parallelism}`);
	ok(JSON.stringify(e?.spec?.labels?.values) === JSON.stringify({ team: 'lp', tier: 'gold', owner: 'keel' }),
		'row 26: the launch plan\'s labels, plus the project\'s for keys they lack (owner=keel; team stays lp)', JSON.stringify(e?.spec?.labels));

	// Row 21: names.
	r = await create(LP('exe.lp'), 'ex1', { a: lit(5) });
	expect(r, grpc.status.ALREADY_EXISTS, 'ex1', 'row 21: the name ex1 again: ALREADY_EXISTS naming it');
	for (const [nm, sub, what] of [['1abc', '1abc', 'starting with a digit'], ['a_b', 'invalid name format', 'with an underscore'],
		['Abc', null, 'with an upper-case letter (Keel refuses it; Flyte Admin stores it)'],
		[`a${'1'.repeat(63)}`, 'exceeded allowed length 63', 'of 64 characters']]) {
		r = await create(LP('exe.lp'), nm, { a: lit(5) });
		expect(r, grpc.status.INVALID_ARGUMENT, sub, `row 21: a name ${what}: INVALID_ARGUMENT`);
	}
	r = await create(LP('exe.lp'), `a${'1'.repeat(62)}`, { a: lit(5) });
	expect(r, 0, null, 'row 21: a name of 63 characters: OK');
	r = await listEx('');
	{
		const refused = ['1abc', 'a_b', 'Abc', `a${'1'.repeat(63)}`];
		ok(r.code === 0 && names(r.res).includes('ex1') && !names(r.res).some((x) => refused.includes(x)),
			'row 21: none of the refused names was stored (ListExecutions)', got(r), JSON.stringify(names(r.res)));
	}
	// A refused duplicate must not touch what the first one stored.
	r = await create(LP('exe.lp'), 'dup1', { a: lit(5) });
	expect(r, 0, null, 'row 21: create dup1 with a=5');
	r = await create(LP('exe.lp'), 'dup1', { a: lit(6) });
	expect(r, grpc.status.ALREADY_EXISTS, 'dup1', 'row 21: dup1 again with a=6: ALREADY_EXISTS');
	r = await getData('dup1');
	ok(r.code === 0 && litInt(r.res?.full_inputs, 'a') === '5',
		'row 21: the refused duplicate left dup1\'s stored inputs as they were (a=5, not 6)', got(r), JSON.stringify(r.res?.full_inputs));
	r = await call(admin, 'RelaunchExecution', { id: exid('dup1'), name: 'dup1-r' });
	r = r.code === 0 ? await getData('dup1-r') : r;
	ok(r.code === 0 && litInt(r.res?.full_inputs, 'a') === '5',
		'row 21: and its user inputs too (a relaunch of dup1 runs with a=5)', got(r), JSON.stringify(r.res?.full_inputs));

	// Row 22: inputs.
	const badInputs = [
		[LP('exe.lp'), {}, 'missing', 'no value for the required input a'],
		[LP('exe.lp'), { a: lit(1), zz: lit(1) }, 'invalid input zz', 'an input zz the launch plan does not declare'],
		[LP('exe.lp'), { a: slit('x') }, 'wrong type', 'a string for the integer a'],
		[LP('exe.fixed'), { a: lit(2) }, 'fixed_inputs a cannot be overridden', 'a value for the fixed input a'],
	];
	for (const [lp, inputs, sub, what] of badInputs) {
		r = await create(lp, 'ex-bad', inputs);
		expect(r, grpc.status.INVALID_ARGUMENT, sub, `row 22: ${what}: INVALID_ARGUMENT "${sub}"`);
	}
	r = await getEx('ex-bad');
	expect(r, grpc.status.NOT_FOUND, null, 'row 22: none of them stored ex-bad');
	r = await create(LP('exe.nope'), 'ex-nolp', { a: lit(1) });
	expect(r, grpc.status.NOT_FOUND, null, 'row 22: an unknown launch plan: NOT_FOUND');
	r = await create(xid('WORKFLOW', 'exe.wf'), 'ex-wf', { a: lit(1) });
	expect(r, grpc.status.INVALID_ARGUMENT, 'Invalid reference entity resource type', 'a WORKFLOW id as spec.launch_plan: INVALID_ARGUMENT');
	r = await getData('ex1');
	let d = r.res;
	ok(r.code === 0 && litKeys(d?.full_inputs) === 'a,b' && litInt(d.full_inputs, 'a') === '5' && litInt(d.full_inputs, 'b') === '3',
		'row 22: GetExecutionData ex1: full_inputs a=5 and the omitted optional b=3 (its default)', got(r), JSON.stringify(d?.full_inputs));
	// Small inputs stay in the row until the launch writes them to the
	// blob store, and this keeld runs no launch workers.
	ok(d?.inputs == null, 'row 22: small inputs are kept in the row until the launch (no inputs URL yet)', JSON.stringify(d?.inputs));
	r = await create(LP('exe.fixed'), 'ex-fixed');
	expect(r, 0, null, 'row 22: exe.fixed with no inputs at all: OK');
	r = await getData('ex-fixed');
	ok(r.code === 0 && litInt(r.res?.full_inputs, 'a') === '1' && litInt(r.res?.full_inputs, 'b') === '3',
		'row 22: its full_inputs: the fixed a=1 and the default b=3', got(r), JSON.stringify(r.res?.full_inputs));
	r = await getEx('ex-fixed');
	ok(r.code === 0 && r.res.spec.max_parallelism === 25 && r.res.spec.security_context?.run_as?.execution_identity === 'anonymous',
		'row 25: with neither request nor launch plan setting it, max_parallelism is the configured 25; run_as.execution_identity the caller',
		got(r), `max_parallelism ${r.res?.spec?.max_parallelism}, security_context ${JSON.stringify(r.res?.spec?.security_context)}`);

	// Rows 25, 26: request settings, labels as execution tags.
	r = await create(LP('exe.lp'), 'lab-req', { a: lit(1) }, { max_parallelism: 3, labels: { values: { team: 'req' } } });
	expect(r, 0, null, 'row 26: CreateExecution lab-req with labels team=req, max_parallelism 3');
	r = await getEx('lab-req');
	ok(r.code === 0 && r.res.spec.max_parallelism === 3, 'row 25: max_parallelism from the request (3) beats the launch plan\'s 7',
		got(r), `max_parallelism ${r.res?.spec?.max_parallelism}`);
	ok(JSON.stringify(r.res?.spec?.labels?.values) === JSON.stringify({ team: 'req', owner: 'keel' }),
		'row 26: the request\'s labels replace the launch plan\'s; the project\'s added for keys they lack', JSON.stringify(r.res?.spec?.labels));
	r = await listEx('eq(execution_tag.key,team)+eq(execution_tag.value,req)');
	is(names(r.res), ['lab-req'], r, 'row 26: ListExecutions filters eq(execution_tag.key,team)+eq(execution_tag.value,req): lab-req');
	r = await listEx('eq(execution_tag.key,tier)');
	ok(r.code === 0 && names(r.res).includes('ex1') && !names(r.res).includes('lab-req'),
		'row 26: eq(execution_tag.key,tier): the launch plan\'s labels are tags of ex1, not of lab-req', got(r), JSON.stringify(names(r.res)));
	r = await listEx('eq(execution_tag.key,owner)');
	ok(r.code === 0 && ['ex1', 'lab-req', 'ex-fixed'].every((x) => names(r.res).includes(x)),
		'row 26: eq(execution_tag.key,owner): the project\'s label is a tag of every execution', got(r), JSON.stringify(names(r.res)));

	// Row 24: a single task.
	r = await create(xid('TASK', 'exe.add'), 'st1', { a: lit(1), b: lit(2) });
	expect(r, 0, null, 'row 24: CreateExecution of the TASK exe.add as st1: OK');
	r = await getEx('st1');
	ok(r.code === 0 && r.res.spec.launch_plan?.name === '.flytegen.exe.add' && r.res.spec.launch_plan.resource_type === 'LAUNCH_PLAN'
		&& r.res.closure.workflow_id?.name === '.flytegen.exe.add',
	'row 24: st1 runs the launch plan and workflow .flytegen.exe.add', got(r), JSON.stringify(r.res?.spec?.launch_plan), JSON.stringify(r.res?.closure?.workflow_id));
	r = await call(admin, 'GetWorkflow', { id: xid('WORKFLOW', '.flytegen.exe.add') });
	{
		const nodes = r.res?.closure?.compiled_workflow?.primary?.template?.nodes ?? [];
		const tn = nodes.find((x) => x.task_node?.reference_id?.name === 'exe.add');
		ok(r.code === 0 && tn && tn.metadata?.retries?.retries === 3, 'row 24: workflow .flytegen.exe.add v1 exists: one node running exe.add, 3 retries',
			got(r), `nodes: ${JSON.stringify(nodes.map((x) => [x.id, x.metadata?.retries]))}`);
	}
	r = await call(admin, 'GetLaunchPlan', { id: xid('LAUNCH_PLAN', '.flytegen.exe.add') });
	expect(r, 0, null, 'row 24: launch plan .flytegen.exe.add v1 exists');
	for (const rt of ['LAUNCH_PLAN', 'WORKFLOW']) {
		r = await call(admin, 'GetNamedEntity', { resource_type: rt, id: { ...XD, name: '.flytegen.exe.add' } });
		ok(r.code === 0 && r.res?.metadata?.state === 'SYSTEM_GENERATED', `row 24: GetNamedEntity ${rt} .flytegen.exe.add: state SYSTEM_GENERATED`,
			got(r), JSON.stringify(r.res?.metadata));
	}
	r = await create(xid('TASK', 'exe.add'), 'st2', { a: lit(1), b: lit(2) });
	expect(r, 0, null, 'row 24: a second run of the task reuses them: OK');
	r = await listEx('eq(launch_entity,task)+eq(task.name,exe.add)');
	is(names(r.res), ['st1', 'st2'], r, 'row 24: ListExecutions eq(launch_entity,task)+eq(task.name,exe.add): st1, st2');
	r = await create(xid('TASK', 'exe.nope'), 'st3', {});
	expect(r, grpc.status.NOT_FOUND, null, 'row 24: an unknown task: NOT_FOUND');

	// Row 27: concurrency.
	r = await create(LP('exe.one'), 'conc-1', { a: lit(1) });
	expect(r, 0, null, 'row 27: first execution of exe.one (max 1, SKIP): OK');
	r = await create(LP('exe.one'), 'conc-2', { a: lit(1) });
	expect(r, grpc.status.ALREADY_EXISTS, 'concurrency limit (1)', 'row 27: a second one while conc-1 is active: ALREADY_EXISTS "concurrency limit (1)"');
	r = await terminate('conc-1', 'make room');
	expect(r, 0, null, 'row 27: terminate conc-1 (now ABORTING)');
	r = await create(LP('exe.one'), 'conc-2', { a: lit(1) });
	expect(r, grpc.status.ALREADY_EXISTS, 'concurrency limit (1)', 'row 27: ABORTING still counts as active: ALREADY_EXISTS');
	r = await wfev('conc-1', 'ABORTED', 5);
	expect(r, 0, null, 'row 27: the data plane reports conc-1 ABORTED');
	r = await create(LP('exe.one'), 'conc-2', { a: lit(1) });
	expect(r, 0, null, 'row 27: then exe.one runs again: OK');

	// Row 28: relaunch.
	r = await call(admin, 'RelaunchExecution', { id: exid('ex1'), name: 'ex1-r', overwrite_cache: true });
	ok(r.code === 0 && r.res?.id?.name === 'ex1-r', 'row 28: RelaunchExecution ex1 as ex1-r: OK', got(r), JSON.stringify(r.res));
	r = await getEx('ex1-r');
	e = r.res;
	ok(r.code === 0 && e.spec.metadata.mode === 'RELAUNCH' && e.spec.metadata.reference_execution?.name === 'ex1' && e.spec.overwrite_cache === true,
		'row 28: ex1-r: mode RELAUNCH, reference_execution ex1, overwrite_cache from the request', got(r), JSON.stringify(e?.spec?.metadata), `overwrite_cache ${e?.spec?.overwrite_cache}`);
	r = await getData('ex1-r');
	ok(r.code === 0 && litInt(r.res?.full_inputs, 'a') === '5' && litInt(r.res?.full_inputs, 'b') === '3',
		'row 28: with the original\'s inputs (a=5, b=3)', got(r), JSON.stringify(r.res?.full_inputs));
	r = await call(admin, 'RelaunchExecution', { id: exid('nope'), name: 'nope-r' });
	expect(r, grpc.status.NOT_FOUND, null, 'row 28: relaunching an unknown execution: NOT_FOUND');

	// Row 29: recover.
	r = await call(admin, 'RecoverExecution', { id: exid('ex1') });
	const rec = r.res?.id?.name ?? '';
	ok(r.code === 0 && /^a[bcdfghjklmnpqrstvwxz2456789]{19}$/.test(rec), 'row 29: RecoverExecution ex1 with a generated name: OK', got(r), JSON.stringify(r.res));
	r = await getEx(rec);
	ok(r.code === 0 && r.res.spec.metadata.mode === 'RECOVERED' && r.res.spec.metadata.reference_execution?.name === 'ex1',
		'row 29: mode RECOVERED, reference_execution ex1', got(r), JSON.stringify(r.res?.spec?.metadata));
	r = await call(admin, 'RecoverExecution', { id: exid('nope') });
	expect(r, grpc.status.NOT_FOUND, null, 'row 29: recovering an unknown execution: NOT_FOUND');

	// Row 31: archive.
	r = await call(admin, 'UpdateExecution', { id: exid('ex1-r'), state: 'EXECUTION_ARCHIVED' });
	expect(r, 0, null, 'row 31: UpdateExecution ex1-r state EXECUTION_ARCHIVED: OK');
	r = await listEx('eq(execution_name,ex1-r)');
	is(names(r.res), [], r, 'row 31: an archived execution is hidden from ListExecutions');
	r = await listEx('eq(state,1)');
	is(names(r.res), ['ex1-r'], r, 'row 31: and listed with filters eq(state,1)');
	r = await getEx('ex1-r');
	ok(r.code === 0 && r.res.closure.state_change_details?.state === 'EXECUTION_ARCHIVED' && r.res.closure.state_change_details.principal === 'anonymous',
		'row 31: closure.state_change_details: EXECUTION_ARCHIVED by the caller', got(r), JSON.stringify(r.res?.closure?.state_change_details));
	r = await call(admin, 'UpdateExecution', { id: exid('ex1-r'), state: 7 });
	expect(r, grpc.status.INVALID_ARGUMENT, null, 'row 31: UpdateExecution with an unknown state (7): INVALID_ARGUMENT');
	r = await call(admin, 'UpdateExecution', { id: exid('nope'), state: 'EXECUTION_ARCHIVED' });
	expect(r, grpc.status.NOT_FOUND, null, 'row 31: UpdateExecution of an unknown execution: NOT_FOUND');

	// Rows 33, 37: workflow event order and timings.
	r = await create(LP('exe.lp'), 'ev1', { a: lit(1) });
	expect(r, 0, null, 'row 33: create ev1');
	r = await wfev('ev1', 'QUEUED', 1);
	expect(r, 0, null, 'row 33: ev1 QUEUED: OK');
	r = await wfev('ev1', 'QUEUED', 2);
	expect(r, 0, null, 'row 33: QUEUED twice: OK');
	r = await wfev('ev1', 'RUNNING', 10);
	expect(r, 0, null, 'row 33: RUNNING: OK');
	r = await wfev('ev1', 'RUNNING', 11);
	expect(r, grpc.status.ALREADY_EXISTS, 'already recorded', 'row 33: RUNNING twice: ALREADY_EXISTS "already recorded"');
	r = await wfev('ev1', 'QUEUED', 12);
	expect(r, grpc.status.FAILED_PRECONDITION, 'RUNNING to QUEUED', 'row 33: RUNNING -> QUEUED: FAILED_PRECONDITION');
	ok(failureReason(r) === null, 'row 33: with no EventFailureReason detail (it is neither terminal nor a cluster)', showDetails(r));
	r = await getEx('ev1');
	ok(r.code === 0 && r.res.closure.phase === 'RUNNING' && r.res.closure.started_at?.seconds === String(T0 + 10),
		'row 37: RUNNING set closure.started_at to its occurred_at', got(r), `phase ${r.res?.closure?.phase}, started_at ${JSON.stringify(r.res?.closure?.started_at)}`);
	r = await wfev('ev1', 'SUCCEEDED', 70, { output_uri: 's3://bucket/ev1/outputs.pb' });
	expect(r, 0, null, 'row 33: SUCCEEDED with an output_uri: OK');
	r = await getEx('ev1');
	e = r.res?.closure;
	ok(r.code === 0 && e.phase === 'SUCCEEDED' && e.duration?.seconds === '60',
		'row 37: duration = SUCCEEDED - RUNNING = 60 s', got(r), `phase ${e?.phase}, duration ${JSON.stringify(e?.duration)}`);
	ok(e?.output_result === 'outputs' && e.outputs?.uri === 's3://bucket/ev1/outputs.pb', 'row 36: closure.outputs.uri is the event\'s output_uri',
		JSON.stringify(e?.outputs));
	r = await wfev('ev1', 'RUNNING', 80);
	expect(r, grpc.status.FAILED_PRECONDITION, 'Invalid phase change from SUCCEEDED to RUNNING', 'row 33: SUCCEEDED -> RUNNING: FAILED_PRECONDITION');
	ok(statusDetailTypes(r).includes('type.googleapis.com/flyteidl.admin.EventFailureReason')
		&& failureReason(r)?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
	'row 33: with an EventFailureReason detail: already_in_terminal_state, current_phase SUCCEEDED', showDetails(r));
	r = await call(admin, 'CreateWorkflowEvent', { event: { execution_id: exid('nope'), phase: 'RUNNING', occurred_at: at(1) } });
	expect(r, grpc.status.NOT_FOUND, null, 'row 33: an event of an unknown execution: NOT_FOUND');
	r = await call(admin, 'CreateWorkflowEvent', { event: { execution_id: exid('ev1'), phase: 'RUNNING' } });
	expect(r, grpc.status.INVALID_ARGUMENT, 'missing occurred_at', 'row 33: an event without occurred_at: INVALID_ARGUMENT');

	// Row 30: terminate.
	r = await create(LP('exe.lp'), 'ev2', { a: lit(1) });
	expect(r, 0, null, 'row 30: create ev2');
	r = await wfev('ev2', 'RUNNING', 1);
	expect(r, 0, null, 'row 30: ev2 RUNNING');
	r = await terminate('ev2', 'stop it');
	expect(r, 0, null, 'row 30: TerminateExecution ev2 (cause "stop it"): OK');
	r = await getEx('ev2');
	e = r.res?.closure;
	ok(r.code === 0 && e.phase === 'ABORTING' && e.output_result === 'abort_metadata'
		&& e.abort_metadata?.cause === 'stop it' && e.abort_metadata.principal === 'anonymous',
	'row 30: ev2 ABORTING with abort_metadata {cause "stop it", principal anonymous}', got(r), `phase ${e?.phase}`, JSON.stringify(e?.abort_metadata));
	r = await terminate('ev2', 'again');
	expect(r, 0, null, 'row 30: terminating an ABORTING execution again: OK (not terminal)');
	// Row 35: events while ABORTING.
	for (const ph of ['RUNNING', 'SUCCEEDING']) {
		r = await wfev('ev2', ph, 2);
		expect(r, grpc.status.FAILED_PRECONDITION, 'from aborting', `row 35: ABORTING -> ${ph}: FAILED_PRECONDITION "from aborting"`);
	}
	r = await wfev('ev2', 'ABORTED', 3);
	expect(r, 0, null, 'row 35: ABORTING -> ABORTED: OK');
	r = await getEx('ev2');
	ok(r.code === 0 && r.res.closure.phase === 'ABORTED', 'row 35: ev2 is ABORTED', got(r), `phase ${r.res?.closure?.phase}`);
	r = await terminate('ev2', 'once more');
	expect(r, grpc.status.FAILED_PRECONDITION, 'already terminated', 'row 30: terminating an ABORTED execution: FAILED_PRECONDITION "already terminated"');
	ok(failureReason(r)?.already_in_terminal_state?.current_phase === 'ABORTED',
		'row 30: with an EventFailureReason detail: already_in_terminal_state ABORTED', showDetails(r));
	r = await terminate('ev1', 'too late');
	expect(r, grpc.status.FAILED_PRECONDITION, 'already terminated', 'row 30: terminating the SUCCEEDED ev1: FAILED_PRECONDITION');
	ok(statusDetailTypes(r).includes('type.googleapis.com/flyteidl.admin.EventFailureReason')
		&& failureReason(r)?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
	'row 30: with an EventFailureReason detail: already_in_terminal_state SUCCEEDED', showDetails(r));
	r = await getEx('ev1');
	ok(r.code === 0 && r.res.closure.phase === 'SUCCEEDED', 'row 30: and ev1 stays SUCCEEDED', got(r));
	r = await terminate('nope', 'x');
	expect(r, grpc.status.NOT_FOUND, null, 'row 30: terminating an unknown execution: NOT_FOUND');

	// Row 34: clusters ([executions] cluster = c-a).
	r = await create(LP('exe.lp'), 'ev3', { a: lit(1) });
	expect(r, 0, null, 'row 34: create ev3 (cluster c-a)');
	r = await wfev('ev3', 'RUNNING', 1, { producer_id: 'c-b' });
	expect(r, grpc.status.FAILED_PRECONDITION, 'c-b', 'row 34: RUNNING from producer c-b: FAILED_PRECONDITION naming c-b');
	ok(statusDetailTypes(r).includes('type.googleapis.com/flyteidl.admin.EventFailureReason')
		&& failureReason(r)?.incompatible_cluster?.cluster === 'c-b',
	'row 34: with an EventFailureReason detail: incompatible_cluster c-b', showDetails(r));
	r = await wfev('ev3', 'RUNNING', 1, { producer_id: 'propeller' });
	expect(r, 0, null, 'row 34: RUNNING from producer "propeller" (the legacy default): not checked, OK');
	r = await wfev('ev3', 'SUCCEEDING', 2, { producer_id: 'c-a' });
	expect(r, 0, null, 'row 34: SUCCEEDING from c-a itself: OK');
	r = await create(LP('exe.lp'), 'ev4', { a: lit(1) });
	r = await wfev('ev4', 'QUEUED', 1, { producer_id: 'c-b' });
	expect(r, 0, null, 'row 34: QUEUED from c-b: OK, it re-assigns');
	r = await getEx('ev4');
	ok(r.code === 0 && r.res.spec.metadata.system_metadata?.execution_cluster === 'c-b', 'row 34: ev4 now records execution_cluster c-b',
		got(r), JSON.stringify(r.res?.spec?.metadata?.system_metadata));
	r = await wfev('ev4', 'RUNNING', 2, { producer_id: 'c-a' });
	expect(r, grpc.status.FAILED_PRECONDITION, 'c-a', 'row 34: then RUNNING from c-a is refused');
	r = await wfev('ev4', 'RUNNING', 2, { producer_id: 'c-b' });
	expect(r, 0, null, 'row 34: and RUNNING from c-b accepted');

	// Rows 32, 36: output data, sizes.
	r = await create(LP('exe.lp'), 'ev5', { a: lit(1) });
	r = await wfev('ev5', 'RUNNING', 1);
	r = await wfev('ev5', 'SUCCEEDED', 4, { output_data: { literals: { o: lit(42) } } });
	expect(r, 0, null, 'row 36: ev5 SUCCEEDED with inline output_data o=42: OK');
	r = await getEx('ev5');
	e = r.res?.closure;
	ok(r.code === 0 && e.output_result === 'outputs' && /metadata\/exe\/development\/ev5\/[a-z0-9]{12}\/offloaded_outputs$/.test(e.outputs?.uri ?? ''),
		'row 36: the output_data was offloaded: closure.outputs.uri .../metadata/exe/development/ev5/<nonce>/offloaded_outputs', got(r), JSON.stringify(e?.outputs));
	r = await getData('ev5');
	ok(r.code === 0 && litInt(r.res?.full_outputs, 'o') === '42' && r.res.outputs?.url === e?.outputs?.uri,
		'row 32: GetExecutionData ev5: full_outputs o=42 (under 2 MiB), outputs.url the blob', got(r), JSON.stringify(r.res?.full_outputs), JSON.stringify(r.res?.outputs));
	const big = 'x'.repeat(2.5 * 1024 * 1024);
	r = await create(LP('exe.lp'), 'ev6', { a: lit(1) });
	r = await wfev('ev6', 'SUCCEEDED', 4, { output_data: { literals: { o: slit(big) } } });
	expect(r, grpc.status.RESOURCE_EXHAUSTED, 'Output data size exceeds', 'row 36: 2.5 MiB of output_data: RESOURCE_EXHAUSTED "Output data size exceeds"');
	r = await getEx('ev6');
	ok(r.code === 0 && r.res.closure.phase === 'UNDEFINED', 'row 36: and ev6 did not move', got(r), `phase ${r.res?.closure?.phase}`);
	r = await wfev('ev6', 'FAILED', 5, { error: { code: 'E1', message: 'boom', kind: 'USER' } });
	expect(r, 0, null, 'row 36: ev6 FAILED with an error: OK');
	r = await getEx('ev6');
	ok(r.code === 0 && r.res.closure.output_result === 'error' && r.res.closure.error?.message === 'boom' && r.res.closure.error.kind === 'USER',
		'row 36: closure.error as sent', got(r), JSON.stringify(r.res?.closure?.error));
	r = await listEx('eq(phase,FAILED)+eq(error_code,E1)');
	is(names(r.res), ['ev6'], r, 'row 36: ListExecutions eq(phase,FAILED)+eq(error_code,E1): ev6');
	// Inputs over 2 MiB: a blob with no full_inputs.
	r = await create(xid('TASK', 'exe.echo'), 'big1', { s: slit(big) });
	expect(r, 0, null, 'row 32: CreateExecution of exe.echo with a 2.5 MiB string input: OK');
	r = await getData('big1');
	d = r.res;
	ok(r.code === 0 && Number(d?.inputs?.bytes) > 2 * 1024 * 1024 && litKeys(d.full_inputs) === '',
		'row 32: GetExecutionData big1: inputs a blob of > 2 MiB, full_inputs empty', got(r), `inputs ${JSON.stringify(d?.inputs)}`, `full_inputs keys: ${litKeys(d?.full_inputs)}`);
	const bigUri = d?.inputs?.url ?? '';
	r = await wfev('big1', 'SUCCEEDED', 3, { output_uri: bigUri });
	expect(r, 0, null, 'row 32: big1 SUCCEEDED with an output_uri to an object over 2 MiB');
	r = await getData('big1');
	d = r.res;
	ok(r.code === 0 && d?.outputs?.url === bigUri && Number(d.outputs.bytes) > 2 * 1024 * 1024 && litKeys(d.full_outputs) === '',
		'row 32: GetExecutionData big1: outputs the URL only, full_outputs empty', got(r), `outputs ${JSON.stringify(d?.outputs)}`, `full_outputs keys: ${litKeys(d?.full_outputs)}`);

	await nodeEvents();
}

async function nodeEvents() {
	const create = (name) => call(admin, 'CreateExecution', { ...XD, name, spec: { launch_plan: xid('LAUNCH_PLAN', 'exe.lp') }, inputs: { literals: { a: lit(1) } } });
	const nev = (ex, node, phase, sec, extra = {}) => call(admin, 'CreateNodeEvent',
		{ event: { id: nodeId(ex, node), phase, occurred_at: at(sec), ...extra } });
	const tev = (ex, node, retry, phase, version, sec, extra = {}) => call(admin, 'CreateTaskEvent',
		{ event: { task_id: xid('TASK', 'exe.add'), parent_node_execution_id: nodeId(ex, node), retry_attempt: retry,
			phase, phase_version: version, occurred_at: at(sec), ...extra } });
	const listNodes = (ex, extra = {}) => call(admin, 'ListNodeExecutions', { workflow_execution_id: exid(ex), limit: 10, ...extra });
	const nodeIds = (res) => (res?.node_executions ?? []).map((x) => x.id.node_id).sort();
	const getTask = (retry) => call(admin, 'GetTaskExecution', { id: taskExId('nd1', 'n0-0-c1', retry) });
	const logUris = (res) => (res?.closure?.logs ?? []).map((l) => l.uri);

	let r = await create('nd1');
	expect(r, 0, null, 'rows 38-45: create nd1');
	// Row 38: creation.
	r = await nev('nd1', 'n0', 'RUNNING', 1, { input_uri: 's3://bucket/n0/inputs.pb' });
	expect(r, 0, null, 'row 38: the first event of n0 (RUNNING) creates it');
	r = await nev('nd1', 'end-node', 'SUCCEEDED', 1);
	expect(r, 0, null, 'row 38: a first event may be terminal (end-node SUCCEEDED)');
	r = await nev('nd1', 'n0-0-c1', 'RUNNING', 2, { parent_node_metadata: { node_id: 'nope' } });
	expect(r, grpc.status.NOT_FOUND, 'parent node', 'row 38: parent_node_metadata naming a node that does not exist: NOT_FOUND');
	r = await nev('nd1', 'n0-0-c1', 'RUNNING', 2, { parent_node_metadata: { node_id: 'n0' } });
	expect(r, 0, null, 'row 38: n0-0-c1, a child of n0: OK');
	r = await nev('nope', 'n0', 'RUNNING', 2);
	expect(r, grpc.status.NOT_FOUND, null, 'row 38: a node event of an unknown execution: NOT_FOUND');
	r = await call(admin, 'CreateNodeEvent', { event: { id: nodeId('nd1', 'n9'), phase: 'RUNNING' } });
	expect(r, grpc.status.INVALID_ARGUMENT, 'missing occurred_at', 'row 38: a node event without occurred_at: INVALID_ARGUMENT (Keel returns it; Flyte Admin only logs it)');
	r = await nev('nd1', 'n9', 'RUNNING', 2, { producer_id: 'c-b' });
	expect(r, grpc.status.FAILED_PRECONDITION, 'c-b', 'row 34: a node event from producer c-b: FAILED_PRECONDITION');
	ok(failureReason(r)?.incompatible_cluster?.cluster === 'c-b', 'row 34: with an EventFailureReason detail: incompatible_cluster c-b', showDetails(r));
	// Row 39: order.
	r = await nev('nd1', 'n0', 'RUNNING', 3);
	expect(r, grpc.status.ALREADY_EXISTS, null, 'row 39: n0 RUNNING twice: ALREADY_EXISTS');
	r = await nev('nd1', 'n0', 'SUCCEEDED', 9, { output_uri: 's3://bucket/n0/outputs.pb',
		task_node_metadata: { cache_status: 'CACHE_POPULATED', catalog_key: { dataset_id: xid('DATASET', 'ds') } } });
	expect(r, 0, null, 'rows 39, 42: n0 SUCCEEDED with an output_uri and a catalog key (CACHE_POPULATED)');
	r = await nev('nd1', 'n0', 'RUNNING', 10);
	expect(r, grpc.status.FAILED_PRECONDITION, 'SUCCEEDED', 'row 39: n0 RUNNING after SUCCEEDED: FAILED_PRECONDITION');
	ok(failureReason(r)?.already_in_terminal_state?.current_phase === 'SUCCEEDED',
		'row 39: with an EventFailureReason detail: already_in_terminal_state, the stored SUCCEEDED (Keel; Flyte Admin sends the incoming phase)', showDetails(r));
	r = await call(admin, 'GetNodeExecution', { id: nodeId('nd1', 'n0') });
	let c = r.res?.closure;
	ok(r.code === 0 && c.phase === 'SUCCEEDED' && c.started_at?.seconds === String(T0 + 1) && c.duration?.seconds === '8'
		&& r.res.input_uri === 's3://bucket/n0/inputs.pb',
	'row 38: GetNodeExecution n0: SUCCEEDED, started_at from RUNNING, duration 8 s, input_uri as sent', got(r),
	`phase ${c?.phase} started_at ${JSON.stringify(c?.started_at)} duration ${JSON.stringify(c?.duration)} input_uri ${r.res?.input_uri}`);
	ok(c?.target_metadata === 'task_node_metadata' && c.task_node_metadata?.cache_status === 'CACHE_POPULATED'
		&& c.task_node_metadata.catalog_key?.dataset_id?.name === 'ds',
	'row 42: closure.task_node_metadata: cache_status CACHE_POPULATED and the catalog key', JSON.stringify(c?.task_node_metadata));
	r = await listNodes('nd1', { filters: 'eq(cache_status,CACHE_POPULATED)' });
	is(nodeIds(r.res), ['n0'], r, 'row 42: ListNodeExecutions eq(cache_status,CACHE_POPULATED): n0');
	// Row 40: hierarchy.
	r = await listNodes('nd1');
	is(nodeIds(r.res), ['end-node', 'n0'], r, 'row 40: ListNodeExecutions without unique_parent_id: the top level only (end-node, n0)');
	r = await listNodes('nd1', { unique_parent_id: 'n0' });
	is(nodeIds(r.res), ['n0-0-c1'], r, 'row 40: with unique_parent_id n0: its child n0-0-c1');
	// Row 41: dynamic workflows.
	r = await call(admin, 'GetDynamicNodeWorkflow', { id: nodeId('nd1', 'n0') });
	expect(r, grpc.status.NOT_FOUND, null, 'row 41: GetDynamicNodeWorkflow of a plain node: NOT_FOUND');
	const dynId = xid('WORKFLOW', 'exe.dyn');
	const dyn = { id: dynId, compiled_workflow: { primary: { template: { id: dynId, nodes: [] } } } };
	r = await nev('nd1', 'dyn', 'RUNNING', 3, { task_node_metadata: { dynamic_workflow: { ...dyn, id: xid('TASK', 'exe.dyn') } } });
	expect(r, grpc.status.INVALID_ARGUMENT, 'WORKFLOW id', 'row 41: dynamic workflow metadata with a TASK id: INVALID_ARGUMENT');
	r = await nev('nd1', 'dyn', 'RUNNING', 3, { is_dynamic: true, task_node_metadata: { dynamic_workflow: dyn } });
	expect(r, 0, null, 'row 41: node dyn RUNNING with a dynamic workflow exe.dyn: OK');
	r = await call(admin, 'GetDynamicNodeWorkflow', { id: nodeId('nd1', 'dyn') });
	ok(r.code === 0 && r.res?.compiled_workflow?.primary?.template?.id?.name === 'exe.dyn',
		'row 41: GetDynamicNodeWorkflow dyn: the compiled closure sent (exe.dyn)', got(r), JSON.stringify(r.res));
	r = await call(admin, 'GetNodeExecutionData', { id: nodeId('nd1', 'dyn') });
	ok(r.code === 0 && r.res?.dynamic_workflow?.id?.name === 'exe.dyn' && r.res.dynamic_workflow.compiled_workflow?.primary?.template?.id?.name === 'exe.dyn',
		'row 41: GetNodeExecutionData dyn carries dynamic_workflow (id and closure)', got(r), JSON.stringify(r.res?.dynamic_workflow));
	r = await call(admin, 'GetNodeExecution', { id: nodeId('nd1', 'dyn') });
	ok(r.code === 0 && r.res.metadata?.is_dynamic === true, 'row 41: GetNodeExecution dyn: metadata.is_dynamic', got(r), JSON.stringify(r.res?.metadata));
	r = await call(admin, 'GetNodeExecution', { id: nodeId('nd1', 'nope') });
	expect(r, grpc.status.NOT_FOUND, null, 'GetNodeExecution of an unknown node: NOT_FOUND');

	// Rows 43-45: task events.
	r = await tev('nd1', 'nope', 0, 'RUNNING', 0, 3);
	expect(r, grpc.status.NOT_FOUND, null, 'row 43: a task event of an unknown node execution: NOT_FOUND');
	r = await tev('nd1', 'n0-0-c1', 0, 'QUEUED', 0, 3, { logs: [{ uri: 'l1', name: 'a' }, { uri: 'l2', name: 'b', ShowWhilePending: true }] });
	expect(r, 0, null, 'row 43: attempt 0 QUEUED (version 0) with logs l1 and l2 (ShowWhilePending): OK');
	r = await tev('nd1', 'n0-0-c1', 0, 'QUEUED', 0, 3);
	expect(r, grpc.status.ALREADY_EXISTS, null, 'row 43: the same phase and phase_version: ALREADY_EXISTS');
	r = await getTask(0);
	ok(r.code === 0 && JSON.stringify(logUris(r.res)) === '["l2"]', 'row 44: QUEUED shows only the ShowWhilePending log (l2)', got(r), JSON.stringify(r.res?.closure?.logs));
	r = await tev('nd1', 'n0-0-c1', 0, 'QUEUED', 1, 4, { reason: 'pulling' });
	expect(r, 0, null, 'row 43: the same phase, phase_version 1: OK (an update)');
	r = await tev('nd1', 'n0-0-c1', 0, 'RUNNING', 0, 5, { logs: [{ uri: 'l1', name: 'a', HideOnceFinished: true }, { uri: 'l2', name: 'b' }] });
	expect(r, 0, null, 'row 43: RUNNING with l1 (HideOnceFinished) and l2: OK');
	r = await getTask(0);
	ok(r.code === 0 && JSON.stringify(logUris(r.res).sort()) === '["l1","l2"]' && r.res.closure.started_at?.seconds === String(T0 + 5),
		'row 44: RUNNING shows l1 and l2; started_at from RUNNING', got(r), JSON.stringify(r.res?.closure?.logs), JSON.stringify(r.res?.closure?.started_at));
	r = await tev('nd1', 'n0-0-c1', 0, 'FAILED', 0, 7, { error: { code: 'OOM', message: 'killed' } });
	expect(r, 0, null, 'row 45: attempt 0 FAILED');
	r = await getTask(0);
	ok(r.code === 0 && JSON.stringify(logUris(r.res)) === '["l2"]', 'row 44: FAILED drops the HideOnceFinished log l1', got(r), JSON.stringify(r.res?.closure?.logs));
	ok(r.res?.closure?.duration?.seconds === '2' && r.res.closure.reason === 'pulling' && r.res.closure.error?.code === 'OOM',
		'row 43: duration 2 s from RUNNING, the reason kept, the error recorded', JSON.stringify(r.res?.closure));
	r = await tev('nd1', 'n0-0-c1', 0, 'RUNNING', 1, 8);
	expect(r, grpc.status.FAILED_PRECONDITION, 'FAILED', 'row 43: attempt 0 RUNNING after FAILED: FAILED_PRECONDITION');
	ok(failureReason(r)?.already_in_terminal_state?.current_phase === 'FAILED',
		'row 43: with an EventFailureReason detail: already_in_terminal_state FAILED', showDetails(r));
	r = await tev('nd1', 'n0-0-c1', 1, 'RUNNING', 0, 9, { logs: [{ uri: 'l3', name: 'c', HideOnceFinished: true }, { uri: 'l4', name: 'd' }] });
	expect(r, 0, null, 'row 45: retry attempt 1 RUNNING: OK');
	r = await tev('nd1', 'n0-0-c1', 1, 'SUCCEEDED', 0, 12, { output_data: { literals: { o0: lit(7) } } });
	expect(r, 0, null, 'row 45: attempt 1 SUCCEEDED with output_data o0=7');
	r = await getTask(1);
	ok(r.code === 0 && r.res.closure.phase === 'SUCCEEDED' && JSON.stringify(logUris(r.res)) === '["l4"]',
		'row 44: SUCCEEDED drops the HideOnceFinished log l3', got(r), JSON.stringify(r.res?.closure?.logs));
	r = await tev('nd1', 'n0-0-c1', 1, 'RUNNING', 1, 13);
	expect(r, grpc.status.FAILED_PRECONDITION, 'SUCCEEDED', 'row 43: attempt 1 RUNNING after SUCCEEDED: FAILED_PRECONDITION');
	r = await call(admin, 'ListTaskExecutions', { node_execution_id: nodeId('nd1', 'n0-0-c1'), limit: 10 });
	{
		const tl = (r.res?.task_executions ?? []).map((t) => `${t.id.retry_attempt}:${t.closure.phase}`).sort();
		is(tl, ['0:FAILED', '1:SUCCEEDED'], r, 'row 45: ListTaskExecutions n0-0-c1: attempt 0 FAILED, attempt 1 SUCCEEDED');
	}
	r = await call(admin, 'GetTaskExecutionData', { id: taskExId('nd1', 'n0-0-c1', 1) });
	ok(r.code === 0 && litInt(r.res?.full_outputs, 'o0') === '7', 'GetTaskExecutionData attempt 1: full_outputs o0=7', got(r), JSON.stringify(r.res?.full_outputs));
	r = await getTask(2);
	expect(r, grpc.status.NOT_FOUND, null, 'GetTaskExecution of an attempt never reported: NOT_FOUND');
	// A node launched by a task execution (a dynamic task's child).
	r = await nev('nd1', 'n0-0-c1-0-d0', 'RUNNING', 10, { parent_task_metadata: { id: taskExId('nd1', 'n0-0-c1', 1) } });
	expect(r, 0, null, 'node n0-0-c1-0-d0 with parent_task_metadata (attempt 1 of n0-0-c1): OK');
	r = await call(admin, 'ListNodeExecutionsForTask', { task_execution_id: taskExId('nd1', 'n0-0-c1', 1), limit: 10 });
	is(nodeIds(r.res), ['n0-0-c1-0-d0'], r, 'ListNodeExecutionsForTask attempt 1: n0-0-c1-0-d0');
	r = await listNodes('nd1');
	is(nodeIds(r.res), ['dyn', 'end-node', 'n0'], r, 'row 40: and it is not a top-level node (dyn, end-node, n0)');
	r = await call(admin, 'GetExecutionMetrics', { id: exid('nd1'), depth: 5 });
	ok(r.code === 0 && r.res?.span?.id === 'workflow_id' && r.res.span.workflow_id?.name === 'nd1'
		&& (r.res.span.spans ?? []).some((s) => s.node_id?.node_id === 'n0'),
	'GetExecutionMetrics nd1: a workflow span with a span for node n0', got(r), short(JSON.stringify(r.res), 600));
}

main().catch((e) => {
	ok(false, 'conformance.mjs ran to the end', e.stack ?? e);
	finish();
});
