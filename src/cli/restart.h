/* zke cli: `zke restart`, a BatchRestart from the command line. */
#ifndef ZK_CLI_RESTART_H
#define ZK_CLI_RESTART_H

int zk_cli_restart_main(int argc, char **argv);

#endif
