/* zke token: join tokens for node agents. */
#ifndef ZK_CLI_TOKEN_H
#define ZK_CLI_TOKEN_H

/* `zke token create ...`; returns the process exit code. */
int zk_cli_token_main(int argc, char **argv);

#endif
