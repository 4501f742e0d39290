// `npm run bench:scale` (.ci/bench-scale.sh): what a stack's number of directory users costs, with
// the real engine and chart against a private control plane (skipAwait: pods never run here).
//
// For each size (SCALE_USERS, default 4,300,1000: the dev stack as it is, with its own users,
// groups, admins, profiles and shares, then a course of students added to its allowed group; no
// size may be below the dev stack's own users) and each round (SCALE_ROUNDS, default 3, sizes interleaved
// so that a slow spell of the shared machine does not land on one size): `pulumi up` from empty,
// SCALE_PREVIEWS (default 3) no-op `pulumi preview --expect-no-changes`, then `pulumi destroy`
// (dataPolicy delete, so that the next round starts from empty). In the first round of every
// size above the smallest, a preview with one more user lists what adding a user changes.
//
// Prints one line per figure: `up-300 seconds 7.12`, `up-300 ratio 1.10` (median against the
// smallest size's), `preview-300 ratio 1.04`, `resources-300 count 75`, `add-user-300 changes 2`,
// and the goals (300 users: no-op preview at most 1.5x, up at most 2x the dev stack's own
// users, 2 when the issue was written;
// adding a user changes the directory's bootstrap data and its sync Job, nothing else). Exits 1
// when a goal is missed.
import { EngineProject, waitFor } from "../support/engine-project";

const project = new EngineProject("scale");
/** The dev stack's own directory users: the smallest stack, the one every size is compared with. */
const DEV_USERS = (project.devConfig()["jupyterhub:ldap"] as { users: unknown[] }).users.length;
const SIZES = (process.env.SCALE_USERS ?? `${DEV_USERS},300,1000`).split(",").map(Number);
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 3);
const PREVIEWS = Number(process.env.SCALE_PREVIEWS ?? 3);
const GOALS = { users: 300, preview: 1.5, up: 2 };
/** What adding one user may change: the directory's bootstrap Secret and its sync Job (sorted, as changes() lists them). */
const ADD_USER_CHANGES = ["replace Job/openldap-sync", "update Secret/openldap-bootstrap"];
const samples: Record<string, number[]> = {};
const facts: Record<string, string> = {};

interface PreviewStep {
    op: string;
    urn: string;
    newState?: { type: string; inputs?: Record<string, unknown> };
    oldState?: { type: string; inputs?: Record<string, unknown> };
}

function timed<T>(name: string, fn: () => T): T {
    const t0 = process.hrtime.bigint();
    const out = fn();
    (samples[name] ??= []).push(Number(process.hrtime.bigint() - t0) / 1e9);
    return out;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The dev stack's directory with `n` users: its own (their groups, admins, profiles and shares
 * unchanged), then students s0001... in the allowed group, as a course would add them.
 */
function scaleDirectory(dev: Record<string, unknown>, n: number): Record<string, unknown> {
    const ldap = dev["jupyterhub:ldap"] as { users: Array<{ uid: string }>; groups: Array<{ cn: string; members: string[] }>; allowedGroups: string[] };
    const students = Array.from({ length: Math.max(0, n - ldap.users.length) }, (_, i) => {
        const id = String(i + 1).padStart(4, "0");
        return { uid: `s${id}`, givenName: "Student", sn: `Number ${id}`, mail: `s${id}@students.example.org` };
    });
    const allowed = ldap.allowedGroups[0];
    return {
        ...ldap,
        users: [...ldap.users, ...students],
        groups: ldap.groups.map((g) => (g.cn === allowed ? { ...g, members: [...g.members, ...students.map((s) => s.uid)] } : g)),
    };
}

const stackOf = (n: number) => `scale-${n}`;
const nsOf = (n: number) => `jhub-scale-${n}`;

function configFor(n: number, users = n): Record<string, unknown> {
    const dev = project.devConfig();
    return { "jupyterhub:namespace": nsOf(n), "jupyterhub:dataPolicy": "delete", "jupyterhub:ldap": scaleDirectory(dev, users) };
}

