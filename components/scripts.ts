import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The shell the program runs in pods: files of their own in components/scripts/, POSIX sh (some
 * images have only dash), parameterised by environment variables and mounted files, linted by
 * shellcheck (`npm run lint:sh`). A ConfigMap holds a file's text as it is, so an object changes
 * only when its file does, and the tests and the operator's runbook run the very same files.
 */
export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** Where the script `name` (e.g. "ldap-sync.sh") is; throws when there is no such file. */
export function scriptPath(name: string): string {
    const file = path.join(SCRIPTS_DIR, name);
    if (path.dirname(file) !== SCRIPTS_DIR || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
        throw new Error(`no script "${name}" in ${SCRIPTS_DIR}: the scripts that run in pods are the files of components/scripts/`);
    }
    return file;
}

/** The text of the script `name`, exactly as the file holds it. */
export function readScript(name: string): string {
    return fs.readFileSync(scriptPath(name), "utf8");
}
