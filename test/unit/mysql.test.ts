import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { hubDatabaseSql, hubDbUrl, sqlIdent, sqlString } from "../../components/mysql";

describe("mysql: SQL and URL", () => {
    it("creates the database, the user and grants on that database only, idempotently", () => {
        const sql = hubDatabaseSql("jupyterhub", "hub", "pw123");
        assert.equal(
            sql,
            [
                "CREATE DATABASE IF NOT EXISTS `jupyterhub` CHARACTER SET utf8mb4;",
                "CREATE USER IF NOT EXISTS 'hub'@'%' IDENTIFIED BY 'pw123';",
                "ALTER USER 'hub'@'%' IDENTIFIED BY 'pw123';",
                "GRANT ALL PRIVILEGES ON `jupyterhub`.* TO 'hub'@'%';",
                "FLUSH PRIVILEGES;",
                "",
            ].join("\n"),
        );
        assert.doesNotMatch(sql, /ON \*\.\*/);
    });

    it("escapes quotes and backslashes in literals and backquotes in identifiers", () => {
        assert.equal(sqlString("it's\\x"), "'it\\'s\\\\x'");
        assert.equal(sqlIdent("we`ird"), "`we``ird`");
    });

    it("puts the password in the URL, percent-encoded, for pymysql", () => {
        const url = hubDbUrl({ user: "hub", password: "p@ss:w/rd", host: "mysql.ns.svc.cluster.local", port: 3306, database: "jupyterhub" });
        assert.equal(url, "mysql+pymysql://hub:p%40ss%3Aw%2Frd@mysql.ns.svc.cluster.local:3306/jupyterhub");
        const parsed = new URL(url.replace("mysql+pymysql", "mysql"));
        assert.equal(decodeURIComponent(parsed.password), "p@ss:w/rd");
        assert.equal(parsed.hostname, "mysql.ns.svc.cluster.local");
    });
});
