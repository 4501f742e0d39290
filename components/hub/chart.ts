// Where the chart comes from: the repository at the pinned version, or a local copy of it
// (hub.chartPath, $JUPYTERHUB_CHART_DIR), refused before anything is deployed unless it is the
// pinned z2jh chart.
import * as fs from "node:fs";
import * as path from "node:path";

import { type HubConfig } from "../../config";
import { ConfigError } from "../../lib/problems";

/** Environment variable naming a local copy of the pinned chart, for machines without the chart repository. */
export const CHART_DIR_ENV = "JUPYTERHUB_CHART_DIR";

/** Where helm.v4.Chart finds the chart: hub.chartPath, else $JUPYTERHUB_CHART_DIR, else the repository at the pinned version. */
export function chartSource(hub: HubConfig, env: Record<string, string | undefined>): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
    const local = hub.chartPath ?? env[CHART_DIR_ENV];
    if (local) return { chart: local };
    return { chart: "jupyterhub", version: hub.chartVersion, repositoryOpts: { repo: hub.chartRepo } };
}

/**
 * Problems with a local chart directory: it must be the z2jh chart at the pinned version, or the
 * values would be rendered by templates they were not written for. `chartYaml` is its Chart.yaml.
 */
export function localChartProblems(where: string, chartYaml: string | undefined, version: string): string[] {
    if (chartYaml === undefined) return [`${where} has no Chart.yaml: point it at the chart's folder (the one holding Chart.yaml and templates/)`];
    const name = /^name:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
    const found = /^version:\s*["']?([^"'\s]+)/m.exec(chartYaml)?.[1];
    const problems: string[] = [];
    if (name !== "jupyterhub") problems.push(`${where} is the chart "${name ?? "?"}", not "jupyterhub"`);
    if (found !== version)
        problems.push(
            `${where} is chart version ${found ?? "?"}, but jupyterhub:hub.chartVersion pins ${version}: use the ${version} chart, or change the pin`,
        );
    return problems;
}

/** Refuses, before anything is deployed, a local chart that is not the pinned z2jh chart. */
export function assertLocalChart(hub: HubConfig, env: Record<string, string | undefined>): void {
    const source = chartSource(hub, env);
    if (source.version) return;
    const where = hub.chartPath ? `jupyterhub:hub.chartPath (${source.chart})` : `${CHART_DIR_ENV} (${source.chart})`;
    const file = path.join(source.chart, "Chart.yaml");
    const problems = localChartProblems(where, fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined, hub.chartVersion);
    if (problems.length > 0) throw new ConfigError(problems);
}
