// The steps of `pulumi preview --json` that the upgrade suites read.

export interface PreviewStep {
    op: string;
    urn: string;
    newState?: { type: string; inputs?: { metadata?: { name?: string; namespace?: string } } };
    oldState?: { type: string; inputs?: { metadata?: { name?: string; namespace?: string } } };
}

/** The steps that change something (not "same"). */
export function changedSteps(previewJson: string): PreviewStep[] {
    return (JSON.parse(previewJson) as { steps: PreviewStep[] }).steps.filter((s) => s.op !== "same");
}

/** [Kind, name] of a step: a Kubernetes object's kind and name, else the resource's type and name. */
export function objectOf(s: PreviewStep): [string, string] {
    const st = (s.newState ?? s.oldState)!;
    return [st.type.split(":").pop()!, st.inputs?.metadata?.name ?? s.urn.split("::").pop()!];
}

/** Whether the step is an object of a chart the program renders (z2jh; not the preflight check). */
export const fromChart = (s: PreviewStep) => s.urn.includes("kubernetes:helm.sh/v4:Chart$") && !s.urn.includes("preflight");
