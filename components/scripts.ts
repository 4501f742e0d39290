import * as fs from "fs";
import * as path from "path";

/** Where the shell scripts that run in pods live: one file each, POSIX sh, parameterised by environment and mounted files. */
export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/** A pod script's text, as it is in its file: what the ConfigMap carries and the tests run. */
export function readScript(name: string): string {
    const file = path.join(SCRIPTS_DIR, name);
    if (!fs.existsSync(file)) throw new Error(`no pod script ${name} in ${SCRIPTS_DIR}`);
    return fs.readFileSync(file, "utf8");
}
