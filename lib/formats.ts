// Formats of values the configuration checks: DNS names, paths, PEM certificates, environment
// variables, Kubernetes quantities, LDAP DNs, image references, and CronJob schedules and time zones as the
// controller reads them. Plain functions and patterns, no zod and no setting names.

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const ABS_PATH = /^\/[^\s]*$/;
export const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
/** An IPv4 CIDR such as 10.0.0.0/24, or an IPv6 one (hex groups and colons, then a prefix up to 128). */
export const CIDR = new RegExp(`^((${OCTET}\\.){3}${OCTET}/([0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]*:[0-9a-fA-F:]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$`);

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Top-level directories a volume must not hide (or, for the first ones, sit under). */
const SYSTEM_TREES = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr"];
const SYSTEM_DIRS = ["/", "/home", "/opt", "/root", "/srv", "/tmp", "/var"];
export const hidesSystemDir = (p: string) => SYSTEM_DIRS.includes(p) || SYSTEM_TREES.some((d) => p === d || p.startsWith(`${d}/`));

/** An environment variable's name, and the references a container's env value may take instead of text. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_REFERENCES = ["secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef"] as const;
export type EnvReference = { valueFrom: Partial<Record<(typeof ENV_REFERENCES)[number], Record<string, unknown>>> };
/** `{valueFrom: {secretKeyRef: {...}}}` and the like: exactly one reference, of a known kind. */
export function isEnvReference(v: unknown): v is EnvReference {
    if (!isMap(v) || Object.keys(v).join() !== "valueFrom" || !isMap(v.valueFrom)) return false;
    const refs = Object.entries(v.valueFrom);
    return refs.length === 1 && (ENV_REFERENCES as readonly string[]).includes(refs[0][0]) && isMap(refs[0][1]);
}

/** "a,b=c" style DN check: each RDN is attr=value. */
export const isDn = (dn: string) => dn.split(",").every((part) => /^[a-zA-Z][a-zA-Z0-9-]*=[^,=]+$/.test(part.trim()));

/** Bytes in a Kubernetes quantity ("4G", "512Mi"); used only to compare guarantee and limit. */
export function toBytes(q: string): number {
    const m = /^([0-9.]+)([A-Za-z]*)$/.exec(q);
    const units: Record<string, number> = { "": 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, m: 1e-3 };
    ["Ki", "Mi", "Gi", "Ti", "Pi"].forEach((u, i) => (units[u] = 2 ** (10 * (i + 1))));
    return m ? Number(m[1]) * (units[m[2]] ?? NaN) : NaN;
}

/** Host of an image reference's registry: "quay.io" for "quay.io/a/b:1", "docker.io" for "b:1". */
export function imageRegistry(image: string): string {
    const first = image.split("/")[0];
    return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") ? first : "docker.io";
}

/** Name and tag of "name:tag" (digests kept whole in the tag's place). */
export function splitImage(image: string): { name: string; tag: string } {
    const at = image.indexOf("@");
    if (at >= 0) return { name: image.slice(0, at), tag: image.slice(at + 1) };
    const colon = image.lastIndexOf(":");
    if (colon > image.lastIndexOf("/")) return { name: image.slice(0, colon), tag: image.slice(colon + 1) };
    return { name: image, tag: "" };
}

const CRON_MACROS = ["@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"];
const CRON_FIELDS: Array<{ min: number; max: number; names?: string[]; question?: boolean }> = [
    { min: 0, max: 59 },
    { min: 0, max: 23 },
    { min: 1, max: 31, question: true },
    { min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
    { min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], question: true },
];

/**
 * Whether a CronJob accepts the schedule: five fields (numbers or names in range, "*", "?" in the
 * day fields, ranges, lists, steps) or a macro, as the controller's parser (robfig/cron
 * ParseStandard) reads them; "CRON_TZ=" and "@every" are refused. Checked here so that the error
 * names the key.
 */
export function isCronSchedule(schedule: string): boolean {
    if (CRON_MACROS.includes(schedule)) return true;
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) return false;
    return fields.every((field, i) => {
        const f = CRON_FIELDS[i];
        const value = (v: string): number => {
            const named = f.names?.indexOf(v.toUpperCase()) ?? -1;
            if (named >= 0) return f.min + named;
            return /^[0-9]+$/.test(v) ? Number(v) : NaN;
        };
        return field.split(",").every((part) => {
            const m = /^([^/]+)(\/([0-9]+))?$/.exec(part);
            if (!m || (m[3] !== undefined && Number(m[3]) < 1)) return false;
            if (m[1] === "*" || (m[1] === "?" && f.question && m[3] === undefined)) return true;
            const [lo, hi, extra] = m[1].split("-").map(value);
            const inRange = (n: number) => Number.isInteger(n) && n >= f.min && n <= f.max;
            return extra === undefined && inRange(lo) && (hi === undefined || (inRange(hi) && hi >= lo));
        });
    });
}

/**
 * Whether the runtime's time zone database knows the name. Intl ignores case, the controller's Go
 * time package does not: every part of an IANA name starts with a capital ("America/Port-au-Prince").
 */
export function isTimeZone(tz: string): boolean {
    if (!/^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/.test(tz)) return false;
    try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
    } catch {
        return false;
    }
}
