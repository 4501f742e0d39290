// Whether a secret is readable in a stack's state: in any of the encodings a secret travels in, not
// only the one a Secret shows. A RandomBytes' id is its base64 while the program reads its hex, and
// a grep of the hex found nothing (0.2.0's cookie secret and proxy token). For the engine suites.

/** Shorter forms are too likely to stand in the state by chance: a 16-byte secret is 22 characters in base64url. */
const SHORTEST = 20;

/** What counts as the bytes of a secret value: its text, and what it decodes to as hex, base64 or base64url. */
function byteForms(value: string): Buffer[] {
    const forms = [Buffer.from(value, "utf8")];
    if (/^(?:[0-9a-fA-F]{2})+$/.test(value)) forms.push(Buffer.from(value, "hex"));
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.replace(/=+$/, "").length % 4 !== 1) forms.push(Buffer.from(value, "base64"));
    if (/^[A-Za-z0-9_-]+$/.test(value)) forms.push(Buffer.from(value, "base64url"));
    return forms;
}

/**
 * Every way a secret value may be written: as it is (and JSON-escaped, as the state writes strings),
 * and each of its byte forms in hex (either case), base64 (padded or not) and base64url.
 */
export function encodings(value: string): string[] {
    const out = new Set([value, JSON.stringify(value).slice(1, -1)]);
    for (const b of byteForms(value)) {
        const b64 = b.toString("base64");
        for (const e of [b.toString("hex"), b.toString("hex").toUpperCase(), b64, b64.replace(/=+$/, ""), b.toString("base64url")]) out.add(e);
    }
    return [...out].filter((e) => e.length >= SHORTEST);
}

/** The secret marker of Pulumi's state: a secret value is an object with this key. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** String leaves of a value, with their paths. */
function leaves(v: unknown, at: string, out: Array<[string, string]>): void {
    if (typeof v === "string") out.push([at, v]);
    else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${at}[${i}]`, out));
    else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) leaves(x, `${at}.${k}`, out);
}

/**
 * The secret values of a state exported with `--show-secrets`, by where they are (resource name and
 * property path): every string under a secret of a resource's inputs or outputs, but certificates,
 * which are public and stand in a Secret beside their key.
 */
export function stateSecrets(shown: string): Record<string, string> {
    const found: Array<[string, string]> = [];
    const walk = (v: unknown, at: string): void => {
        if (typeof v !== "object" || v === null) return;
        const o = v as Record<string, unknown>;
        if (SECRET_SIG in o && typeof o.plaintext === "string") return leaves(JSON.parse(o.plaintext) as unknown, at, found);
        for (const [k, x] of Object.entries(o)) walk(x, `${at}.${k}`);
    };
    const resources =
        (JSON.parse(shown) as { deployment: { resources?: Array<{ urn: string; inputs?: unknown; outputs?: unknown }> } }).deployment.resources ?? [];
    for (const r of resources) {
        const name = r.urn.split("::").pop()!;
        walk(r.inputs, `${name} inputs`);
        walk(r.outputs, `${name} outputs`);
    }
    return Object.fromEntries(found.filter(([, s]) => s.length >= SHORTEST && !/^-----BEGIN CERTIFICATE-----/.test(s.trim())));
}

/** The names of the secrets that are in `text` (a state exported without secrets, stack outputs) in some encoding. */
export function plainTextLeaks(text: string, secrets: Record<string, string>): string[] {
    return Object.entries(secrets)
        .filter(([, v]) => encodings(v).some((e) => text.includes(e)))
        .map(([k]) => k);
}
