import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * The secrets the z2jh chart would otherwise generate itself through Helm's `lookup`, which
 * Pulumi cannot see, so they would drift. Generated once and kept in the state, encrypted.
 */
export class HubSecrets extends pulumi.ComponentResource {
    /** proxy.secretToken: hub and proxy authenticate each other with it. 64 hex characters. Secret. */
    public readonly proxySecretToken: pulumi.Output<string>;
    /** hub.cookieSecret: signs login cookies; rotating it logs everybody out. 64 hex characters. Secret. */
    public readonly cookieSecret: pulumi.Output<string>;
    /** CryptKeeper key: encrypts auth_state in the hub database. 64 hex characters. Secret. */
    public readonly cryptKeeperKey: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("jupyterhub:index:HubSecrets", name, {}, opts);
        const parent = { parent: this };
        // RandomBytes marks both encodings secret; 32 bytes is what JupyterHub expects of each.
        const hex = (role: string) => new random.RandomBytes(`${name}-${role}`, { length: 32 }, parent).hex;
        this.proxySecretToken = hex("proxy-token");
        this.cookieSecret = hex("cookie");
        this.cryptKeeperKey = hex("crypt-keeper");
        this.registerOutputs({});
    }
}
