// `npm run bench:fast-tier`, and the first figure of `npm run bench` (.ci/bench.sh): what `npm test`
// (unit/ and program/, run on every commit) costs on this machine, against its goal of 12 s wall.
//
// Runs `npm test` FAST_TIER_ROUNDS times (default 5) one after the other, each timed by bash's
// `time` (wall, and the CPU of npm, node and every process they start), and prints one line per
// figure in the form of bench.ts: min, median and the samples, with the load average (1 min)
// before each round, since the machine is shared and wall time follows its load. A figure, not a
// test: it fails only when a round's tests fail, never on time.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ROOT } from "../support/helpers";

const ROUNDS = Number(process.env.FAST_TIER_ROUNDS ?? 5);
/** test/README.md and CONTRIBUTING.md: `npm test` stays at or under this many seconds of wall time here. */
const GOAL_WALL_SECONDS = 12;

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const line = (name: string, xs: number[], digits = 2) =>
    console.log(
        `${name.padEnd(22)} min ${Math.min(...xs).toFixed(digits)}  median ${median(xs).toFixed(digits)}  (${xs.map((x) => x.toFixed(digits)).join(", ")})`,
    );

function main(): number {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "jhub-bench-fast-tier-"));
    const samples = { wall: [] as number[], cpu: [] as number[], load: [] as number[] };
    let tests = 0;
    try {
        console.log(
            `bench: npm test, ${ROUNDS} rounds, ${os.availableParallelism()} CPUs, load average ${os
                .loadavg()
                .map((l) => l.toFixed(2))
                .join(" ")}`,
        );
        for (let round = 1; round <= ROUNDS; round++) {
            const [log, times] = [path.join(work, `npm-test-${round}.log`), path.join(work, `time-${round}`)];
            samples.load.push(os.loadavg()[0]);
            const r = spawnSync("bash", ["-c", 'TIMEFORMAT="%R %U %S"; { time npm test > "$1" 2>&1; } 2> "$2"', "bash", log, times], {
                cwd: ROOT,
                stdio: "inherit",
            });
            const out = fs.readFileSync(log, "utf8");
            const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, "m").exec(out)?.[1] ?? NaN);
            if (r.status !== 0 || count("fail") !== 0 || !(count("pass") > 0)) {
                console.log(out.split("\n").slice(-40).join("\n"));
                console.log(`bench: npm test failed in round ${round} (exit ${r.status}, ${count("pass")} passed, ${count("fail")} failed): no figure`);
                return 1;
            }
            tests = count("pass") + count("skipped");
            const [wall, user, sys] = fs.readFileSync(times, "utf8").trim().split(/\s+/).map(Number);
            samples.wall.push(wall);
            samples.cpu.push(user + sys);
            console.log(`bench: round ${round}: ${wall.toFixed(2)} s wall, ${(user + sys).toFixed(2)} s CPU at load ${samples.load.at(-1)!.toFixed(2)}`);
        }
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(`bench: npm test, ${tests} tests, times in seconds`);
    line("npm test wall", samples.wall);
    line("npm test cpu", samples.cpu);
    line("load average (1 min)", samples.load);
    const wall = median(samples.wall);
    console.log(
        `npm-test goal ${wall <= GOAL_WALL_SECONDS ? "met" : "missed"}: median ${wall.toFixed(2)} s wall (goal ${GOAL_WALL_SECONDS} s) at load ${median(samples.load).toFixed(2)} on ${os.availableParallelism()} CPUs`,
    );
    return 0;
}

process.exitCode = main();
