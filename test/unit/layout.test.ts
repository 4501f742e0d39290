// The layout's limits (issue 33), so that they stay true: no file of program code over 450 lines
// (config.ts, the one schema, excepted), no function, method or arrow over 80 lines, named exports
// only in the components' indexes, and the arrows one way: config.ts and lib/ import nothing from
// components/. Each check is a function of a file's text, shown to fail on a planted break before
// it is run over the tree.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

import * as ts from "typescript";

import { ROOT } from "../support/helpers";

/** The limits. */
const MAX_FILE_LINES = 450;
const MAX_FUNCTION_LINES = 80;
/** The one file the file limit excepts: the config schema, one object literal that is its documentation. */
const FILE_LIMIT_EXCEPTED = ["config.ts"];

/** The .ts files under a folder of the repository, recursively, relative to the repository. */
function tsFilesUnder(dir: string): string[] {
    const full = path.join(ROOT, dir);
    if (!fs.existsSync(full)) return [];
    return fs.readdirSync(full, { withFileTypes: true }).flatMap((e) => {
        const rel = path.posix.join(dir, e.name);
        if (e.isDirectory()) return tsFilesUnder(rel);
        return e.name.endsWith(".ts") ? [rel] : [];
    });
}

/** Every file of program code: index.ts, config.ts, lib/**, components/**, policy/**, scripts/*.ts. */
function programFiles(): string[] {
    const scripts = fs
        .readdirSync(path.join(ROOT, "scripts"))
        .filter((f) => f.endsWith(".ts"))
        .map((f) => `scripts/${f}`);
    return ["index.ts", "config.ts", ...tsFilesUnder("lib"), ...tsFilesUnder("components"), ...tsFilesUnder("policy"), ...scripts].sort();
}

function parse(file: string, text: string): ts.SourceFile {
    return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** Lines of a file as `wc -l` counts them (a last line without a newline counts too). */
function lineCount(text: string): number {
    if (text === "") return 0;
    return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** The file's problem when it is over the limit. */
function fileSizeProblems(file: string, text: string): string[] {
    if (FILE_LIMIT_EXCEPTED.includes(file)) return [];
    const n = lineCount(text);
    return n > MAX_FILE_LINES ? [`${file}: ${n} lines (at most ${MAX_FILE_LINES})`] : [];
}

/** A readable name for a function-like node: Class.method, Class.constructor, the variable or property an arrow is given to. */
function functionName(node: ts.FunctionLikeDeclaration): string {
    const nameOf = (n: ts.Node | undefined): string | undefined =>
        n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) ? n.text : undefined;
    const owner = ts.isClassLike(node.parent) ? `${node.parent.name?.text ?? "<class>"}.` : "";
    if (ts.isConstructorDeclaration(node)) return `${owner}constructor`;
    const own = nameOf(node.name);
    if (own) return `${owner}${own}`;
    const p = node.parent;
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return nameOf(p.name) ?? "<anonymous>";
    if (ts.isCallExpression(p)) return `<callback of ${p.expression.getText().slice(0, 40)}>`;
    return "<anonymous>";
}

/** The span of a function's body in lines (its opening to its closing line), or of an arrow's expression. */
function bodyLines(sf: ts.SourceFile, node: ts.FunctionLikeDeclaration): number {
    const body = node.body;
    if (!body) return 0;
    const start = sf.getLineAndCharacterOfPosition(body.getStart(sf)).line;
    const end = sf.getLineAndCharacterOfPosition(body.getEnd()).line;
    return end - start + 1;
}

/** A function, method, accessor, constructor, function expression or arrow: what has a body of statements (or an arrow's expression). */
function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
    return (
        ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isArrowFunction(node)
    );
}

/** Every function, method, accessor, constructor and arrow whose body is over the limit, named with its line. */
function functionSizeProblems(file: string, text: string): string[] {
    const sf = parse(file, text);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
        if (isFunctionWithBody(node)) {
            const fn = node;
            const n = bodyLines(sf, fn);
            if (n > MAX_FUNCTION_LINES) {
                const line = sf.getLineAndCharacterOfPosition(fn.getStart(sf)).line + 1;
                found.push(`${file}:${line}: ${functionName(fn)} is ${n} lines (at most ${MAX_FUNCTION_LINES})`);
            }
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
}

/** `export *` (and `export * as x`) in an index of components/: its exports are named, what the program uses. */
function exportStarProblems(file: string, text: string): string[] {
    const sf = parse(file, text);
    return sf.statements
        .filter((s): s is ts.ExportDeclaration => ts.isExportDeclaration(s) && (s.exportClause === undefined || ts.isNamespaceExport(s.exportClause)))
        .map((s) => `${file}:${sf.getLineAndCharacterOfPosition(s.getStart(sf)).line + 1}: ${s.getText(sf)} (name the exports)`);
}

/** Every module a file imports, re-exports, requires or imports dynamically. */
function moduleSpecifiers(sf: ts.SourceFile): string[] {
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            found.push(node.moduleSpecifier.text);
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
            const e = node.moduleReference.expression;
            if (ts.isStringLiteral(e)) found.push(e.text);
        } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
            const callee = node.expression;
            if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === "require")) found.push(node.arguments[0].text);
        } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
            found.push(node.argument.literal.text);
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return found;
}

/** What a file of config.ts or lib/ imports from components/: the arrows run from components to config and lib, never back. */
function arrowProblems(file: string, text: string): string[] {
    const sf = parse(file, text);
    const components = path.join(ROOT, "components");
    return moduleSpecifiers(sf)
        .filter((m) => m.startsWith("."))
        .filter((m) => {
            const target = path.resolve(ROOT, path.dirname(file), m);
            return target === components || target.startsWith(components + path.sep);
        })
        .map((m) => `${file} imports "${m}" from components/ (what both need belongs in lib/)`);
}

