/* zke apiserver: the `zke server` command. */
#ifndef ZK_APIS_SERVER_H
#define ZK_APIS_SERVER_H

/* Parse options, start the server and run until SIGINT/SIGTERM. */
int zk_apis_server_main(int argc, char **argv);

#endif
