#!/bin/sh
# Our stand-in for `pulumi-analyzer-policy`, the analyzer plugin the Pulumi CLI ships to start
# Node.js policy packs. The engine executes it with the pack's directory as working directory and
# the arguments `<engine address> .`, then reads the pack's gRPC port from the first line of stdout.
# Like the CLI's script, it runs the entry point @pulumi/pulumi provides for policy packs
# (cmd/run-policy-pack, which compiles the pack's TypeScript and serves the Analyzer protocol),
# resolved from the working directory as Node resolves modules, with the arguments unchanged.
# `exec` leaves one process, so stopping this one stops the pack.
entry=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/run-policy-pack"))') || {
    echo "analyzer-launcher.sh: @pulumi/pulumi/cmd/run-policy-pack cannot be resolved from $(pwd); run npm ci" >&2
    exit 1
}
exec node "$entry" "$@"