/** components/index.ts and each components/<folder>/index.ts. */
function componentIndexes(): string[] {
    return programFiles().filter((f) => /^components\/([^/]+\/)?index\.ts$/.test(f));
}

/** config.ts and every file of lib/. */
function configAndLib(): string[] {
    return programFiles().filter((f) => f === "config.ts" || f.startsWith("lib/"));
}

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("layout: the checks find what they are for", () => {
    it("a file over 450 lines is named, with its count; config.ts is excepted", () => {
        const long = "const a = 1;\n".repeat(451);
        assert.deepEqual(fileSizeProblems("components/big.ts", long), ["components/big.ts: 451 lines (at most 450)"]);
        assert.deepEqual(fileSizeProblems("components/big.ts", "const a = 1;\n".repeat(450)), []);
        assert.deepEqual(fileSizeProblems("config.ts", long), []);
        assert.equal(lineCount("a\nb"), 2);
        assert.equal(lineCount("a\nb\n"), 2);
    });

    it("a function, method, constructor or arrow over 80 lines is named; object literals are not functions", () => {
        const body = (n: number) => "        x++;\n".repeat(n - 2);
        const src = [
            `function long() {\n${body(81)}}`,
            `function fits() {\n${body(80)}}`,
            `class C {\n    constructor() {\n${body(81)}    }\n    private part(): void {\n${body(81)}    }\n}`,
            `const arrow = () => {\n${body(81)}};`,
            `const values = () => ({\n${"    a: 1,\n".repeat(85)}});`,
            `const schema = {\n${"    a: 1,\n".repeat(100)}};`,
            `[1].map((x) => {\n${body(81)}});`,
        ].join("\n");
        const names = functionSizeProblems("components/x.ts", src).map((p) => p.replace(/^components\/x\.ts:\d+: /, "").replace(/ is \d+ lines.*/, ""));
        assert.deepEqual(names, ["long", "C.constructor", "C.part", "arrow", "values", "<callback of [1].map>"]);
        assert.match(functionSizeProblems("components/x.ts", `function long() {\n${body(81)}}`)[0], /^components\/x\.ts:1: long is 81 lines \(at most 80\)$/);
    });

    it("export * in an index is named", () => {
        const problems = exportStarProblems("components/x/index.ts", 'export { a } from "./a";\nexport * from "./b";\nexport * as c from "./c";\n');
        assert.deepEqual(problems, [
            'components/x/index.ts:2: export * from "./b"; (name the exports)',
            'components/x/index.ts:3: export * as c from "./c"; (name the exports)',
        ]);
        assert.deepEqual(exportStarProblems("components/index.ts", 'export { a, type B } from "./a";\n'), []);
    });

    it("an import of components/ from config.ts or lib/ is named, however it is written", () => {
        const src = [
            'import { a } from "../components/common";',
            'import type { B } from "../components";',
            'export { c } from "../components/hub/values";',
            'const d = require("../components/mysql");',
            'type E = import("../components/secrets").E;',
            'import { f } from "./formats";',
            'import * as pulumi from "@pulumi/pulumi";',
        ].join("\n");
        assert.deepEqual(
            arrowProblems("lib/x.ts", src).map((p) => p.replace(/ from components.*/, "")),
            [
                'lib/x.ts imports "../components/common"',
                'lib/x.ts imports "../components"',
                'lib/x.ts imports "../components/hub/values"',
                'lib/x.ts imports "../components/mysql"',
                'lib/x.ts imports "../components/secrets"',
            ],
        );
        assert.deepEqual(arrowProblems("config.ts", 'import { a } from "./components/common";').length, 1);
        assert.deepEqual(arrowProblems("config.ts", 'import { a } from "./lib/formats";'), []);
    });
});

describe("layout: the program keeps its limits", () => {
    const files = programFiles();

    it("finds the program's files", () => {
        for (const f of ["index.ts", "config.ts", "components/index.ts", "components/backup.ts", "lib/problems.ts", "policy/index.ts", "scripts/docs.ts"])
            assert.ok(files.includes(f), `${f} in ${files.join(", ")}`);
        assert.ok(!files.some((f) => f.startsWith("test/") || f.includes("node_modules")), files.join(", "));
    });

    it(`no file over ${MAX_FILE_LINES} lines (config.ts excepted)`, () => {
        assert.deepEqual(
            files.flatMap((f) => fileSizeProblems(f, read(f))),
            [],
        );
    });

    it(`no function, method or arrow over ${MAX_FUNCTION_LINES} lines`, () => {
        assert.deepEqual(
            files.flatMap((f) => functionSizeProblems(f, read(f))),
            [],
        );
    });

    it("components/index.ts and every components/*/index.ts name their exports (no export *)", () => {
        const indexes = componentIndexes();
        assert.ok(indexes.includes("components/index.ts") && indexes.includes("components/storage/index.ts"), indexes.join(", "));
        assert.deepEqual(
            indexes.flatMap((f) => exportStarProblems(f, read(f))),
            [],
        );
    });

    it("config.ts and lib/ import nothing from components/", () => {
        const files = configAndLib();
        assert.ok(files.includes("config.ts") && files.includes("lib/formats.ts"), files.join(", "));
        assert.deepEqual(
            files.flatMap((f) => arrowProblems(f, read(f))),
            [],
        );
    });
});
