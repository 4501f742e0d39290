import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * The hub's own secrets, generated once and kept in the state, encrypted; they reach the hub
 * through its existing Secret (components/jupyterhub.ts HUB_SECRET). The proxy's token is not
 * here: z2jh reads it only from the chart's own Secret, and generates and keeps it there.
 */
export class HubSecrets extends pulumi.ComponentResource {
    /** hub.cookieSecret: signs login cookies; rotating it logs everybody out. 64 hex characters. Secret. */
    public readonly cookieSecret: pulumi.Output<string>;
    /** CryptKeeper key: encrypts auth_state in the hub database. 64 hex characters. Secret. */
    public readonly cryptKeeperKey: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:HubSecrets", name, {}, opts);
        const parent = { parent: this };
        // RandomBytes marks both encodings secret; 32 bytes is what JupyterHub expects of each.
        const hex = (role: string) => new random.RandomBytes(`${name}-${role}`, { length: 32 }, parent).hex;
        this.cookieSecret = hex("cookie");
        this.cryptKeeperKey = hex("crypt-keeper");
        this.registerOutputs({});
    }
}
