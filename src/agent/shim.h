/* zke shim: the parent process of one container run (see shim.c). */
#ifndef ZK_AGENT_SHIM_H
#define ZK_AGENT_SHIM_H

/* `zke shim --id ID --bundle DIR --log FILE ...`; the process exit code. */
int zk_agent_shim_main(int argc, char **argv);

#endif