/** "op Kind/name" of every step of a preview that is not `same`; Job names lose their hash. */
function changes(stack: string): string[] {
    const preview = JSON.parse(project.pulumi(["preview", "--json"], { stack })) as { steps: PreviewStep[] };
    const listed = preview.steps
        .filter((s) => s.op !== "same" && !s.urn.includes("::pulumi:pulumi:Stack::"))
        .map((s) => {
            const state = (s.newState ?? s.oldState)!;
            const md = (state.inputs?.metadata ?? {}) as { name?: unknown };
            const name = typeof md.name === "string" ? md.name.replace(/^openldap-sync-[0-9a-f]+$/, "openldap-sync") : s.urn.split("::").pop();
            // A replacement may be listed as its create and delete steps too: one change.
            const op = s.op === "create-replacement" || s.op === "delete-replaced" ? "replace" : s.op;
            return `${op} ${state.type.split(":").pop()}/${name}`;
        });
    return [...new Set(listed)].sort();
}

function measure(n: number, round: number): void {
    const stack = stackOf(n);
    timed(`up-${n}`, () => project.pulumi(["up", "--yes", "--skip-preview"], { stack }));
    for (let i = 0; i < PREVIEWS; i++) timed(`preview-${n}`, () => project.pulumi(["preview", "--expect-no-changes"], { stack }));
    if (round === 1) {
        facts[`resources-${n} count`] = String(project.resources(stack).length);
        if (n > SIZES[0]) {
            project.writeStackConfig(stack, configFor(n, n + 1));
            const changed = changes(stack);
            project.writeStackConfig(stack, configFor(n));
            facts[`add-user-${n} changes`] = `${changed.length} (${changed.join(", ")})`;
        }
    }
    timed(`destroy-${n}`, () => project.pulumi(["destroy", "--yes", "--skip-preview"], { stack }));
    waitFor(() => !project.exists("namespace", nsOf(n)), `namespace ${nsOf(n)} gone`, 300);
}

function main(): number {
    const below = SIZES.filter((n) => !Number.isInteger(n) || n < DEV_USERS);
    if (below.length > 0) {
        console.error(`scale: SCALE_USERS ${below.join(", ")}: each size must be a whole number of at least ${DEV_USERS}, the dev stack's own users`);
        return 2;
    }
    console.log(`scale: ${project.describe()}; users ${SIZES.join(", ")}; ${ROUNDS} rounds of up, ${PREVIEWS} no-op previews, destroy`);
    for (const n of SIZES) project.initStack(stackOf(n), configFor(n));
    for (let round = 1; round <= ROUNDS; round++) {
        for (const n of SIZES) measure(n, round);
        console.log(`scale: round ${round} done`);
    }

    const base = SIZES[0];
    console.log(`scale: times in seconds, median; ratios against ${base} users`);
    for (const n of SIZES) {
        for (const what of ["up", "preview", "destroy"]) {
            const xs = samples[`${what}-${n}`];
            console.log(`${what}-${n} seconds ${median(xs).toFixed(2)}  (${xs.map((x) => x.toFixed(2)).join(", ")})`);
        }
    }
    const ratio = (what: string, n: number) => median(samples[`${what}-${n}`]) / median(samples[`${what}-${base}`]);
    for (const n of SIZES.slice(1)) for (const what of ["up", "preview"]) console.log(`${what}-${n} ratio ${ratio(what, n).toFixed(2)}`);
    for (const [k, v] of Object.entries(facts)) console.log(`${k} ${v}`);

    const missed: string[] = [];
    const goal = (name: string, ok: boolean, got: string) => {
        console.log(`goal ${name}: ${ok ? "met" : "MISSED"} (${got})`);
        if (!ok) missed.push(name);
    };
    if (SIZES.includes(GOALS.users) && base === DEV_USERS) {
        const n = GOALS.users;
        goal(`preview-${n} ratio <= ${GOALS.preview}`, ratio("preview", n) <= GOALS.preview, ratio("preview", n).toFixed(2));
        goal(`up-${n} ratio <= ${GOALS.up}`, ratio("up", n) <= GOALS.up, ratio("up", n).toFixed(2));
    }
    for (const n of SIZES.slice(1)) {
        const counts = SIZES.map((m) => facts[`resources-${m} count`]);
        goal(`resources-${n} count = resources-${base} count`, facts[`resources-${n} count`] === facts[`resources-${base} count`], counts.join(" / "));
        const changed = facts[`add-user-${n} changes`];
        goal(
            `add-user-${n} changes only ${ADD_USER_CHANGES.join(" and ")}`,
            changed === `${ADD_USER_CHANGES.length} (${ADD_USER_CHANGES.join(", ")})`,
            changed,
        );
    }
    return missed.length ? 1 : 0;
}

try {
    process.exitCode = main();
} finally {
    project.remove();
}
